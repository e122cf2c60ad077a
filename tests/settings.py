"""Settings for the test suite: three accounts, one per encryption mode."""

from __future__ import annotations

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_CODE = "en"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_wechat",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "django_wechat.oauth.backends.WeChatBackend",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The official test vector's key (PROTOCOL.md part C1) for the encrypted accounts.
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

WECHAT = {
    "ACCOUNTS": {
        "default": {
            "APP_ID": "wx2c2769f8efd9abc2",
            "APP_SECRET": "test-secret-default",
            "TOKEN": "spamtest",
            "ENCODING_AES_KEY": AES_KEY,
            "ENCRYPT_MODE": "safe",
        },
        "compatible": {
            "APP_ID": "wx0000000000000002",
            "APP_SECRET": "test-secret-compatible",
            "TOKEN": "compatibletoken",
            "ENCODING_AES_KEY": AES_KEY,
            "ENCRYPT_MODE": "compatible",
        },
        "plain": {
            "APP_ID": "wx0000000000000003",
            "APP_SECRET": "test-secret-plain",
            "TOKEN": "plaintoken",
            "ENCRYPT_MODE": "plain",
        },
    },
    # Local memory with DEBUG=False is a warning (wechat.W001) in production; tests
    # that need a shared cache use a real redis-server.
    "CACHE": "default",
}
SILENCED_SYSTEM_CHECKS = ["wechat.W001"]
