"""The login views: ``wechat:oauth_login`` sends the follower to WeChat, and
``wechat:oauth_callback`` takes them back and logs them in.

Every failure is the one page ``django_wechat/oauth/error.html`` (status 400, 403 or
502, translated, with a link to try again), logged at warning without codes or tokens;
never a 500. Each step is a method a subclass may override.
"""

from __future__ import annotations

import logging
import posixpath
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import authenticate, login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from ..cache import CacheFailed
from ..client import get_client
from ..client.oauth import SCOPES
from ..conf import DEFAULT_ACCOUNT, Account, AccountKind, get_account, wechat_settings
from ..exceptions import UnknownAccount
from ..signals import wechat_user_logged_in
from .adapter import get_adapter
from .backends import BACKEND, LoginResult, WeChatBackend, login_result
from .failures import MESSAGES, LoginFailure, Reason
from .state import (
    BINDING_COOKIE,
    LoginState,
    Outcome,
    issue_state,
    load_state,
    new_nonce,
    run_once,
    valid_nonce,
)

__all__ = [
    "OAuthCallbackView",
    "OAuthLoginView",
    "account_or_404",
    "complete_login",
    "cookie_path",
    "error_page",
    "login_url",
    "safe_next",
]

logger = logging.getLogger("django_wechat.oauth")

ERROR_TEMPLATE = "django_wechat/oauth/error.html"


#: The kinds of account whose followers log in through WeChat's pages (and our callback).
WEB_KINDS = (AccountKind.OFFICIAL, AccountKind.WEBSITE)
#: The website QR login's one scope (网站应用微信登录).
QR_SCOPE = "snsapi_login"


def account_or_404(name: str, kinds: tuple[AccountKind, ...] = WEB_KINDS) -> Account:
    """The account ``name`` if it is of one of ``kinds``, else a 404 (as an unknown one)."""
    try:
        account = get_account(name)
    except UnknownAccount as exc:
        raise Http404(str(exc)) from None
    if account.kind not in kinds:
        # A mini program has no login page nor callback: as unknown as a misspelt name.
        raise Http404(f"No such login for account {account.name!r} ({account.kind.value}).")
    return account


def _bound(request: HttpRequest) -> bool:
    # A nonce check_state() let through is this state's own.
    return valid_nonce(request.COOKIES.get(BINDING_COOKIE, ""))


def login_url(account: str = DEFAULT_ACCOUNT, next_url: str = "", scope: str = "") -> str:
    """The path of ``wechat:oauth_login`` for ``account`` with ``next`` and ``scope``."""
    url = reverse("wechat:oauth_login", kwargs={"account": account})
    query = {k: v for k, v in (("next", next_url), ("scope", scope)) if v}
    return f"{url}?{urlencode(query)}" if query else url


def cookie_path(account: str) -> str:
    """The path of :data:`~django_wechat.oauth.state.BINDING_COOKIE`: the part the login and
    callback URLs share (``/wechat/oauth/``), so the browser sends it to both."""
    login_path = reverse("wechat:oauth_login", kwargs={"account": account})
    callback = reverse("wechat:oauth_callback", kwargs={"account": account})
    return posixpath.commonpath([login_path, callback]).rstrip("/") + "/"


