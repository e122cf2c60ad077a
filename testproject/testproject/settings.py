"""The demo site: SQLite, a database cache, and the WeChat emulator on 127.0.0.1:8001.

Every value can be overridden from the environment, so the same site can also talk to a
real Official Account (set WECHAT_APP_ID, WECHAT_APP_SECRET, ... and
WECHAT_API_BASE_URL=https://api.weixin.qq.com).
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-do-not-use-in-production")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_wechat",
    "demo",
]
# Background work (defer=True handlers, broadcasts) on the database: `make demo` runs
# `manage.py db_worker` beside the site. Django 6 has django.tasks built in; on 5.2 the
# backport's app provides it.
try:
    import django.tasks  # noqa: F401
except ImportError:
    INSTALLED_APPS.append("django_tasks")
INSTALLED_APPS.append("django_tasks_db")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Or RQ on Redis (DEMO_TASKS_REDIS=redis://...): workers are `manage.py rqworker
# --job-class django_tasks_rq.Job`. The same code runs; only this setting changes.
if os.environ.get("DEMO_TASKS_REDIS"):
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": os.environ["DEMO_TASKS_REDIS"]}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The mini program's session may come as the X-WeChat-Session header (play_miniprogram.py).
    "django_wechat.oauth.middleware.SessionHeaderMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "django_wechat.oauth.backends.WeChatBackend",
]
ROOT_URLCONF = "testproject.urls"
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
WSGI_APPLICATION = "testproject.wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB", str(BASE_DIR / "db.sqlite3")),
        # The site, its task worker(s) and manage.py commands write at once: WAL lets
        # readers be, and synchronous=NORMAL spares an fsync per commit.
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        },
    }
}
# Django's database cache on the demo's SQLite: the server and every manage.py command
# (wechat_token, a worker) share one cache and so one access_token, as a production
# Redis does. `make demo` creates its table (manage.py createcachetable).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "demo_cache",
    }
}

# English by default; DJANGO_LANGUAGE_CODE=zh-hans, or the switch on every page, for Chinese.
LANGUAGE_CODE = os.environ.get("DJANGO_LANGUAGE_CODE", "en")
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMULATOR_URL = os.environ.get("WECHAT_EMULATOR_URL", "http://127.0.0.1:8001")

WECHAT = {
    "ACCOUNTS": {
        "default": {
            "APP_ID": os.environ.get("WECHAT_APP_ID", "wxd0000000000000a1"),
            "APP_SECRET": os.environ.get("WECHAT_APP_SECRET", "demo-app-secret"),
            "TOKEN": os.environ.get("WECHAT_TOKEN", "demotoken"),
            "ENCODING_AES_KEY": os.environ.get(
                "WECHAT_ENCODING_AES_KEY", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
            ),
            "ENCRYPT_MODE": os.environ.get("WECHAT_ENCRYPT_MODE", "safe"),
        },
        # An open-platform website app: the QR login on /desktop/ (and /me/ outside WeChat).
        "web": {
            "KIND": "website",
            "APP_ID": os.environ.get("WECHAT_WEB_APP_ID", "wxd0000000000000b1"),
            "APP_SECRET": os.environ.get("WECHAT_WEB_APP_SECRET", "demo-web-secret"),
        },
        # A mini program: play_miniprogram.py logs in as one.
        "mini": {
            "KIND": "miniprogram",
            "APP_ID": os.environ.get("WECHAT_MINI_APP_ID", "wxd0000000000000c1"),
            "APP_SECRET": os.environ.get("WECHAT_MINI_APP_SECRET", "demo-mini-secret"),
        },
    },
    # Outside WeChat, @wechat_login_required sends visitors to the website QR login
    # (DEMO_WEBSITE_LOGIN=0: to the "open in WeChat" page instead).
    "OAUTH_WEBSITE_ACCOUNTS": (
        {"default": "web"} if os.environ.get("DEMO_WEBSITE_LOGIN", "1") == "1" else {}
    ),
    "CACHE": "default",
    "API_BASE_URL": os.environ.get("WECHAT_API_BASE_URL", EMULATOR_URL),
    "OAUTH_BASE_URL": os.environ.get("WECHAT_OAUTH_BASE_URL", EMULATOR_URL),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_wechat": {"handlers": ["console"], "level": "INFO"}},
}
