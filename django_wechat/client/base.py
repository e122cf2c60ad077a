"""The HTTP core of :class:`WeChatClient`: one :meth:`~WeChatClient.request` for every API.

This is the only module of django_wechat that talks HTTP to WeChat. It adds the
access_token, encodes JSON the way WeChat wants it (UTF-8, Chinese unescaped), decodes
answers as UTF-8 whatever their content-type says, turns a non-zero ``errcode`` into an
exception, recovers from a refused token once, and retries what is safe to retry.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import requests
from django.core.cache import BaseCache, caches
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from ..conf import Account, TokenSource, get_account, wechat_settings
from ..exceptions import APIError, InvalidCredential, QuotaExceeded, TransportError
from . import tokens
from .logs import REDACTED, SECRET_FIELDS

if TYPE_CHECKING:
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

#: errcodes meaning "this access_token is not (or no longer) valid": 40001 invalid
#: credential (also "not the latest token"), 40014 invalid access_token, 42001 expired.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
#: 45009 daily quota, 45011 per-minute quota: retrying only burns more of it.
QUOTA_ERRCODES = frozenset({45009, 45011})
#: errcodes about the account's credentials themselves (40013 invalid AppID, 40125
#: invalid AppSecret), besides the token errors.
CREDENTIAL_ERRCODES = TOKEN_ERRCODES | {40013, 40125}
#: -1: "system busy, retry later" (全局返回码说明).
BUSY_ERRCODE = -1

#: GET APIs that must not be sent twice, with the reason an error gives. They are
#: retried only when the request certainly never left, like a POST.
NOT_REPEATABLE: Mapping[str, Any] = {
    # Each fetch starts the previous token's five-minute countdown: a retry after a lost
    # answer would void the token the first fetch got.
    "cgi-bin/token": gettext_lazy("a second fetch would void the first one's access_token"),
    # Codes are single use: the retry of a code exchange whose answer was lost gets
    # 40163 "code been used" (网页授权, 小程序登录 code2Session).
    "sns/oauth2/access_token": gettext_lazy(
        "the code can be used only once: send the user through the authorization again"
    ),
    "sns/jscode2session": gettext_lazy(
        "the code can be used only once: have the mini program call wx.login() again"
    ),
}

#: The code exchanges: never repeated, not even after errcode -1.
SINGLE_USE_CODES = frozenset({"sns/oauth2/access_token", "sns/jscode2session"})


# The frames of the calls below hold the AppSecret, access_tokens, tickets or codes in
# their locals (a query string, a JSON body, an answer). Django's error reports (the
# 500 e-mails of AdminEmailHandler, Sentry's Django integration) print every frame's
# locals; sensitive_variables() with no names hides all of a frame's locals, and those
# of the undecorated helpers it calls. Note that Django applies it only when
# settings.DEBUG is False: the DEBUG page shows everything.
_hide_locals = sensitive_variables()


@dataclass(frozen=True)
class ErrorAnswer:
    """What an :class:`~django_wechat.exceptions.APIError` keeps of WeChat's answer.

    Not the :class:`requests.Response`, whose URL and request carry the access_token,
    the AppSecret or a follower's tokens: the HTTP status and the JSON answer, with the
    values of :data:`~django_wechat.client.logs.SECRET_FIELDS` replaced by
    ``"********"``. ``json()`` returns the answer, like a response's.
    """

    status_code: int
    data: Mapping[str, Any] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        """The (redacted) JSON answer."""
        return dict(self.data)


def _redacted(result: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if k in SECRET_FIELDS else v) for k, v in result.items()}


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry what is safe to retry.

    ``attempts`` counts every try of one call (so 3 = the first and two retries);
    the pause before retry *n* is a random fraction of ``backoff * 2**(n-1)``, capped at
    ``backoff_max`` ("full jitter", so a fleet of workers does not retry in step).
    """

    attempts: int = 3
    backoff: float = 0.2
    backoff_max: float = 2.0

    def pause(self, retry: int) -> float:
        """Seconds to sleep before retry number ``retry`` (1-based)."""
        ceiling = min(self.backoff_max, self.backoff * 2 ** (retry - 1))
        return random.uniform(0, ceiling)  # noqa: S311

    def longest(self, timeout: float) -> float:
        """The most seconds one call can take with this policy and ``timeout``.

        ``timeout`` bounds the connection and the wait for the answer separately (it is
        passed to requests as ``(connect, read)``), so one attempt may take twice as long;
        then come the pauses between attempts.
        """
        return self.attempts * 2 * timeout + (self.attempts - 1) * self.backoff_max


