"""The admin of follower sync's own rows: tags (read-only, from WeChat) and each
account's sync progress, with a "Sync followers in the background" button that enqueues
:func:`django_wechat.tasks.sync_followers` (a page added with ``get_urls()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse

from .. import tasks
from ..models import FollowerSync, Tag
from .common import official_accounts
from .tasks import start_sync

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
    change_list_template = "admin/django_wechat/followersync/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FollowerSync | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.start_view)
        return [path("start/", view, name="django_wechat_followersync_start"), *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), "accounts": official_accounts()}
        return super().changelist_view(request, context)

    def start_view(self, request: HttpRequest) -> HttpResponse:
        """POST ``account`` (and ``full``): enqueue the follower sync; it writes followers,
        so it needs the permission to change them."""
        return start_sync(
            self,
            request,
            tasks.sync_followers,
            permission="django_wechat.change_wechatuser",
            done_url=reverse("admin:django_wechat_followersync_changelist"),
            full=bool(request.POST.get("full")),
        )
