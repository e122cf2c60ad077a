"""django_wechat's models, one module per area, re-exported here."""

from __future__ import annotations

from .followers import FollowerSync, Tag
from .menus import Button, Menu
from .messages import InboundMessage
from .tasks import Broadcast, BroadcastRecipient, DeferredReply
from .templates import MessageTemplate, TemplateMessage
from .users import WeChatUser

__all__ = [
    "Broadcast",
    "BroadcastRecipient",
    "Button",
    "DeferredReply",
    "FollowerSync",
    "InboundMessage",
    "Menu",
    "MessageTemplate",
    "Tag",
    "TemplateMessage",
    "WeChatUser",
]