def safe_next(request: HttpRequest, value: str | None) -> str:
    """``value`` when it is a URL on this site (``url_has_allowed_host_and_scheme``), else
    the adapter's ``get_login_redirect_url()`` (``LOGIN_REDIRECT_URL``)."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return get_adapter().get_login_redirect_url(request)


def error_page(
    request: HttpRequest,
    account: Account | None,
    reason: Reason,
    state: LoginState | None = None,
) -> HttpResponse:
    """The page for a failed login: ``django_wechat/oauth/error.html``, its status by reason.

    The context has ``reason``, ``title``, ``message``, ``status``, ``account`` and
    ``retry_url`` (a new login, with the same ``next`` and scope when known).
    """
    failure = LoginFailure(reason)
    title, message = MESSAGES[failure.reason]
    retry_url = ""
    if account is not None:
        retry_url = login_url(
            account.name, state.next if state else "", state.scope if state else ""
        )
    context = {
        "reason": failure.reason.value,
        "title": title,
        "message": message,
        "status": failure.status,
        "account": account,
        "retry_url": retry_url,
        "retry_label": _("Try again"),
    }
    return render(request, ERROR_TEMPLATE, context, status=failure.status)


def complete_login(request: HttpRequest, account: Account, code: str) -> tuple[Any, LoginResult]:
    """Authenticate ``code``, ``login()``, the adapter's hook and the signal: the user and
    the backend's :class:`~.backends.LoginResult`. Raises :class:`LoginFailure` (already
    logged by the backend, or here when the backend is missing)."""
    user = authenticate(request, wechat_code=code, wechat_account=account.name)
    result = login_result(request)
    if result is None:
        logger.error(
            "WeChat login for account %r: %s is not in AUTHENTICATION_BACKENDS.",
            account.name,
            BACKEND,
        )
        raise LoginFailure(Reason.NOT_CONFIGURED)
    if result.failure is not None:
        raise result.failure
    if user is None:  # another backend took the credentials and refused them
        raise LoginFailure(Reason.ERROR)
    login(request, user)
    get_adapter().login(request, result.wechat_user, result.created)
    wechat_user_logged_in.send(
        sender=account, wechat_user=result.wechat_user, created=result.created, request=request
    )
    return user, result


class OAuthLoginView(View):
    """``wechat:oauth_login``: a new state, then a redirect to WeChat's authorize page.

    ``?scope=snsapi_base`` (the default: silent, openid only) or ``snsapi_userinfo``
    (asks for nickname and avatar); ``?next=`` where to go after (checked when the
    login ends, too).

    For a website account (``KIND: "website"``) the redirect goes to the website QR login,
    ``connect/qrconnect`` (scope ``snsapi_login``); with ``?embed=1`` the answer is JSON
    instead (``appid``, ``scope``, ``redirect_uri``, ``state``), what WeChat's
    ``wxLogin.js`` needs to show the QR code inside the page (``{% wechat_qr_login %}``).
    """

    http_method_names = ["get", "head"]  # noqa: RUF012 - as Django declares it

    def get(self, request: HttpRequest, account: str = DEFAULT_ACCOUNT) -> HttpResponse:
        acc = account_or_404(account)
        website = acc.kind is AccountKind.WEBSITE
        scope = request.GET.get("scope") or (QR_SCOPE if website else "snsapi_base")
        if scope not in ((QR_SCOPE,) if website else SCOPES):
            logger.warning("WeChat login for account %r refused: scope %r", acc.name, scope)
            return error_page(request, acc, Reason.SCOPE_INVALID)
        nonce = request.COOKIES.get(BINDING_COOKIE, "")
        if not valid_nonce(nonce):
            nonce = new_nonce()
        try:
            state = issue_state(acc.name, scope, safe_next(request, request.GET.get("next")), nonce)
        except CacheFailed:
            logger.exception("WeChat login for account %r: the state could not be stored", acc.name)
            return error_page(request, acc, Reason.ERROR)
        callback = reverse("wechat:oauth_callback", kwargs={"account": acc.name})
        redirect_uri = self.redirect_uri(request, callback)
        oauth = get_client(acc.name).oauth
        response: HttpResponse
        if not website:
            url = oauth.authorize_url(redirect_uri, scope=scope, state=state.value)
            response = HttpResponseRedirect(url)
        elif request.GET.get("embed"):
            embed = {"appid": acc.app_id, "scope": scope, "redirect_uri": redirect_uri}
            response = JsonResponse({**embed, "state": state.value})
        else:
            response = HttpResponseRedirect(oauth.qrconnect_url(redirect_uri, state.value))
        response.set_cookie(
            BINDING_COOKIE,
            nonce,
            max_age=wechat_settings.OAUTH_STATE_TIMEOUT,
            path=cookie_path(acc.name),
            secure=request.is_secure(),
            httponly=True,
            # Lax: sent on WeChat's top-level redirect back to us, never on cross-site POSTs.
            samesite="Lax",
        )
        return response

    def redirect_uri(self, request: HttpRequest, callback: str) -> str:
        """The absolute callback URL; its host must be one of the account's 网页授权域名."""
        return request.build_absolute_uri(callback)


