"""django_wechat's admin pages, one module per area (importing registers them)."""

from __future__ import annotations

from .followers import FollowerSyncAdmin, TagAdmin
from .menus import MenuAdmin
from .users import WeChatUserAdmin

__all__ = ["FollowerSyncAdmin", "MenuAdmin", "TagAdmin", "WeChatUserAdmin"]
