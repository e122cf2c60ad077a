"""django_wechat's models, one module per area, re-exported here."""

from __future__ import annotations

from .menus import Button, Menu
from .tasks import Broadcast, BroadcastRecipient, DeferredReply
from .users import WeChatUser

__all__ = [
    "Broadcast",
    "BroadcastRecipient",
    "Button",
    "DeferredReply",
    "Menu",
    "WeChatUser",
]
