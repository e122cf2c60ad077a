"""django_wechat's admin pages, one module per area (importing registers them)."""

from __future__ import annotations

from .menus import MenuAdmin
from .tasks import BroadcastAdmin, DeferredReplyAdmin
from .users import WeChatUserAdmin

__all__ = ["BroadcastAdmin", "DeferredReplyAdmin", "MenuAdmin", "WeChatUserAdmin"]
