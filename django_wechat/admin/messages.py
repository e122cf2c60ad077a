"""The inbound message log in the admin: read-only, the follower linked to their page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import InboundMessage
from .common import ReadOnlyAdminMixin, follower_link, with_follower

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[InboundMessage]
else:  # ModelAdmin is generic only in django-stubs
    _ModelAdmin = admin.ModelAdmin


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdminMixin, _ModelAdmin):
    """Every message and event received while ``WECHAT["LOG_MESSAGES"]`` was on."""

    list_display = ("received_at", "account", "follower", "msg_type", "event", "summary")
    list_filter = ("account", "msg_type", "event")
    search_fields = ("openid", "summary", "msg_id")
    date_hierarchy = "received_at"
    fields = (
        "account",
        "follower",
        "msg_type",
        "event",
        "msg_id",
        "summary",
        "raw",
        "created_at",
        "received_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundMessage]:
        return with_follower(super().get_queryset(request))

    @admin.display(description=_("follower"), ordering="openid")
    def follower(self, message: InboundMessage) -> str:
        return follower_link(message)
