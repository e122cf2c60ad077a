"""The admin of follower sync's own rows: tags (read-only, from WeChat) and each
account's sync progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from ..models import FollowerSync, Tag

if TYPE_CHECKING:
    _TagAdmin = admin.ModelAdmin[Tag]
    _SyncAdmin = admin.ModelAdmin[FollowerSync]
else:  # ModelAdmin is generic only in django-stubs
    _TagAdmin = _SyncAdmin = admin.ModelAdmin


@admin.register(Tag)
class TagAdmin(_TagAdmin):
    """The tags WeChat listed, with its counts; changed in WeChat, synced here."""

    list_display = ("name", "account", "wechat_id", "count", "synced_at")
    list_filter = ("account",)
    search_fields = ("name",)
    exclude = ("followers",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Tag | None = None) -> bool:
        return False


@admin.register(FollowerSync)
class FollowerSyncAdmin(_SyncAdmin):
    """Where each account's follower sync stands (written by the sync only)."""

    list_display = ("account", "state", "done", "total", "api_calls", "updated_at", "message")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FollowerSync | None = None) -> bool:
        return False
