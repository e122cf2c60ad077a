"""Helpers for testing a site that uses django_wechat.

- :mod:`django_wechat.testing.callback`: build the signed (and encrypted) requests WeChat
  sends to your callback, and read the replies (see "Testing your handlers").
- :func:`clear_wechat_cache` (:mod:`django_wechat.testing.cache`): forget django_wechat's
  keys in the cache between tests, and nothing else.
- :mod:`django_wechat.testing.emulator`: ``WeChatEmulator``, a real HTTP server that speaks
  WeChat's API with WeChat's rules; pytest users get the ``wechat_emulator`` fixture by
  installing the package (see :mod:`django_wechat.testing.pytest_plugin`).
"""

from __future__ import annotations

from typing import Any

from .cache import clear_wechat_cache
from .callback import (
    CallbackReply,
    CallbackRequest,
    callback_request,
    isolated_handlers,
    read_reply,
    verification_request,
)

__all__ = [
    "CallbackReply",
    "CallbackRequest",
    "WeChatEmulator",
    "callback_request",
    "clear_wechat_cache",
    "isolated_handlers",
    "read_reply",
    "verification_request",
]


def __getattr__(name: str) -> Any:
    # Lazy: the emulator brings the API client with it, which a test of handlers alone
    # does not need.
    if name == "WeChatEmulator":
        from .emulator import WeChatEmulator

        return WeChatEmulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
