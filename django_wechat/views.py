"""The callback endpoint WeChat calls for every message and event.

Glue only: what is checked before dispatch is :mod:`django_wechat.request_checks`'
(signatures and encryption are :mod:`django_wechat.crypto`'s), XML is
:mod:`django_wechat.xml`'s, messages are :mod:`django_wechat.messages`' and running the
handlers once per message is :mod:`django_wechat.dispatch`'s. Each step of a ``POST`` is a
method a subclass can override (see "Extending the view" in the docs).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.views import View

from . import request_checks
from . import xml as wxml
from .addresses import client_address
from .conf import Account, EncryptMode, get_account, wechat_settings
from .dispatch import dispatch
from .exceptions import (
    BodyTooLarge,
    CallbackUnavailable,
    DecryptError,
    InvalidSignature,
    RequestExpired,
    SuspiciousCallback,
    UnknownAccount,
    XMLError,
)
from .messages import parse_message
from .replies import SUCCESS
from .request_checks import Envelope

if TYPE_CHECKING:
    from .messages import BaseMessage

__all__ = ["CallbackView"]

logger = logging.getLogger("django_wechat.callback")


# Each refusal's status: a bad signature or stale timestamp is "forbidden"; a body we
# cannot read is a "bad request"; an oversize one is "payload too large"; a request the
# cache cannot vouch for now is "service unavailable" (WeChat delivers it again).
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (CallbackUnavailable, 503),
    (InvalidSignature, 403),
    (RequestExpired, 403),
    (BodyTooLarge, 413),
    (DecryptError, 400),
    (XMLError, 400),
    (SuspiciousCallback, 400),
)


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

    A ``POST`` runs :meth:`check_request`, :meth:`read_body`, :meth:`open_envelope`,
    :meth:`parse`, :meth:`answer` and :meth:`respond` in turn: override one in a subclass
    to change that step alone.
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
            raise Http404(str(exc)) from None
        if not account.receives_callbacks:
            # A website app (or a mini program without message push) has no callback:
            # its URL is as unknown as a misspelt account's.
            raise Http404(f"No WeChat callback for account {account.name!r}.")
        try:
            return super().dispatch(request, account)
        except (SuspiciousCallback, CallbackUnavailable) as exc:
            return self.refuse(request, account, exc)

    def refuse(
        self,
        request: HttpRequest,
        account: Account,
        exc: SuspiciousCallback | CallbackUnavailable,
    ) -> HttpResponse:
        """The 4xx (or, while the cache fails, 503) answer to a refused request, logged
        without secrets."""
        status = next(code for kind, code in _STATUS if isinstance(exc, kind))
        if request.method == "GET" and status == 400:
            status = 403
        # The exceptions' messages never hold tokens or keys; the query string (with
        # signatures, which are not secrets but are noise) is left out.
        logger.warning(
            "Refused a WeChat callback for account %r from %s: %s (%s).",
            account.name,
            client_address(request) or "?",
            exc,
            type(exc).__name__,
        )
        return HttpResponse(str(exc), status=status, content_type="text/plain; charset=utf-8")

    @staticmethod
    def check_request(request: HttpRequest, account: Account) -> dict[str, str]:
        """Check ``signature`` and ``timestamp``; return the query parameters."""
        return request_checks.check_request(request, account)

    def get(self, request: HttpRequest, account: Account) -> HttpResponse:
        """URL verification: answer ``echostr`` verbatim when ``signature`` matches."""
        query = self.check_request(request, account)
        if account.encrypt_mode is EncryptMode.PLAIN:
            # A verification URL must not carry a plain-mode POST body later.
            request_checks.bind_signature(account, query.get("signature", ""), None)
        # Official Accounts send echostr in plaintext, even in safe mode (PROTOCOL.md D7).
        return HttpResponse(query.get("echostr", ""), content_type="text/plain; charset=utf-8")

    def post(self, request: HttpRequest, account: Account) -> HttpResponse:
        """Verify, decrypt, parse and dispatch one message; answer its reply."""
        request_checks.check_declared_size(request)
        query = self.check_request(request, account)
        body = self.read_body(request, account)
        envelope = self.open_envelope(request, account, query, body)
        message = self.parse(request, account, envelope)
        return self.respond(request, account, envelope, self.answer(request, account, message))

    # The steps of a POST, in order; each may be overridden.

    def read_body(self, request: HttpRequest, account: Account) -> bytes:
        """The request body, at most ``MAX_BODY_SIZE`` bytes (else 413)."""
        return request_checks.read_body(request)

    def open_envelope(
        self, request: HttpRequest, account: Account, query: dict[str, str], body: bytes
    ) -> Envelope:
        """The message XML from ``body``: checked against the account's mode, decrypted."""
        return request_checks.open_envelope(account, query, body)

    def parse(self, request: HttpRequest, account: Account, envelope: Envelope) -> BaseMessage:
        """The message object, refused (400) when it lacks what every message has."""
        message = parse_message(wxml.parse(envelope.xml, max_size=wechat_settings.MAX_BODY_SIZE))
        request_checks.check_message(message)
        return message

    def answer(self, request: HttpRequest, account: Account, message: BaseMessage) -> str:
        """The reply to ``message`` (plaintext XML, or ``success``), once per message."""
        return dispatch(message, account, request)

    def respond(
        self, request: HttpRequest, account: Account, envelope: Envelope, reply: str
    ) -> HttpResponse:
        """The HTTP answer carrying ``reply``, sealed as the message came."""
        if reply == SUCCESS or not reply:
            # "success" and empty answers are never encrypted (message-push.html).
            return HttpResponse(_SUCCESS, content_type=_TEXT)
        return HttpResponse(envelope.seal(reply).encode(), content_type=_XML)
