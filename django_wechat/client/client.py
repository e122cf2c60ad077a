"""One account's client: :class:`WeChatClient`, its access_token and tickets, its API groups.

The HTTP is :class:`~django_wechat.client.base.BaseClient`'s; sharing the token and the
tickets through the cache is :mod:`~django_wechat.client.tokens`'; each API group is a
module of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

import requests
from django.core.cache import BaseCache, caches
from django.utils.translation import gettext as _

from ..conf import Account, AccountKind, TokenSource, get_account, wechat_settings
from ..exceptions import AccountKindError, APIError, TransportError
from . import tokens
from .base import TOKEN_ERRCODES, BaseClient, RetryPolicy, hide_locals
from .jsapi import JSAPI
from .media import Media
from .menu import Menu
from .message import Message
from .miniprogram import MiniProgram
from .oauth import OAuth
from .qrcode import QRCode
from .tag import Tag
from .template import Template
from .user import User

logger = logging.getLogger("django_wechat.client")

#: What a website app or a mini program may use of a client (an official account, all of
#: it): a website app has no access_token at all (开放平台网站应用 only logs users in).
ALLOWED_BY_KIND: dict[AccountKind, tuple[str, ...]] = {
    AccountKind.WEBSITE: ("oauth",),
    AccountKind.MINIPROGRAM: ("miniprogram", "access_token"),
}


class WeChatClient(BaseClient):
    """WeChat's API for one account, with its access_token shared through Django's cache.

    Get one with :func:`django_wechat.get_client`, which keeps one client per account
    and process. The API groups are attributes: ``client.menu.create(...)``,
    ``client.user.get(openid)``, ``client.message.send_text(openid, "你好")`` ...

    ``retry`` and ``token_policy`` tune retries and the refresh lock; the defaults suit
    production.
    """

    def __init__(
        self,
        account: Account | str = "default",
        *,
        api_base_url: str | None = None,
        oauth_base_url: str | None = None,
        timeout: float | None = None,
        cache_alias: str | None = None,
        retry: RetryPolicy | None = None,
        token_policy: tokens.TokenPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.account = account if isinstance(account, Account) else get_account(account)
        super().__init__(
            api_base_url or wechat_settings.API_BASE_URL,
            timeout=timeout if timeout is not None else wechat_settings.TIMEOUT,
            retry=retry,
            session=session,
        )
        self.oauth_base_url = (oauth_base_url or wechat_settings.OAUTH_BASE_URL).rstrip("/")
        self.cache_alias = cache_alias or wechat_settings.CACHE
        if token_policy is None:
            # The lock must outlive the slowest fetch: every attempt timing out (connect
            # and read each), plus the pauses.
            lock_ttl = max(20.0, self.retry.longest(self.timeout))
            token_policy = tokens.TokenPolicy(lock_ttl=lock_ttl, wait=lock_ttl + 10)
        self.token_policy = token_policy

    def __repr__(self) -> str:
        return f"<WeChatClient account={self.account.name!r} app_id={self.account.app_id!r}>"

    # --- credentials ----------------------------------------------------------------

    @property
    def cache(self) -> BaseCache:
        """The Django cache that holds tokens and tickets (``WECHAT["CACHE"]``)."""
        return caches[self.cache_alias]

    def _allow(self, group: str) -> None:
        """Refuse ``group`` when the account's kind has no access to it."""
        allowed = ALLOWED_BY_KIND.get(self.account.kind)
        if allowed is not None and group not in allowed:
            raise AccountKindError(self.account.name, self.account.kind.value, group, list(allowed))

    def _token_flight(self) -> tokens.SingleFlight:
        self._allow("access_token")
        fetch: Callable[[], tokens.Fetched]
        if self.account.access_token_func:
            account = self.account

            @hide_locals
            def fetch() -> tokens.Fetched:
                return tokens.call_access_token_func(account)
        else:
            fetch = self.fetch_access_token
        return tokens.SingleFlight(
            self.cache, self.account, "access_token", fetch, policy=self.token_policy
        )

    def _ticket_flight(self, kind: str) -> tokens.SingleFlight:
        @hide_locals
        def fetch() -> tokens.Fetched:
            result = self.get("cgi-bin/ticket/getticket", params={"type": kind})
            return _credential(result, "ticket", "cgi-bin/ticket/getticket")

        return tokens.SingleFlight(
            self.cache, self.account, f"ticket:{kind}", fetch, policy=self.token_policy
        )

    @property
    def access_token(self) -> str:
        """The account's current access_token (fetched once for the whole fleet on a miss)."""
        return self._token_flight().get().value

    def get_access_token(self, *, refresh: bool = False) -> tokens.Credential:
        """The access_token with its expiry; ``refresh=True`` replaces the cached one."""
        return self._token_flight().get(force=refresh)

    def get_ticket(self, kind: str = "jsapi", *, refresh: bool = False) -> tokens.Credential:
        """The ``jsapi`` or ``wx_card`` ticket with its expiry, shared like the token."""
        if kind not in tokens.TICKET_TYPES:
            raise ValueError(_("The ticket type must be 'jsapi' or 'wx_card', not %r.") % kind)
        return self._ticket_flight(kind).get(force=refresh)

    @hide_locals
    def fetch_access_token(self) -> tokens.Fetched:
        """Ask WeChat for a new access_token; ``(token, expires_in)``.

        Call :attr:`access_token` instead: this bypasses the cache and the lock, and with
        ``cgi-bin/token`` every fetch starts the previous token's five-minute countdown.
        """
        self._allow("access_token")
        account = self.account
        if account.token_source is TokenSource.STABLE_TOKEN:
            api = "cgi-bin/stable_token"
            # force_refresh is limited to 20 a day: never set it from here
            # (https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken).
            # Without it, asking again returns the same token: safe to retry.
            result = self._send(
                "POST",
                api,
                json={
                    "grant_type": "client_credential",
                    "appid": account.app_id,
                    "secret": account.app_secret,
                    "force_refresh": False,
                },
                idempotent=True,
            )
        else:
            api = "cgi-bin/token"
            result = self._send(
                "GET",
                api,
                params={
                    "grant_type": "client_credential",
                    "appid": account.app_id,
                    "secret": account.app_secret,
                },
            )
        return _credential(result, "access_token", api)

    # --- requests -------------------------------------------------------------------

    def get(self, api: str, **kwargs: Any) -> Any:
        """``request("GET", api, ...)``."""
        return self.request("GET", api, **kwargs)

    def post(self, api: str, **kwargs: Any) -> Any:
        """``request("POST", api, ...)``."""
        return self.request("POST", api, **kwargs)

    @hide_locals
    def request(
        self,
        method: str,
        api: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        with_token: bool = True,
        base_url: str | None = None,
        raw: bool = False,
        idempotent: bool | None = None,
    ) -> Any:
        """Call ``api`` (a path such as ``"cgi-bin/menu/create"``) and return its JSON.

        ``json`` is sent as a UTF-8 JSON body; ``files`` as multipart. With ``raw=True``
        the :class:`requests.Response` is returned (for a media file), after the same
        errcode checks when the answer is JSON.

        Raises :class:`~django_wechat.exceptions.APIError` for a non-zero errcode
        (:class:`~django_wechat.exceptions.QuotaExceeded` for 45009/45011),
        :class:`~django_wechat.exceptions.TransportError` when no usable answer came back.
        A refused access_token (40001/40014/42001) is replaced and the call retried once;
        errcode -1 and connections that never reached WeChat are retried with backoff.
        A call that is not ``idempotent`` is never sent twice once it may have reached
        WeChat; by default a GET is idempotent, except the code exchanges and
        ``cgi-bin/token`` (:data:`~django_wechat.client.base.NOT_REPEATABLE`), and a POST is not.

        A :class:`~django_wechat.exceptions.APIError`'s ``response`` is an
        :class:`~django_wechat.client.ErrorAnswer` (status and redacted JSON), never the
        :class:`requests.Response`.
        """
        kwargs: dict[str, Any] = {
            "params": params,
            "json": json,
            "files": files,
            "base_url": base_url,
            "raw": raw,
            "idempotent": idempotent,
        }
        if not with_token:
            return self._send(method, api, **kwargs)
        flight = self._token_flight()
        token = flight.get().value
        try:
            return self._send(method, api, access_token=token, **kwargs)
        except APIError as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
            logger.info(
                "WeChat refused the access_token on %s (errcode %s); fetching a new one",
                api,
                exc.errcode,
            )
        # WxJava's rule: one retry only, so a token of the wrong kind (which 40001s
        # forever) cannot loop.
        token = flight.get(stale=token).value
        return self._send(method, api, access_token=token, **kwargs)

    # --- the API groups (created on first use, one per client) -----------------------

    @cached_property
    def menu(self) -> Menu:
        """Custom menus."""
        self._allow("menu")
        return Menu(self)

    @cached_property
    def user(self) -> User:
        """Followers."""
        self._allow("user")
        return User(self)

    @cached_property
    def tag(self) -> Tag:
        """User tags."""
        self._allow("tag")
        return Tag(self)

    @cached_property
    def message(self) -> Message:
        """Customer-service and template messages."""
        self._allow("message")
        return Message(self)

    @cached_property
    def template(self) -> Template:
        """Template-message templates."""
        self._allow("template")
        return Template(self)

    @cached_property
    def media(self) -> Media:
        """Temporary media."""
        self._allow("media")
        return Media(self)

    @cached_property
    def qrcode(self) -> QRCode:
        """Parametric QR codes."""
        self._allow("qrcode")
        return QRCode(self)

    @cached_property
    def jsapi(self) -> JSAPI:
        """JS-SDK tickets and signatures."""
        self._allow("jsapi")
        return JSAPI(self)

    @cached_property
    def oauth(self) -> OAuth:
        """Web OAuth (网页授权)."""
        self._allow("oauth")
        return OAuth(self)

    @cached_property
    def miniprogram(self) -> MiniProgram:
        """Mini-program login."""
        self._allow("miniprogram")
        return MiniProgram(self)


@hide_locals
def _credential(result: Mapping[str, Any], field: str, api: str) -> tokens.Fetched:
    value = result.get(field)
    try:
        expires_in = float(result.get("expires_in", 7200))
    except (TypeError, ValueError):
        expires_in = 0
    if not isinstance(value, str) or not value or expires_in <= 0:
        raise TransportError(
            _("the answer has no usable %(field)s and expires_in") % {"field": field}, api
        )
    return value, expires_in
