"""HTTP to WeChat: one API call sent, repeated when that is safe, its answer checked.

This is the only module of django_wechat that talks HTTP to WeChat. It encodes JSON the
way WeChat wants it (UTF-8, Chinese unescaped), decodes answers as UTF-8 whatever their
content-type says, turns a non-zero ``errcode`` into an exception, and retries what is
safe to retry. The access_token and the API groups are
:class:`~django_wechat.client.WeChatClient`'s (:mod:`django_wechat.client.client`).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from ..exceptions import APIError, InvalidCredential, QuotaExceeded, TransportError
from .logs import REDACTED, SECRET_FIELDS

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
hide_locals = sensitive_variables()


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


@dataclass(frozen=True)
class _Again:
    """An attempt that may be made once more, and why (for the log)."""

    why: str


def new_session() -> requests.Session:
    """A :class:`requests.Session` with one pool per host, big enough for a threaded
    worker's concurrent calls, and no retries of urllib3's own (the client does them)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class BaseClient:
    """The HTTP half of :class:`~django_wechat.client.WeChatClient`: sends one call to
    ``api_base_url`` over a pooled ``session``, repeats it when that is safe (``retry``),
    and checks WeChat's answer. Every attempt waits at most ``timeout`` seconds to connect
    and as long for the answer."""

    def __init__(
        self,
        api_base_url: str,
        *,
        timeout: float,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.api_base_url = api_base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.session = session if session is not None else new_session()

    @hide_locals
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
        """Send ``api`` until an attempt's answer is final or :attr:`retry` says stop."""
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
            # _attempt and _check hold the query, the body and the answer too: called from
            # here only, their locals are hidden with this frame's.
            may_retry = retry + 1 < self.retry.attempts
            sent = self._attempt(
                method,
                url,
                api,
                query=query,
                body=body,
                files=files,
                headers=headers,
                idempotent=idempotent,
                may_retry=may_retry,
            )
            answer = (
                sent
                if isinstance(sent, _Again)
                else self._check(sent, api, raw=raw, idempotent=idempotent, may_retry=may_retry)
            )
            if not isinstance(answer, _Again):
                return answer
            retry += 1
            self._pause(api, retry, answer.why)

    def _attempt(
        self,
        method: str,
        url: str,
        api: str,
        *,
        query: Mapping[str, Any],
        body: bytes | None,
        files: Mapping[str, Any] | None,
        headers: Mapping[str, str],
        idempotent: bool,
        may_retry: bool,
    ) -> requests.Response | _Again:
        """One exchange with WeChat: its response, or why it failed where sending again
        is safe; :class:`~django_wechat.exceptions.TransportError` where it is not."""
        try:
            return self.session.request(
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
            if may_retry and (idempotent or _not_sent(exc)):
                return _Again(type(exc).__name__)
            failure = _describe(exc, self.timeout)
            if not idempotent and not _not_sent(exc):
                failure = _not_repeated(failure, api)
        # Raised out of the except block, so that the requests exception (whose message
        # quotes the URL with its secrets) is not even its __context__.
        raise TransportError(failure, api)

    def _check(
        self,
        response: requests.Response,
        api: str,
        *,
        raw: bool,
        idempotent: bool,
        may_retry: bool,
    ) -> dict[str, Any] | requests.Response | _Again:
        """What WeChat's ``response`` says: its JSON object (the response itself with
        ``raw``), why asking again may help, or the exception for its error."""
        # An idempotent call answered 5xx by a gateway may be repeated; any other may
        # have been carried out behind the gateway.
        if response.status_code >= 500 and idempotent and may_retry:
            return _Again(f"HTTP {response.status_code}")
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
        if errcode == BUSY_ERRCODE and may_retry and api not in SINGLE_USE_CODES:
            return _Again("errcode -1")
        if errcode:
            # Not the response: its URL holds the access_token (or the AppSecret, a
            # follower's tokens), its request the JSON body with stable_token's secret,
            # and error reporters serialise exceptions.
            kept = ErrorAnswer(response.status_code, _redacted(result))
            raise error_for(errcode, str(result.get("errmsg", "")), api, kept)
        return response if raw else result

    def _pause(self, api: str, retry: int, why: str) -> None:
        seconds = self.retry.pause(retry)
        logger.warning("WeChat API %s: %s; retry %s in %.2f s", api, why, retry, seconds)
        time.sleep(seconds)


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