class OAuthCallbackView(View):
    """``wechat:oauth_callback``: state checked, the code exchanged once, the follower
    logged in, then a redirect to ``next``. A second load gets the first one's outcome."""

    # Not HEAD: a link checker's HEAD would use the code up.
    http_method_names = ["get"]  # noqa: RUF012 - as Django declares it

    def get(self, request: HttpRequest, account: str) -> HttpResponse:
        acc = account_or_404(account)
        state: LoginState | None = None
        try:
            state = self.check_state(request, acc)
            code = request.GET.get("code", "")
            if not code:
                # 网页授权 doc: refused consent comes back with state only. The state is
                # not used up: the follower may go back and allow.
                raise LoginFailure(Reason.DENIED, "the follower refused")
            outcome, first = run_once(state, lambda: self.attempt(request, acc, state, code))
            if outcome.failure:
                # The first load logged its own failure.
                return error_page(request, acc, Reason(outcome.failure), state)
            if not first:
                self.replay(request, outcome, code)
            # The cookie stays: another tab's login in this browser is still bound to it.
            return HttpResponseRedirect(safe_next(request, outcome.next))
        except LoginFailure as failure:
            logger.warning("WeChat login for account %r failed: %s", acc.name, failure)
            return error_page(request, acc, failure.reason, state)
        except Exception:
            logger.exception("WeChat login for account %r failed", acc.name)
            return error_page(request, acc, Reason.ERROR, state)

    def check_state(self, request: HttpRequest, account: Account) -> LoginState:
        """The state WeChat brought back, if it is ours, alive, for this account and this
        browser (when the browser's cookie came back)."""
        value = request.GET.get("state", "")
        if not value:
            raise LoginFailure(Reason.STATE_MISSING)
        state = load_state(value)
        if state is None or state.account != account.name:
            raise LoginFailure(Reason.STATE_EXPIRED, "an unknown or expired state")
        nonce = request.COOKIES.get(BINDING_COOKIE)
        # A browser without our cookie (lost, or spent by a finished login) is trusted on
        # the state alone: the gap docs/oauth.rst describes.
        if nonce is not None and valid_nonce(nonce) and not state.matches(nonce):
            raise LoginFailure(Reason.STATE_OTHER_BROWSER, "the browser's nonce differs")
        return state

    def attempt(
        self, request: HttpRequest, account: Account, state: LoginState, code: str
    ) -> Outcome:
        """The first load: :func:`complete_login`, its outcome kept for a second load."""
        try:
            user, _result = complete_login(request, account, code)
        except LoginFailure as failure:
            return Outcome(failure=failure.reason.value)
        return Outcome.logged_in(
            str(user.pk),
            getattr(user, "backend", BACKEND),
            state.next,
            code=code,
            bound=_bound(request),
        )

    def replay(self, request: HttpRequest, outcome: Outcome, code: str) -> None:
        """A second load of a callback that logged a user in: log the same user in here
        too (the first load's session cookie may never have reached the browser), if it
        brings the same code, and the browser's cookie when the first load had it."""
        bound = _bound(request)
        if not outcome.admits(code, bound):
            if outcome.bound and not bound:
                raise LoginFailure(Reason.STATE_OTHER_BROWSER, "a second load without the cookie")
            raise LoginFailure(Reason.STATE_EXPIRED, "a second load with another code")
        user: Any = WeChatBackend().get_user(outcome.user_pk)
        if user is None:
            raise LoginFailure(Reason.INACTIVE, "the user is gone or inactive")
        if request.user.is_authenticated and request.user.pk == user.pk:
            return
        login(request, user, backend=outcome.backend)
