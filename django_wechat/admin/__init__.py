"""django_wechat's admin pages, one module per area (importing registers them)."""

from __future__ import annotations

from .menus import MenuAdmin
from .messages import InboundMessageAdmin
from .templates import MessageTemplateAdmin, TemplateMessageAdmin
from .users import WeChatUserAdmin

__all__ = [
    "InboundMessageAdmin",
    "MenuAdmin",
    "MessageTemplateAdmin",
    "TemplateMessageAdmin",
    "WeChatUserAdmin",
]
