"""The adapter: how a WeChat login makes and names users, and what a site may change.

A site replaces it with a subclass named by ``WECHAT["OAUTH_ADAPTER"]`` (a dotted path,
as allauth's adapters)::

    class ShopAdapter(WeChatAdapter):
        def is_open_for_signup(self, request, wechat_user):
            return False            # only followers we know already

        def populate_user(self, request, user, wechat_user):
            user.first_name = wechat_user.nickname[:150]
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

from ..conf import wechat_settings

if TYPE_CHECKING:
    from ..models import WeChatUser

__all__ = ["WeChatAdapter", "get_adapter"]


class WeChatAdapter:
    """The default adapter: anyone may sign up; users are ``wx_`` and 16 random characters,
    with an unusable password; unionid links accounts."""

    def is_open_for_signup(self, request: HttpRequest | None, wechat_user: WeChatUser) -> bool:
        """May this follower, who has no Django user yet, get one? Yes, by default."""
        return True

    def generate_username(self, wechat_user: WeChatUser) -> str:
        """A new user's username: never the openid, which is a per-account identifier."""
        return "wx_" + get_random_string(16, string.ascii_lowercase + string.digits)

    def find_linked_user(self, request: HttpRequest | None, wechat_user: WeChatUser) -> Any:
        """The Django user this follower already has through another account: one whose
        WeChatUser has the same ``unionid`` (same open platform, same person). None when
        WeChat sent no unionid or nobody has it yet."""
        from ..models import WeChatUser

        if not wechat_user.unionid:
            return None
        other = (
            WeChatUser.objects.filter(unionid=wechat_user.unionid, user__isnull=False)
            .exclude(pk=wechat_user.pk)
            .select_related("user")
            .order_by("created_at", "pk")
            .first()
        )
        return other.user if other is not None else None

    def create_user(self, request: HttpRequest | None, wechat_user: WeChatUser) -> Any:
        """Make and save the Django user of a follower who signs up."""
        model = get_user_model()
        user = model(**{model.USERNAME_FIELD: self.generate_username(wechat_user)})
        user.set_unusable_password()
        self.populate_user(request, user, wechat_user)
        user.save()
        return user

    def populate_user(
        self, request: HttpRequest | None, user: Any, wechat_user: WeChatUser
    ) -> None:
        """Fill a new user's fields before it is first saved; nothing by default."""

    def can_log_in(self, request: HttpRequest | None, user: Any, wechat_user: WeChatUser) -> bool:
        """May ``user`` (linked to ``wechat_user``, new or not) log in with WeChat? Yes,
        by default. Refuse staff here to keep the admin behind its own login (and its
        second factor). Return False (or raise ``PermissionDenied``): the follower gets
        the ``not_allowed`` page, and the login makes no user or ``WeChatUser``. Asked at
        each login; a session logged in before stays until it ends."""
        return True

    def login(self, request: HttpRequest, wechat_user: WeChatUser, created: bool) -> None:
        """Called after ``login()``, once per login; nothing by default."""

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Where a login without a usable ``next`` ends: ``settings.LOGIN_REDIRECT_URL``."""
        return str(resolve_url(settings.LOGIN_REDIRECT_URL))


def get_adapter() -> WeChatAdapter:
    """An instance of the adapter ``WECHAT["OAUTH_ADAPTER"]`` names."""
    adapter: WeChatAdapter = import_string(wechat_settings.OAUTH_ADAPTER)()
    return adapter
