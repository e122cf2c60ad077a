"""The mini-program login: ``wechat:miniprogram_login`` and ``wechat:miniprogram_phone_number``.

A mini program calls ``wx.login()``, then ``POST``\\ s ``{"code": "..."}`` as JSON to
``wechat/miniprogram/login/<account>/``. The view exchanges the code (``jscode2session``,
through :class:`~django_wechat.oauth.backends.WeChatBackend`), finds or creates the
:class:`~django_wechat.models.WeChatUser` (linked through ``unionid`` like every login),
logs the user in and answers::

    {"ok": true, "openid": "...", "created": false,
     "session": {"value": "<session id>", "cookie": "sessionid",
                 "header": "X-WeChat-Session", "expires_in": 1209600}}

The mini program sends the session back with each later request, either as the cookie
(``Cookie: sessionid=<value>``) or, with
:class:`~django_wechat.oauth.middleware.SessionHeaderMiddleware`, as the header
(``X-WeChat-Session: <value>``). ``session_key`` never leaves the server.

Every failure is JSON, ``{"ok": false, "code": "...", "message": "..."}`` (the ``code``
is stable, the message translated): ``code_invalid`` (40029 ...), ``high_risk`` (40226),
``rate_limited`` (45011, or more than ``WECHAT["MINIPROGRAM_LOGIN_RATE"]`` logins a minute
from one client address, read as ``WECHAT["CLIENT_ADDRESS"]`` says), ``bad_request``,
``login_required`` ... never a 500.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ..addresses import client_address, rate_bucket
from ..cache import CacheFailed, call, miniprogram_rate_key
from ..client import get_client
from ..conf import Account, AccountKind, wechat_settings
from ..exceptions import APIError, TransportError
from .backends import api_failure
from .failures import MESSAGES, STATUS, LoginFailure, Reason
from .middleware import SESSION_HEADER
from .views import account_or_404, complete_login

__all__ = ["MiniProgramLoginView", "MiniProgramPhoneNumberView", "MiniProgramView", "json_error"]

logger = logging.getLogger("django_wechat.oauth")

#: How long a code string may be: WeChat's are 32 characters.
MAX_CODE_LENGTH = 128


def json_error(reason: Reason) -> JsonResponse:
    """The JSON answer for a failure: ``{"ok": false, "code", "message"}``, its status
    the error page's."""
    _title, message = MESSAGES[reason]
    return JsonResponse(
        {"ok": False, "code": reason.value, "message": str(message)}, status=STATUS[reason]
    )


def _read_code(request: HttpRequest) -> str:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not code or len(code) > MAX_CODE_LENGTH:
        raise LoginFailure(Reason.BAD_REQUEST, "no code in the body")
    return code


def _check_rate(request: HttpRequest, account: Account) -> None:
    """Refuse a client's login beyond ``MINIPROGRAM_LOGIN_RATE`` a minute (shared cache)."""
    cache = caches[wechat_settings.CACHE]
    window = int(time.time() // 60)
    bucket = rate_bucket(client_address(request))
    key = miniprogram_rate_key(account.app_id, bucket, window)
    call(cache.add, key, 0, 120)
    try:
        count = call(cache.incr, key)
    except CacheFailed as exc:
        if not isinstance(exc.__cause__, ValueError):
            raise
        count = 1  # expired between add and incr: Django's incr raises ValueError
        call(cache.set, key, count, 120)
    if count > wechat_settings.MINIPROGRAM_LOGIN_RATE:
        raise LoginFailure(Reason.RATE_LIMITED, "this client's MINIPROGRAM_LOGIN_RATE")


@method_decorator(csrf_exempt, name="dispatch")
class MiniProgramView(View):
    """The base of the mini program's JSON views: ``POST {"code": ...}`` to a mini-program
    account's URL, rate-limited per client; a failure is :func:`json_error`, never a 500."""

    http_method_names = ["post"]  # noqa: RUF012 - as Django declares it
    #: What the log calls this view's work.
    action = ""

    def post(self, request: HttpRequest, account: str) -> JsonResponse:
        acc = account_or_404(account, (AccountKind.MINIPROGRAM,))
        try:
            self.check(request)
            _check_rate(request, acc)
            return JsonResponse(self.handle(request, acc, _read_code(request)))
        except LoginFailure as failure:
            logger.info(
                "Mini-program %s for account %r refused: %s", self.action, acc.name, failure
            )
            return json_error(failure.reason)
        except Exception:
            logger.exception("Mini-program %s for account %r failed", self.action, acc.name)
            return json_error(Reason.ERROR)

    def check(self, request: HttpRequest) -> None:
        """Refuse the request before the rate count; nothing by default."""

    def handle(self, request: HttpRequest, account: Account, code: str) -> dict[str, Any]:
        """The answer for ``code``; raises :class:`LoginFailure`."""
        raise NotImplementedError


class MiniProgramLoginView(MiniProgramView):
    """``wechat:miniprogram_login``: ``POST {"code": ...}`` (JSON) from ``wx.login()``."""

    action = "login"

    def handle(self, request: HttpRequest, account: Account, code: str) -> dict[str, Any]:
        user, result = complete_login(request, account, code)
        return self.answer(request, user, result.wechat_user, result.created)

    def answer(
        self, request: HttpRequest, user: Any, wechat_user: Any, created: bool
    ) -> dict[str, Any]:
        """What the mini program gets after a login (never the session_key)."""
        session = request.session
        if session.session_key is None:
            session.save()
        return {
            "ok": True,
            "openid": wechat_user.openid,
            "created": created,
            "session": {
                "value": session.session_key,
                "cookie": settings.SESSION_COOKIE_NAME,
                "header": SESSION_HEADER,
                "expires_in": session.get_expiry_age(),
            },
        }


class MiniProgramPhoneNumberView(MiniProgramView):
    """``wechat:miniprogram_phone_number``: ``POST {"code": ...}`` (JSON) from a
    ``getPhoneNumber`` button, by a logged-in user; answers ``{"ok": true,
    "phone_number", "pure_phone_number", "country_code"}``."""

    action = "phone number"

    def check(self, request: HttpRequest) -> None:
        if not request.user.is_authenticated:
            raise LoginFailure(Reason.LOGIN_REQUIRED)

    def handle(self, request: HttpRequest, account: Account, code: str) -> dict[str, Any]:
        info = self.fetch(account, code)
        return {
            "ok": True,
            "phone_number": info.get("phoneNumber", ""),
            "pure_phone_number": info.get("purePhoneNumber", ""),
            "country_code": info.get("countryCode", ""),
        }

    def fetch(self, account: Account, code: str) -> dict[str, Any]:
        """``client.miniprogram.get_phone_number(code)``, its watermark checked."""
        try:
            info = get_client(account.name).miniprogram.get_phone_number(code)
        except (APIError, TransportError) as exc:
            raise api_failure(exc) from None
        watermark = info.get("watermark") or {}
        if watermark.get("appid") != account.app_id:
            raise LoginFailure(Reason.WECHAT_REFUSED, "the watermark names another AppID")
        return info
