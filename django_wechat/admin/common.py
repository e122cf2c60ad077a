"""What the admin pages share: read-only logs (no add, change or delete), a follower's
link, and the account a form posted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from ..conf import AccountKind, get_accounts
from ..models import WeChatUser


class ReadOnlyAdminMixin:
    """A log: rows are looked at, never added, edited or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def with_follower(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``queryset`` (of rows with ``account`` and ``openid``) annotated with the matching
    WeChatUser's pk and nickname, in the same query (no query per row)."""
    users = WeChatUser.objects.filter(account=OuterRef("account"), openid=OuterRef("openid"))
    annotated: QuerySet[Any] = queryset.annotate(
        follower_pk=Subquery(users.values("pk")[:1]),
        follower_nickname=Subquery(users.values("nickname")[:1]),
    )
    return annotated


def follower_link(obj: Any) -> str:
    """The follower's nickname (or openid) linked to their WeChat user page, when we know
    them; the openid alone otherwise. ``obj`` comes from :func:`with_follower`."""
    pk = getattr(obj, "follower_pk", None)
    if pk is None:
        return str(obj.openid)
    label = getattr(obj, "follower_nickname", "") or obj.openid
    url = reverse("admin:django_wechat_wechatuser_change", args=[pk])
    return format_html('<a href="{}">{}</a>', url, label)


def official_accounts() -> list[str]:
    """The Official Accounts of ``WECHAT["ACCOUNTS"]``: the only kind with followers,
    menus and template messages (a website app or a mini program has none)."""
    return [name for name, acc in get_accounts().items() if acc.kind is AccountKind.OFFICIAL]


def posted_account(model_admin: admin.ModelAdmin[Any], request: HttpRequest) -> str | None:
    """The Official Account a form POSTed as ``account``; None, with an error message to
    the user, when it names none."""
    account = request.POST.get("account", "")
    if account in official_accounts():
        return account
    model_admin.message_user(
        request, gettext("No account named %(account)s.") % {"account": account}, messages.ERROR
    )
    return None
