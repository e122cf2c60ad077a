"""Helpers for testing a site that uses django_wechat.

- :mod:`django_wechat.testing.callback`: build the signed (and encrypted) requests WeChat
  sends to your callback, and read the replies (see "Testing your handlers").
- :mod:`django_wechat.testing.emulator`: ``WeChatEmulator``, a real HTTP server that speaks
  WeChat's API with WeChat's rules; pytest users get the ``wechat_emulator`` fixture by
  installing the package (see :mod:`django_wechat.testing.pytest_plugin`).
"""

from __future__ import annotations

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
    "callback_request",
    "isolated_handlers",
    "read_reply",
    "verification_request",
]