def _not_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", exc.args[0])
        return isinstance(reason, NewConnectionError)
    return False


def _describe(exc: requests.RequestException, timeout: float) -> str:
    # requests' own messages quote the URL, whose query string may hold the AppSecret
    # (cgi-bin/token) or the access_token: describe the failure in our own words.
    if isinstance(exc, requests.ConnectTimeout):
        return _("could not connect within %(timeout)s s") % {"timeout": timeout}
    if isinstance(exc, requests.Timeout):
        return _("no answer within %(timeout)s s") % {"timeout": timeout}
    if _not_sent(exc):
        return _("could not connect")
    if isinstance(exc, requests.ConnectionError):
        return _("the connection was lost before the answer")
    return _("the request failed (%(type)s)") % {"type": type(exc).__name__}


def error_for(errcode: int, errmsg: str, api: str, response: ErrorAnswer | None = None) -> APIError:
    """The exception for WeChat's ``errcode`` on ``api``."""
    cls: type[APIError] = APIError
    if errcode in QUOTA_ERRCODES:
        cls = QuotaExceeded
    elif errcode in CREDENTIAL_ERRCODES:
        cls = InvalidCredential
    return cls(errcode, errmsg, api, response=response)


_G = TypeVar("_G")


class _Group(Generic[_G]):
    """A client attribute holding an API group, imported and created on first access.

    The group modules import :class:`APIGroup` from here, so they are imported lazily.
    """

    def __init__(self, where: str) -> None:
        self.where = where

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, client: None, owner: type) -> _Group[_G]: ...

    @overload
    def __get__(self, client: WeChatClient, owner: type) -> _G: ...

    def __get__(self, client: WeChatClient | None, owner: type) -> _G | _Group[_G]:
        if client is None:
            return self
        group: _G = import_string(f"{__package__}.{self.where}")(client)
        # Stored on the instance, which shadows this (non-data) descriptor from now on.
        client.__dict__[self.name] = group
        return group


