"""django_wechat: WeChat Official Accounts for Django."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

__all__ = ["__version__", "create_reply", "get_client", "handler", "parse_message"]

if TYPE_CHECKING:
    from .client import get_client
    from .handlers import handler
    from .messages import parse_message
    from .replies import create_reply

# Public names imported on first use, so that `import django_wechat` stays cheap and
# reads no Django setting.
_LAZY = {
    "parse_message": "django_wechat.messages",
    "create_reply": "django_wechat.replies",
    "handler": "django_wechat.handlers",
    "get_client": "django_wechat.client",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'django_wechat' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
