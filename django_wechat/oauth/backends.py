"""``WeChatBackend``: ``authenticate(request, wechat_code=..., wechat_account=...)``.

The code is a web OAuth code (an official account), a website QR login's code (a
website account, ``snsapi_login``) or a mini program's ``wx.login()`` code (a mini-program
account, exchanged with ``jscode2session``): the account's ``KIND`` says which.

Add it to ``AUTHENTICATION_BACKENDS``::

    AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "django_wechat.oauth.backends.WeChatBackend",
    ]

It exchanges the code (once, ever: a code already claimed here is never sent again),
refuses snapshot-page users, finds or creates the :class:`~django_wechat.models.WeChatUser`
and its Django user through the adapter, and returns the user, or None with the reason
logged at warning (without the code or any token) and left on the request for the view
(:func:`login_result`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from ..cache import call, oauth_code_key
from ..client import get_client
from ..conf import DEFAULT_ACCOUNT, Account, AccountKind, get_account, wechat_settings
from ..exceptions import APIError, TransportError, UnknownAccount
from .adapter import WeChatAdapter, get_adapter
from .failures import LoginFailure, Reason
from .open_data import store_session_key

__all__ = ["BACKEND", "LoginResult", "WeChatBackend", "api_failure", "login_result"]

logger = logging.getLogger("django_wechat.oauth")

#: The backend's dotted path, as ``login()`` stores it in the session.
BACKEND = "django_wechat.oauth.backends.WeChatBackend"
#: WeChat's answers for a code it will not take: invalid (40029), used (40163),
#: missing (41008), expired (42003) (全局返回码).
CODE_ERRCODES = frozenset({40029, 40163, 41008, 42003})
#: jscode2session's own refusals (code2Session doc): 40226 a high-risk user (code
#: blocked), 45011 the per-user minute quota.
ERRCODE_REASONS = {40226: Reason.HIGH_RISK, 45011: Reason.RATE_LIMITED}
#: How long a code stays claimed: longer than WeChat keeps it ("5分钟未被使用自动过期").
CODE_CLAIM_TIMEOUT = 600
_RESULT = "wechat_login"


@dataclass(frozen=True)
class LoginResult:
    """What the last ``authenticate(wechat_code=...)`` on a request came to."""

    wechat_user: Any = None
    #: True when this login made the Django user (a sign-up).
    created: bool = False
    failure: LoginFailure | None = None


def login_result(request: HttpRequest | None) -> LoginResult | None:
    """The :class:`LoginResult` :class:`WeChatBackend` left on ``request``, if any."""
    result = getattr(request, _RESULT, None)
    return result if isinstance(result, LoginResult) else None


class WeChatBackend(ModelBackend):
    """Logs a follower in with the ``code`` of WeChat's web OAuth (网页授权).

    Like Django's ``RemoteUserBackend``, it creates the users it does not know (through
    the adapter, ``WECHAT["OAUTH_ADAPTER"]``); ``get_user()`` and permissions are
    ``ModelBackend``'s.
    """

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        wechat_code: str | None = None,
        wechat_account: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """The follower's Django user, or None (never raises for a bad code)."""
        if wechat_code is None:
            return None
        name = wechat_account or DEFAULT_ACCOUNT
        try:
            account = get_account(name)
            wechat_user, created = self.sign_in(request, account, str(wechat_code))
            user = wechat_user.user
            if not self.user_can_authenticate(user):
                raise LoginFailure(Reason.INACTIVE, f"user {user.pk} is inactive")
        except UnknownAccount:
            failure = LoginFailure(Reason.NOT_CONFIGURED, f"no account {name!r}")
        except LoginFailure as exc:
            failure = exc
        else:
            _note(request, LoginResult(wechat_user, created))
            return user
        logger.warning("WeChat login for account %r failed: %s", name, failure)
        _note(request, LoginResult(failure=failure))
        return None

    def sign_in(self, request: HttpRequest | None, account: Account, code: str) -> tuple[Any, bool]:
        """Exchange ``code``; find or create the WeChatUser and its user. Returns
        ``(wechat_user, created)``; raises :class:`LoginFailure`."""
        from ..models import WeChatUser

        profile = self.fetch_profile(account, code)
        adapter = get_adapter()
        created = False
        with transaction.atomic():
            wechat_user, _new = WeChatUser.objects.select_for_update().get_or_create(
                account=account.name, openid=profile["openid"]
            )
            wechat_user.update_profile(profile)
            if wechat_user.user is None:
                user = adapter.find_linked_user(request, wechat_user)
                if user is None:
                    if not adapter.is_open_for_signup(request, wechat_user):
                        # Rolls back: nothing is kept of a follower who may not sign up.
                        raise LoginFailure(Reason.SIGNUP_CLOSED)
                    user = adapter.create_user(request, wechat_user)
                    created = True
                wechat_user.user = user
            wechat_user.save()
            # Asked once the link is saved (a hook may query it), inside the transaction:
            # a refusal rolls back the user and WeChatUser this login would have made.
            if not self.may_log_in(adapter, request, wechat_user.user, wechat_user):
                raise LoginFailure(Reason.NOT_ALLOWED, "the adapter's can_log_in() said no")
        return wechat_user, created

    @staticmethod
    def may_log_in(
        adapter: WeChatAdapter, request: HttpRequest | None, user: Any, wechat_user: Any
    ) -> bool:
        """The adapter's ``can_log_in()``; ``PermissionDenied`` from it is a no too."""
        try:
            return bool(adapter.can_log_in(request, user, wechat_user))
        except PermissionDenied:
            return False

    # The token answer holds the follower's access_token and refresh_token (30 days), and
    # error reports (AdminEmailHandler, Sentry) print a frame's locals: hide them.
    @sensitive_variables("code", "token")
    def fetch_profile(self, account: Account, code: str) -> dict[str, Any]:
        """What WeChat says about the follower behind ``code``: openid, unionid, scope and,
        for snsapi_userinfo, sns/userinfo's answer. Never a token."""
        cache = caches[wechat_settings.CACHE]
        if not call(cache.add, oauth_code_key(account.app_id, code), "1", CODE_CLAIM_TIMEOUT):
            raise LoginFailure(Reason.CODE_USED, "the code was claimed already")
        try:
            if account.kind is AccountKind.MINIPROGRAM:
                return self.fetch_mini_program_profile(account, code)
            oauth = get_client(account.name).oauth
            token = oauth.fetch_access_token(code)
            # 快照页 users (2022-07 on) have a virtual openid and unionid; only the token
            # answer says so ("is_snapshotuser": 1), and sns/userinfo answers them 48001.
            if str(token.get("is_snapshotuser", "")) == "1":
                raise LoginFailure(Reason.SNAPSHOT, "a snapshot-page user")
            openid = str(token.get("openid") or "")
            if not openid:
                raise LoginFailure(Reason.WECHAT_REFUSED, "the token answer has no openid")
            profile: dict[str, Any] = {"openid": openid}
            if token.get("unionid"):
                profile["unionid"] = str(token["unionid"])
            scopes = str(token.get("scope", "")).split(",")
            if "snsapi_userinfo" in scopes or "snsapi_login" in scopes:
                # 网页授权 doc: only snsapi_userinfo may call sns/userinfo (else 48001);
                # the website QR login's snsapi_login may too (网站应用微信登录).
                info = oauth.get_user_info(openid, str(token["access_token"]))
                profile.update({k: v for k, v in info.items() if k != "privilege"})
        except (APIError, TransportError) as exc:
            raise api_failure(exc) from None
        return profile

    def fetch_mini_program_profile(self, account: Account, code: str) -> dict[str, Any]:
        """jscode2session's openid and unionid; its session_key is kept in the cache for
        :func:`~django_wechat.oauth.open_data.decrypt_open_data`, never in the profile."""
        answer = get_client(account.name).miniprogram.code_to_session(code)
        openid = str(answer.get("openid") or "")
        if not openid:
            raise LoginFailure(Reason.WECHAT_REFUSED, "the jscode2session answer has no openid")
        store_session_key(account, openid, str(answer.get("session_key") or ""))
        profile: dict[str, Any] = {"openid": openid}
        if answer.get("unionid"):
            profile["unionid"] = str(answer["unionid"])
        return profile


def api_failure(exc: APIError | TransportError) -> LoginFailure:
    """The :class:`LoginFailure` of a failed exchange with WeChat (its detail names the
    API and errcode, never the code)."""
    if isinstance(exc, TransportError):
        return LoginFailure(Reason.UNREACHABLE, str(exc))
    default = Reason.CODE_INVALID if exc.errcode in CODE_ERRCODES else Reason.WECHAT_REFUSED
    return LoginFailure(ERRCODE_REASONS.get(exc.errcode, default), str(exc))


def _note(request: HttpRequest | None, result: LoginResult) -> None:
    if request is not None:
        setattr(request, _RESULT, result)
