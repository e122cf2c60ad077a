"""What the callback view checks before a message reaches dispatch.

In order: the declared body size; the query string's ``signature`` and ``timestamp``
(signed by the account's token, of the shape WeChat sends, within
``TIMESTAMP_TOLERANCE`` of the server's clock);
the body read up to ``MAX_BODY_SIZE``; in plain mode the signature bound to that body;
the envelope opened (the account's encryption mode, ``msg_signature``, decryption); the
parsed message's required fields. Each refusal raises a
:class:`~django_wechat.exceptions.SuspiciousCallback` that the view answers with a 4xx.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.cache import caches
from django.utils.translation import gettext as _

from . import cache as wcache
from . import crypto
from .conf import Account, EncryptMode, wechat_settings
from .exceptions import (
    BodyTooLarge,
    CallbackUnavailable,
    EncryptionMismatch,
    InvalidSignature,
    MalformedQuery,
    RequestExpired,
    XMLError,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .messages import BaseMessage

__all__ = [
    "Envelope",
    "bind_signature",
    "check_declared_size",
    "check_message",
    "check_query_shape",
    "check_request",
    "open_envelope",
    "query_values",
    "read_body",
]

# The logger bind_signature has always logged to.
logger = logging.getLogger("django_wechat.dispatch")


def query_values(request: HttpRequest) -> dict[str, str]:
    """The query string's values, decoded."""
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


# The shapes of the query values WeChat signs or sends (PROTOCOL.md B1: timestamp
# 1714036504, nonce 1514711492; signatures are SHA-1 hex digests). A value of another
# shape comes from someone else: a nonce with a control character, say, passes the
# signature but cannot be echoed into the encrypted reply once the handler has run.
_DIGITS = re.compile(r"[0-9]{1,20}")
_NONCE = re.compile(r"[0-9]{1,64}")
_SHA1 = re.compile(r"[0-9a-f]{40}")
_SHAPES = (
    ("timestamp", _DIGITS, True),
    ("nonce", _NONCE, True),
    ("msg_signature", _SHA1, False),
)


def check_query_shape(query: dict[str, str]) -> None:
    """Refuse a query whose ``timestamp`` or ``nonce`` is not digits, or whose
    ``msg_signature`` (when sent) is not a SHA-1 hex digest, with
    :class:`~django_wechat.exceptions.MalformedQuery` (400)."""
    for name, shape, required in _SHAPES:
        value = query.get(name)
        if (value is not None or required) and not shape.fullmatch(value or ""):
            raise MalformedQuery(
                _("The request's %(name)s is not of the shape WeChat sends.") % {"name": name}
            )


def check_request(request: HttpRequest, account: Account) -> dict[str, str]:
    """Check ``signature``, the query values' shape and ``timestamp``; return the query."""
    query = query_values(request)
    timestamp = query.get("timestamp", "")
    crypto.check_signature(
        account.token, query.get("signature", ""), timestamp, query.get("nonce", "")
    )
    # After the signature, so an unsigned request is "forbidden" whatever its shape; a
    # signed one of a shape WeChat never sends is a bad request, before any handler.
    check_query_shape(query)
    # Checked after the signature, so the timestamp is known to be WeChat's: a
    # captured request replayed later than the tolerance is refused.
    if abs(time.time() - int(timestamp)) > wechat_settings.TIMESTAMP_TOLERANCE:
        raise RequestExpired(
            _("The request's timestamp is more than %(seconds)d s from the server's clock.")
            % {"seconds": wechat_settings.TIMESTAMP_TOLERANCE}
        )
    return query


