"""The settings a project starts from: what ``manage.py wechat_init`` prints, and
:func:`with_emulator`, which points ``settings.WECHAT`` at a local emulator.

Nothing here imports Django, so ``settings.py`` can use it::

    from django_wechat.starter import with_emulator

    WECHAT = with_emulator({"ACCOUNTS": {...}})   # development: the emulator on :8001
"""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Mapping
from typing import Any

__all__ = [
    "DEFAULT_EMULATOR_URL",
    "REDIS_CACHES",
    "development_settings",
    "production_settings",
    "random_aes_key",
    "random_token",
    "with_emulator",
]

#: Where ``manage.py wechat_emulator --port 8001`` listens; ``WECHAT_EMULATOR_URL`` in
#: the environment overrides it for :func:`with_emulator`.
DEFAULT_EMULATOR_URL = "http://127.0.0.1:8001"

# WeChat's console (基本配置 → 服务器配置) takes a Token of 3 to 32 letters and digits and
# an EncodingAESKey of exactly 43; it generates keys from letters and digits too.
_ALPHABET = string.ascii_letters + string.digits
_TOKEN_LENGTH = 32
_AES_KEY_LENGTH = 43

#: The ``CACHES`` of a production site: Redis through django-redis, shared by every
#: process, with socket timeouts so that a stalled Redis fails a request in seconds
#: instead of hanging it.
REDIS_CACHES = """CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 2,  # seconds to connect
            "SOCKET_TIMEOUT": 2,  # seconds for each command
        },
    },
}"""


def with_emulator(wechat: Mapping[str, Any], url: str | None = None) -> dict[str, Any]:
    """``wechat`` (a ``WECHAT`` setting) with its API and OAuth URLs pointing at the emulator.

    ``url`` defaults to ``$WECHAT_EMULATOR_URL``, else :data:`DEFAULT_EMULATOR_URL`,
    where ``manage.py wechat_emulator --port 8001`` listens. Use it in development
    settings only: a site pointed at the emulator never reaches WeChat.
    """
    target = url or os.environ.get("WECHAT_EMULATOR_URL") or DEFAULT_EMULATOR_URL
    return {**wechat, "API_BASE_URL": target, "OAUTH_BASE_URL": target}


def random_token() -> str:
    """A random callback Token that WeChat's console accepts (32 letters and digits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(_TOKEN_LENGTH))


def random_aes_key() -> str:
    """A random EncodingAESKey that WeChat's console accepts (43 letters and digits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(_AES_KEY_LENGTH))


def development_settings(
    account: str = "default",
    *,
    token: str | None = None,
    aes_key: str | None = None,
) -> str:
    """A ``WECHAT`` block for ``settings.py`` in development, against the emulator.

    The TOKEN and EncodingAESKey are random (or the ones given); the AppID and secret
    are placeholders the emulator accepts. Every value can be overridden from the
    environment, as the production block reads them.
    """
    token = token or random_token()
    aes_key = aes_key or random_aes_key()
    return f"""import os

from django_wechat.starter import with_emulator

# The emulator (manage.py wechat_emulator --port 8001) instead of WeChat.
WECHAT = with_emulator(
    {{
        "ACCOUNTS": {{
            {account!r}: {{
                # Placeholders the emulator accepts; your account's AppID and AppSecret
                # (开发者ID) come from the WeChat console when you switch to it.
                "APP_ID": os.environ.get("WECHAT_APP_ID", "wx0123456789abcdef"),
                "APP_SECRET": os.environ.get("WECHAT_APP_SECRET", "development-secret"),
                # Paste these two into 基本配置 → 服务器配置 when you switch.
                "TOKEN": os.environ.get("WECHAT_TOKEN", {token!r}),
                "ENCODING_AES_KEY": os.environ.get("WECHAT_ENCODING_AES_KEY", {aes_key!r}),
                "ENCRYPT_MODE": "safe",
            }},
        }},
        "CACHE": "default",
    }}
)"""


def production_settings(account: str = "default") -> str:
    """The ``CACHES`` and ``WECHAT`` blocks of a production ``settings.py``.

    Every credential comes from the environment (a ``KeyError`` at start-up when one is
    missing), and the cache is Redis, shared by every process.
    """
    return f"""import os

# pip install "django-wechat-oa[redis]"
{REDIS_CACHES}

WECHAT = {{
    "ACCOUNTS": {{
        {account!r}: {{
            "APP_ID": os.environ["WECHAT_APP_ID"],
            "APP_SECRET": os.environ["WECHAT_APP_SECRET"],
            "TOKEN": os.environ["WECHAT_TOKEN"],
            "ENCODING_AES_KEY": os.environ["WECHAT_ENCODING_AES_KEY"],
            "ENCRYPT_MODE": "safe",
        }},
    }},
    "CACHE": "default",
}}"""
