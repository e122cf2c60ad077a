"""The admin for :class:`~django_wechat.models.WeChatUser`: WeChat's fields are read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.auth import get_permission_codename, get_user_model
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import WeChatUser

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[WeChatUser]
else:  # ModelAdmin is generic only in django-stubs
    _ModelAdmin = admin.ModelAdmin

#: What WeChat owns: shown, never edited here.
WECHAT_FIELDS = (
    "account",
    "openid",
    "unionid",
    "nickname",
    "avatar_url",
    "subscribed",
    "subscribed_at",
    "language",
    "remark",
    "tag_ids",
    "profile",
    "created_at",
    "updated_at",
)


@admin.register(WeChatUser)
class WeChatUserAdmin(_ModelAdmin):
    """List by account, subscribed and language; search by openid, unionid, nickname."""

    list_display = ("__str__", "account", "openid", "subscribed", "language", "user_link")
    list_filter = ("account", "subscribed", "language")
    search_fields = ("openid", "unionid", "nickname")
    readonly_fields = (*WECHAT_FIELDS, "user_link")
    fields = (*WECHAT_FIELDS, "user", "user_link")
    raw_id_fields = ("user",)
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Never: followers come from logins and follower sync, and every field but the
        user link is WeChat's (a form of blanks would make a follower without an openid)."""
        return False

    def get_readonly_fields(
        self, request: HttpRequest, obj: WeChatUser | None = None
    ) -> list[str] | tuple[str, ...]:
        """``user`` too, unless the staff member may change users: whoever links an
        openid to a user can log in as that user with WeChat."""
        fields = super().get_readonly_fields(request, obj)
        opts = get_user_model()._meta
        if request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}"):
            return fields
        return (*fields, "user")

    @admin.display(description=_("Django user"), ordering="user")
    def user_link(self, obj: WeChatUser) -> str:
        """A link to the user's own admin page."""
        if obj.user is None:
            return "-"
        meta = obj.user._meta
        try:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.user.pk])
        except NoReverseMatch:
            return str(obj.user)
        return format_html('<a href="{}">{}</a>', url, obj.user)
