"""Helpers for testing a site that uses django_wechat; see "Testing your handlers" in the docs."""

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