def check_declared_size(request: HttpRequest) -> None:
    """Refuse a body whose ``Content-Length`` exceeds ``MAX_BODY_SIZE``, before reading it."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > wechat_settings.MAX_BODY_SIZE:
        raise BodyTooLarge(_("The request body is larger than MAX_BODY_SIZE."))


def read_body(request: HttpRequest) -> bytes:
    """The request body, refused when it is longer than ``MAX_BODY_SIZE``."""
    limit = wechat_settings.MAX_BODY_SIZE
    # Read at most one byte past the limit, whatever Content-Length claimed.
    body = request.read(limit + 1)
    if len(body) > limit:
        raise BodyTooLarge(_("The request body is larger than MAX_BODY_SIZE."))
    return body


@dataclass(slots=True)
class Envelope:
    """A callback body opened: the message XML, and how to seal the reply to it."""

    #: The message XML (plaintext).
    xml: str | bytes
    #: The request's nonce, which an encrypted reply reuses.
    nonce: str
    #: The crypto bound to the key that decrypted the message; None in plain mode.
    crypto: crypto.WeChatCrypto | None = None

    def seal(self, reply: str) -> str:
        """``reply`` as it goes back: encrypted when the message was."""
        if self.crypto is None:
            return reply
        return self.crypto.encrypt_message(reply, self.nonce)


def open_envelope(account: Account, query: dict[str, str], body: bytes) -> Envelope:
    """Check the body against the account's encryption mode and open it.

    Plain mode binds the signature to the body (:func:`bind_signature`) and refuses an
    encrypted request; the other modes check ``msg_signature`` and decrypt.
    """
    encrypted = query.get("encrypt_type", "")
    nonce = query.get("nonce", "")
    if account.encrypt_mode is EncryptMode.PLAIN:
        # Bound before any other refusal, so no signed URL stays unused for a forgery.
        bind_signature(account, query.get("signature", ""), body)
        if encrypted:
            raise EncryptionMismatch(
                _("This account is in plaintext mode but the request is encrypted.")
            )
        return Envelope(body, nonce)
    # Safe mode sends only Encrypt; compatible mode sends the plaintext fields beside it,
    # but only Encrypt is covered by msg_signature, so only it is read.
    if encrypted.lower() != "aes":
        raise EncryptionMismatch(_("This account requires encrypted messages (encrypt_type=aes)."))
    decrypted = crypto.WeChatCrypto.from_account(account).decrypt_envelope(
        body, query.get("msg_signature", ""), query["timestamp"], nonce
    )
    return Envelope(decrypted.xml, nonce, decrypted.crypto)


def check_message(message: BaseMessage) -> None:
    """Refuse a message that cannot be answered or de-duplicated."""
    if not (message.source and message.type and message.timestamp):
        # Every message WeChat sends has these.
        raise XMLError(_("The message lacks FromUserName, MsgType or CreateTime."))


#: What :func:`bind_signature` stores for a signature first seen on a URL verification
#: (GET): no POST body may follow it.
VERIFICATION = "verify"


def bind_signature(account: Account, signature: str, body: bytes | None) -> None:
    """Plain mode: refuse a signed query string that comes back with another body.

    In plain mode ``signature`` covers the token, timestamp and nonce but not the body, so
    whoever sees a callback URL (an access log, a proxy) could post any message with it
    while its timestamp is fresh. The first use of a signature is remembered for the
    timestamp window: a URL verification (``body=None``) or a body. The same signature with
    any other body is refused, while WeChat's retries (the same body) pass. A URL seen
    before WeChat itself used it can still carry a forgery once: prefer ``safe`` mode,
    whose ``msg_signature`` covers the encrypted body.

    While the cache fails nothing can be bound, so the request is refused with
    :class:`~django_wechat.exceptions.CallbackUnavailable` (503; WeChat delivers it again):
    answering would let a signed URL carry any body.
    """
    key = wcache.signature_key(account, signature)
    value = VERIFICATION if body is None else hashlib.blake2b(body, digest_size=16).hexdigest()
    try:
        cache = caches[wechat_settings.CACHE]
        if wcache.call(cache.add, key, value, timeout=wcache.callback_ttl()):
            return
        stored = wcache.call(cache.get, key)
    except wcache.CacheFailed as exc:
        logger.error(
            "The WeChat cache %r failed (%s); a plain-mode request cannot be bound to its "
            "signature: refusing (503).",
            wechat_settings.CACHE,
            type(exc.__cause__).__name__,
        )
        raise CallbackUnavailable(
            _("The WeChat cache is unavailable; WeChat will deliver the message again.")
        ) from exc
    if body is not None and stored is not None and stored != value:
        raise InvalidSignature(_("This signature was already used with a different message body."))