class WeChatClient:
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
        self.api_base_url = (api_base_url or wechat_settings.API_BASE_URL).rstrip("/")
        self.oauth_base_url = (oauth_base_url or wechat_settings.OAUTH_BASE_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else wechat_settings.TIMEOUT
        self.cache_alias = cache_alias or wechat_settings.CACHE
        self.retry = retry or RetryPolicy()
        if token_policy is None:
            # The lock must outlive the slowest fetch: every attempt timing out (connect
            # and read each), plus the pauses.
            lock_ttl = max(20.0, self.retry.longest(self.timeout))
            token_policy = tokens.TokenPolicy(lock_ttl=lock_ttl, wait=lock_ttl + 10)
        self.token_policy = token_policy
        if session is None:
            session = requests.Session()
            # One pool per host, big enough for a threaded worker's concurrent calls.
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session

    def __repr__(self) -> str:
        return f"<WeChatClient account={self.account.name!r} app_id={self.account.app_id!r}>"

    # --- credentials ----------------------------------------------------------------

    @property
    def cache(self) -> BaseCache:
        """The Django cache that holds tokens and tickets (``WECHAT["CACHE"]``)."""
        return caches[self.cache_alias]

    def _token_flight(self) -> tokens.SingleFlight:
        fetch: Callable[[], tokens.Fetched]
        if self.account.access_token_func:
            account = self.account

            @_hide_locals
            def fetch() -> tokens.Fetched:
                return tokens.call_access_token_func(account)
        else:
            fetch = self.fetch_access_token
        return tokens.SingleFlight(
            self.cache, self.account, "access_token", fetch, policy=self.token_policy
        )

    def _ticket_flight(self, kind: str) -> tokens.SingleFlight:
        @_hide_locals
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

    @_hide_locals
    def fetch_access_token(self) -> tokens.Fetched:
        """Ask WeChat for a new access_token; ``(token, expires_in)``.

        Call :attr:`access_token` instead: this bypasses the cache and the lock, and with
        ``cgi-bin/token`` every fetch starts the previous token's five-minute countdown.
        """
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

    @_hide_locals
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
        ``cgi-bin/token`` (:data:`NOT_REPEATABLE`), and a POST is not.

        A :class:`~django_wechat.exceptions.APIError`'s ``response`` is an
        :class:`ErrorAnswer` (status and redacted JSON), never the
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

    @_hide_locals
    def _send(
        self,
        method: str,
        api: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        access_token: str | None = None,
        base_url: str | None = None,
        raw: bool = False,
        idempotent: bool | None = None,
    ) -> Any:
        url = f"{base_url or self.api_base_url}/{api}"
        query = dict(params or {})
        if access_token is not None:
            query["access_token"] = access_token
        body: bytes | None = None
        headers: dict[str, str] = {}
        if json is not None:
            # WeChat shows \\uXXXX escapes literally in some APIs (menu names, template
            # data): send Chinese as UTF-8 text.
            body = _dumps(json)
            headers["Content-Type"] = "application/json; charset=utf-8"
        method = method.upper()
        if idempotent is None:
            idempotent = method == "GET" and api not in NOT_REPEATABLE
        retry = 0
        while True:
            failure: str | None = None
            try:
                response = self.session.request(
                    method,
                    url,
                    params=query,
                    data=body,
                    files=files,
                    headers=headers,
                    # Explicit: requests applies a single number to each separately.
                    timeout=(self.timeout, self.timeout),
                )
            except requests.RequestException as exc:
                # An idempotent call may be repeated; any other only if it never left (a
                # customer-service message must not reach a follower twice).
                if retry + 1 < self.retry.attempts and (idempotent or _not_sent(exc)):
                    retry += 1
                    self._pause(api, retry, type(exc).__name__)
                    continue
                failure = _describe(exc, self.timeout)
                if not idempotent and not _not_sent(exc):
                    failure = _not_repeated(failure, api)
            if failure is not None:
                # Raised out of the except block, so that the requests exception (whose
                # message quotes the URL with its secrets) is not even its __context__.
                raise TransportError(failure, api)
            # An idempotent call answered 5xx by a gateway may be repeated; any other
            # may have been carried out behind the gateway.
            if response.status_code >= 500 and idempotent and retry + 1 < self.retry.attempts:
                retry += 1
                self._pause(api, retry, f"HTTP {response.status_code}")
                continue
            if response.status_code != 200:
                message = _("HTTP %(status)s from WeChat") % {"status": response.status_code}
                detail = _errmsg_of(response)
                message = f"{message}: {detail}" if detail else message
                if response.status_code >= 500 and not idempotent:
                    message = _not_repeated(message, api)
                raise TransportError(message, api)
            if raw and not _looks_like_json(response):
                return response
            result = _decode(response, api)
            errcode = _errcode(result)
            # A code exchange answered -1 may still have used the code up: its retry gets
            # 40163 "code been used" (developers.weixin.qq.com community), so none is.
            if (
                errcode == BUSY_ERRCODE
                and api not in SINGLE_USE_CODES
                and retry + 1 < self.retry.attempts
            ):
                retry += 1
                self._pause(api, retry, "errcode -1")
                continue
            if errcode:
                # Not the response: its URL holds the access_token (or the AppSecret, a
                # follower's tokens), its request the JSON body with stable_token's
                # secret, and error reporters serialise exceptions.
                kept = ErrorAnswer(response.status_code, _redacted(result))
                raise error_for(errcode, str(result.get("errmsg", "")), api, kept)
            return response if raw else result

    def _pause(self, api: str, retry: int, why: str) -> None:
        seconds = self.retry.pause(retry)
        logger.warning("WeChat API %s: %s; retry %s in %.2f s", api, why, retry, seconds)
        time.sleep(seconds)

    # --- the API groups (created on first use, one per client) -----------------------

    menu: _Group[Menu] = _Group("menu.Menu")  #: Custom menus.
    user: _Group[User] = _Group("user.User")  #: Followers.
    tag: _Group[Tag] = _Group("tag.Tag")  #: User tags.
    message: _Group[Message] = _Group("message.Message")  #: Customer-service and template messages.
    template: _Group[Template] = _Group("template.Template")  #: Template-message templates.
    media: _Group[Media] = _Group("media.Media")  #: Temporary media.
    qrcode: _Group[QRCode] = _Group("qrcode.QRCode")  #: Parametric QR codes.
    jsapi: _Group[JSAPI] = _Group("jsapi.JSAPI")  #: JS-SDK tickets and signatures.
    oauth: _Group[OAuth] = _Group("oauth.OAuth")  #: Web OAuth (网页授权).
    miniprogram: _Group[MiniProgram] = _Group("miniprogram.MiniProgram")  #: Mini-program login.


class APIGroup:
    """The base of ``client.menu``, ``client.user`` ...: a set of calls on one client."""

    def __init__(self, client: WeChatClient) -> None:
        self.client = client

    def _get(self, api: str, **kwargs: Any) -> Any:
        return self.client.request("GET", api, **kwargs)

    def _post(self, api: str, **kwargs: Any) -> Any:
        return self.client.request("POST", api, **kwargs)

    @_hide_locals
    def _get_as_app(self, api: str, *, secret: bool = True, **params: Any) -> Any:
        """GET an API that takes the AppID (and AppSecret) instead of the access_token."""
        account = self.client.account
        query = {"appid": account.app_id, **({"secret": account.app_secret} if secret else {})}
        return self.client.request("GET", api, params={**query, **params}, with_token=False)


def _not_repeated(message: str, api: str) -> str:
    reason = NOT_REPEATABLE.get(api)
    note = _("not sent again, since WeChat may have carried it out")
    return f"{message}; {note}" + (f" ({reason})" if reason else "")


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _looks_like_json(response: requests.Response) -> bool:
    # A media download is the file itself, labelled with its own type (or none); an
    # error is a JSON object, whatever the label says.
    return response.content.lstrip()[:1] == b"{"


def _decode(response: requests.Response, api: str) -> dict[str, Any]:
    # WeChat labels JSON as text/plain, sometimes without a charset, and requests then
    # guesses ISO-8859-1: decode the bytes as UTF-8 ourselves.
    try:
        result = json.loads(response.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise TransportError(_("the answer is not JSON"), api) from None
    if not isinstance(result, dict):
        raise TransportError(_("the answer is not a JSON object"), api)
    return result


def _errmsg_of(response: requests.Response) -> str:
    # A gateway's HTML page says nothing useful; a JSON errmsg (the emulator's "no such
    # API", for one) does.
    try:
        errmsg = json.loads(response.content.decode("utf-8")).get("errmsg", "")
    except (UnicodeDecodeError, ValueError, AttributeError):
        return ""
    return str(errmsg)[:200]


def _errcode(result: Mapping[str, Any]) -> int:
    try:
        return int(result.get("errcode") or 0)
    except (TypeError, ValueError):
        return 0


@_hide_locals
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
