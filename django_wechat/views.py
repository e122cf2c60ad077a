"""The callback endpoint WeChat calls for every message and event.

Glue only: signatures and encryption are :mod:`django_wechat.crypto`'s, XML is
:mod:`django_wechat.xml`'s, messages are :mod:`django_wechat.messages`' and running the
handlers once per message is :mod:`django_wechat.dispatch`'s.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from django.views import View

from . import crypto
from . import xml as wxml
from .conf import Account, EncryptMode, get_account, wechat_settings
from .dispatch import SUCCESS, bind_signature, dispatch
from .exceptions import (
    BodyTooLarge,
    DecryptError,
    EncryptionMismatch,
    InvalidSignature,
    RequestExpired,
    SuspiciousCallback,
    UnknownAccount,
    XMLError,
)
from .messages import parse_message

__all__ = ["CallbackView"]

logger = logging.getLogger("django_wechat.callback")


# Each refusal's status: a bad signature or stale timestamp is "forbidden"; a body we
# cannot read is a "bad request"; an oversize one is "payload too large".
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (InvalidSignature, 403),
    (RequestExpired, 403),
    (BodyTooLarge, 413),
    (DecryptError, 400),
    (XMLError, 400),
    (SuspiciousCallback, 400),
)


def _query(request: HttpRequest) -> dict[str, str]:
    # WeChat's query values are digits, hex and "aes": split them directly, which costs a
    # fraction of building request.GET; anything escaped goes through Django's parser.
    raw = request.META.get("QUERY_STRING", "")
    if "%" in raw or "+" in raw or not raw.isascii():
        return {key: request.GET.get(key, "") for key in request.GET}
    query: dict[str, str] = {}
    for pair in raw.split("&"):
        key, _sep, value = pair.partition("=")
        query[key] = value
    return query


# Answers are built from bytes: a str body makes HttpResponse look up the charset in the
# content type on every response.
_TEXT = "text/plain; charset=utf-8"
_XML = "application/xml; charset=utf-8"
_SUCCESS = SUCCESS.encode()


class CallbackView(View):
    """``GET``: WeChat's URL verification. ``POST``: a message or event, answered.

    Mounted by ``django_wechat.urls`` as ``wechat:callback`` with the account's name in
    the URL. Anything refused before dispatch (signature, timestamp, encryption, XML, body
    size) gets a 4xx with a short reason, is logged at warning level, and reaches no
    handler and no signal.
    """

    http_method_names = ["get", "post"]  # noqa: RUF012 - as Django declares it

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        """The view function, exempt from CSRF checks (WeChat signs its requests instead)."""
        view = super().as_view(**initkwargs)
        # What @csrf_exempt sets, without its per-request wrapper call.
        view.csrf_exempt = True  # type: ignore[attr-defined]
        return view

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            account = get_account(kwargs["account"])
        except UnknownAccount as exc:
            # Shown only on DEBUG's 404 page; account names are not secrets.
            raise Http404(
                _("No WeChat account %(name)r in WECHAT['ACCOUNTS']; configured: %(names)s.")
                % {"name": exc.name, "names": ", ".join(map(repr, exc.configured)) or "-"}
            ) from None
        try:
            return super().dispatch(request, account)
        except SuspiciousCallback as exc:
            return self.refuse(request, account, exc)

    def refuse(
        self, request: HttpRequest, account: Account, exc: SuspiciousCallback
    ) -> HttpResponse:
        """The 4xx answer to a refused request, logged without secrets."""
        status = next(code for kind, code in _STATUS if isinstance(exc, kind))
        if request.method == "GET" and status == 400:
            status = 403
        # The exceptions' messages never hold tokens or keys; the query string (with
        # signatures, which are not secrets but are noise) is left out.
        logger.warning(
            "Refused a WeChat callback for account %r from %s: %s (%s).",
            account.name,
            request.META.get("REMOTE_ADDR", "?"),
            exc,
            type(exc).__name__,
        )
        return HttpResponse(str(exc), status=status, content_type="text/plain; charset=utf-8")

    @staticmethod
    def check_request(request: HttpRequest, account: Account) -> dict[str, str]:
        """Check ``signature`` and ``timestamp``; return the query parameters."""
        query = _query(request)
        timestamp = query.get("timestamp", "")
        nonce = query.get("nonce", "")
        try:
            sent = int(timestamp)
        except ValueError:
            raise InvalidSignature(_("The request has no valid timestamp.")) from None
        crypto.check_signature(account.token, query.get("signature", ""), timestamp, nonce)
        # Checked after the signature, so the timestamp is known to be WeChat's: a
        # captured request replayed later than the tolerance is refused.
        if abs(time.time() - sent) > wechat_settings.TIMESTAMP_TOLERANCE:
            raise RequestExpired(
                _("The request's timestamp is more than %(seconds)d s from the server's clock.")
                % {"seconds": wechat_settings.TIMESTAMP_TOLERANCE}
            )
        return query

    def get(self, request: HttpRequest, account: Account) -> HttpResponse:
        """URL verification: answer ``echostr`` verbatim when ``signature`` matches."""
        query = self.check_request(request, account)
        if account.encrypt_mode is EncryptMode.PLAIN:
            # A verification URL must not carry a plain-mode POST body later.
            bind_signature(account, query.get("signature", ""), None)
        # Official Accounts send echostr in plaintext, even in safe mode (PROTOCOL.md D7).
        return HttpResponse(query.get("echostr", ""), content_type="text/plain; charset=utf-8")

    def post(self, request: HttpRequest, account: Account) -> HttpResponse:
        """Verify, decrypt, parse and dispatch one message; answer its reply."""
        limit = wechat_settings.MAX_BODY_SIZE
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise BodyTooLarge(_("The request body is larger than MAX_BODY_SIZE."))
        query = self.check_request(request, account)
        timestamp, nonce = query["timestamp"], query.get("nonce", "")
        # Read at most one byte past the limit, whatever Content-Length claimed.
        body = request.read(limit + 1)
        if len(body) > limit:
            raise BodyTooLarge(_("The request body is larger than MAX_BODY_SIZE."))

        encrypted = query.get("encrypt_type", "")
        replier: crypto.WeChatCrypto | None = None
        if account.encrypt_mode is EncryptMode.PLAIN:
            # Bound before any other refusal, so no signed URL stays unused for a forgery.
            bind_signature(account, query.get("signature", ""), body)
            if encrypted:
                raise EncryptionMismatch(
                    _("This account is in plaintext mode but the request is encrypted.")
                )
            plaintext: str | bytes = body
        else:
            # Safe mode sends only Encrypt; compatible mode sends the plaintext fields
            # beside it, but only Encrypt is covered by msg_signature, so only it is read.
            if encrypted.lower() != "aes":
                raise EncryptionMismatch(
                    _("This account requires encrypted messages (encrypt_type=aes).")
                )
            decrypted = crypto.WeChatCrypto.from_account(account).decrypt_envelope(
                body, query.get("msg_signature", ""), timestamp, nonce
            )
            plaintext = decrypted.xml
            replier = decrypted.crypto

        message = parse_message(wxml.parse(plaintext, max_size=limit))
        if not (message.source and message.type and message.timestamp):
            # Every message WeChat sends has these; without them it cannot be answered
            # or de-duplicated.
            raise XMLError(_("The message lacks FromUserName, MsgType or CreateTime."))
        reply = dispatch(message, account, request)
        if reply == SUCCESS or not reply:
            # "success" and empty answers are never encrypted (message-push.html).
            return HttpResponse(_SUCCESS, content_type=_TEXT)
        if replier is not None:
            reply = replier.encrypt_message(reply, nonce)
        return HttpResponse(reply.encode(), content_type=_XML)
