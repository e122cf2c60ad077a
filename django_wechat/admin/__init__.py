"""django_wechat's admin pages, one module per area (importing registers them)."""

from __future__ import annotations

from .followers import FollowerSyncAdmin, TagAdmin
from .menus import MenuAdmin
from .messages import InboundMessageAdmin
from .tasks import BroadcastAdmin, DeferredReplyAdmin
from .templates import MessageTemplateAdmin, TemplateMessageAdmin
from .users import WeChatUserAdmin

__all__ = [
    "BroadcastAdmin",
    "DeferredReplyAdmin",
    "FollowerSyncAdmin",
    "InboundMessageAdmin",
    "MenuAdmin",
    "MessageTemplateAdmin",
    "TagAdmin",
    "TemplateMessageAdmin",
    "WeChatUserAdmin",
]
