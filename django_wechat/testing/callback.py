"""Build the callback requests WeChat would send, and read the replies your site gives.

For Django's test client::

    from django_wechat.testing import callback_request, read_reply

    def test_greeting(client):
        response = callback_request(text="hi").send(client)
        assert read_reply(response).content == "Hello!"

The request is signed with the account's token and, following the account's
``ENCRYPT_MODE``, encrypted with its EncodingAESKey exactly as WeChat does, so it passes
through the real callback view: signature, decryption, de-duplication, your handlers,
the reply's encryption. :func:`read_reply` checks the reply's signature, decrypts it and
parses it. ``manage.py wechat_simulate`` sends the same requests to a running site.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from django.urls import reverse

from .. import xml as wxml
from ..conf import DEFAULT_ACCOUNT, Account, EncryptMode, get_account
from ..crypto import WeChatCrypto, make_signature
from ..exceptions import InvalidSignature, ReplyError
from ..handlers import Registry, registry

__all__ = [
    "DEFAULT_FOLLOWER",
    "CallbackReply",
    "CallbackRequest",
    "callback_request",
    "isolated_handlers",
    "read_reply",
    "seal",
    "verification_request",
]

#: The follower's openid requests come from unless told otherwise; the emulator seeds the
#: same demo followers.
DEFAULT_FOLLOWER = "o-demo-follower-1"

# WeChat spells some events in capitals and others in lower case (PROTOCOL.md B5); the
# builder sends each the way WeChat does, whatever case the test used.
_EVENT_SPELLING = {
    name.lower(): name
    for name in (
        "CLICK",
        "VIEW",
        "SCAN",
        "LOCATION",
        "TEMPLATESENDJOBFINISH",
        "MASSSENDJOBFINISH",
        "PUBLISHJOBFINISH",
    )
}


class _Client(Protocol):
    def get(self, path: str, *args: Any, **kwargs: Any) -> Any: ...

    def post(self, path: str, *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class CallbackRequest:
    """One request as WeChat would send it to the callback URL."""

    account: Account
    #: ``"POST"`` for a message, ``"GET"`` for URL verification.
    method: str
    #: The callback's path (or absolute URL), without the query string.
    path: str
    #: The query parameters: signature, timestamp, nonce, and for encrypted messages
    #: encrypt_type and msg_signature.
    query: dict[str, str]
    #: The body as sent (encrypted or not); empty for ``GET``.
    body: bytes
    #: The message's plaintext fields (empty for ``GET``).
    message: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """``path`` with the query string."""
        return f"{self.path}?{urlencode(self.query)}"

    @property
    def nonce(self) -> str:
        """The request's ``nonce``; an encrypted reply may echo it."""
        return self.query["nonce"]

    def send(self, client: _Client, **extra: Any) -> Any:
        """Send the request with Django's test ``Client`` (or anything with its API)."""
        if self.method == "GET":
            return client.get(self.url, **extra)
        return client.post(self.url, data=self.body, content_type="text/xml", **extra)


def _account(account: str | Account) -> Account:
    return account if isinstance(account, Account) else get_account(account)


def _path(account: Account, url: str | None) -> str:
    if url is None:
        return reverse("wechat:callback", kwargs={"account": account.name})
    return url.split("?", 1)[0]


def _signed_query(
    account: Account, timestamp: int | str | None, nonce: str | None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    # Digits, as WeChat sends (the callback refuses any other shape).
    nonce = str(secrets.randbelow(10**10)) if nonce is None else nonce
    return {
        "signature": make_signature(account.token, stamp, nonce),
        "timestamp": stamp,
        "nonce": nonce,
    }


def _message_fields(
    message: Mapping[str, Any] | str | bytes | Any | None,
    *,
    text: str | None,
    event: str | None,
    key: str | None,
    source: str,
    fields: Mapping[str, Any],
) -> dict[str, Any]:
    if message is None:
        built: dict[str, Any] = {}
    elif isinstance(message, str | bytes):
        built = wxml.parse(message)
    elif isinstance(message, Mapping):
        built = dict(message)
    elif isinstance(getattr(message, "raw", None), Mapping):
        built = dict(message.raw)  # a parsed message from django_wechat.messages
    else:
        raise TypeError(
            f"A callback message is a dict of XML fields, an XML string or a parsed "
            f"message, not {type(message).__name__}."
        )
    if text is not None:
        built.setdefault("MsgType", "text")
        built["Content"] = text
    if event is not None:
        built["MsgType"] = "event"
        built["Event"] = _EVENT_SPELLING.get(event.lower(), event)
    if key is not None:
        built["EventKey"] = key
    built.update(fields)
    built.setdefault("MsgType", "text")
    if built["MsgType"] == "text":
        built.setdefault("Content", "")
    result: dict[str, Any] = {
        "ToUserName": built.pop("ToUserName", "gh_0123456789ab"),
        "FromUserName": built.pop("FromUserName", source),
        "CreateTime": built.pop("CreateTime", int(time.time())),
        "MsgType": built.pop("MsgType"),
    }
    result.update(built)
    if result["MsgType"] != "event" and "MsgId" not in result:
        # Normal messages carry a 64-bit MsgId (PROTOCOL.md B4); events have none.
        result["MsgId"] = str(secrets.randbits(63))
    return result


def seal(
    account: Account,
    message: Mapping[str, Any],
    *,
    encrypt_mode: EncryptMode | None = None,
    timestamp: int | str | None = None,
    nonce: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and query string WeChat sends to ``account``'s callback for ``message``.

    ``message`` holds the full XML fields (ToUserName, FromUserName, ...). The query is
    signed with the account's token; in compatible and safe mode the body is encrypted
    with its EncodingAESKey and signed with ``msg_signature`` (消息加解密说明).
    """
    mode = account.encrypt_mode if encrypt_mode is None else encrypt_mode
    plaintext = wxml.render(message)
    query = _signed_query(account, timestamp, nonce)
    query["openid"] = str(message["FromUserName"])
    if mode is EncryptMode.PLAIN:
        return plaintext.encode(), query
    encrypted = WeChatCrypto.from_account(account).encrypt(plaintext)
    # Safe mode sends only ToUserName and Encrypt; compatible mode sends the plaintext
    # fields too (PROTOCOL.md B2).
    envelope = {"ToUserName": message["ToUserName"]} if mode is EncryptMode.SAFE else dict(message)
    envelope["Encrypt"] = encrypted
    query["encrypt_type"] = "aes"
    query["msg_signature"] = make_signature(
        account.token, query["timestamp"], query["nonce"], encrypted
    )
    return wxml.render(envelope).encode(), query


def callback_request(
    message: Mapping[str, Any] | str | bytes | Any | None = None,
    /,
    *,
    text: str | None = None,
    event: str | None = None,
    key: str | None = None,
    account: str | Account = DEFAULT_ACCOUNT,
    source: str = DEFAULT_FOLLOWER,
    url: str | None = None,
    timestamp: int | str | None = None,
    nonce: str | None = None,
    encrypt_mode: EncryptMode | str | None = None,
    **fields: Any,
) -> CallbackRequest:
    """The signed (and, per the account's mode, encrypted) POST WeChat would send.

    Describe the message with a dict of its XML fields (``{"MsgType": "image",
    "PicUrl": ..., "MediaId": ...}``), an XML string, a parsed message, or the shortcuts
    ``text="hi"``, ``event="subscribe"``, ``event="click", key="V1001_GOOD"``; other
    keyword arguments are added as fields (``MediaId="..."``). ``ToUserName``,
    ``FromUserName`` (``source``), ``CreateTime`` (now) and, for messages, a random
    ``MsgId`` are filled in when missing. Pass the same ``MsgId`` (or the same event
    ``CreateTime``) twice to stage one of WeChat's retries.

    ``timestamp`` and ``nonce`` default to now and a random value; ``encrypt_mode``
    overrides the account's ``ENCRYPT_MODE``; ``url`` is the callback URL (default:
    ``reverse("wechat:callback")`` for the account).
    """
    acct = _account(account)
    mode = EncryptMode(encrypt_mode) if encrypt_mode is not None else acct.encrypt_mode
    fields_ = _message_fields(
        message, text=text, event=event, key=key, source=source, fields=fields
    )
    body, query = seal(acct, fields_, encrypt_mode=mode, timestamp=timestamp, nonce=nonce)
    return CallbackRequest(
        account=acct,
        method="POST",
        path=_path(acct, url),
        query=query,
        body=body,
        message=fields_,
    )


def verification_request(
    echostr: str | None = None,
    *,
    account: str | Account = DEFAULT_ACCOUNT,
    url: str | None = None,
    timestamp: int | str | None = None,
    nonce: str | None = None,
) -> CallbackRequest:
    """The GET WeChat sends when the callback URL is saved in its console.

    The site must answer ``echostr`` (random digits by default) verbatim.
    """
    acct = _account(account)
    query = _signed_query(acct, timestamp, nonce)
    query["echostr"] = str(secrets.randbits(62)) if echostr is None else echostr
    return CallbackRequest(account=acct, method="GET", path=_path(acct, url), query=query, body=b"")


@dataclass(frozen=True)
class CallbackReply:
    """A callback's answer, decrypted and parsed."""

    #: The reply's fields (``MsgType``, ``Content``, ``Image``...); empty for ``success``.
    fields: dict[str, Any]
    #: The plaintext reply XML; ``""`` for ``success``.
    xml: str
    #: True when the answer was encrypted (and its ``MsgSignature`` checked).
    encrypted: bool

    @property
    def empty(self) -> bool:
        """True for ``success`` or an empty body: WeChat shows the follower nothing."""
        return not self.fields

    @property
    def type(self) -> str | None:
        """The reply's ``MsgType`` (``text``, ``image``, ``news``...), or None when empty."""
        value = self.fields.get("MsgType")
        return value if isinstance(value, str) else None

    @property
    def content(self) -> str | None:
        """A text reply's ``Content``."""
        value = self.fields.get("Content")
        return value if isinstance(value, str) else None

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]


def read_reply(response: Any, *, account: str | Account | None = None) -> CallbackReply:
    """Decrypt and parse a callback's answer.

    ``response`` is a Django test response, a ``requests`` response, or the body
    (bytes or str). An encrypted answer's ``MsgSignature`` is checked with the account's
    token (:class:`~django_wechat.exceptions.InvalidSignature` otherwise). A safe-mode
    account's non-empty answer must be encrypted, or
    :class:`~django_wechat.exceptions.ReplyError` is raised: WeChat would drop it.
    ``account`` defaults to the one in the request's URL, else ``"default"``.
    """
    body = getattr(response, "content", response)
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes):
        raise TypeError(f"Cannot read a callback reply from {type(response).__name__}.")
    acct = _account(account if account is not None else _account_of(response))
    status = getattr(response, "status_code", 200)
    if status != 200:
        raise ReplyError(
            f"The callback answered HTTP {status}: {body[:200].decode('utf-8', 'replace')}"
        )
    if body.strip() in (b"", b"success"):
        return CallbackReply(fields={}, xml="", encrypted=False)
    outer = wxml.parse(body)
    if "Encrypt" not in outer:
        if acct.encrypt_mode is EncryptMode.SAFE:
            raise ReplyError(f"Account {acct.name!r}: safe mode needs an encrypted reply.")
        return CallbackReply(fields=outer, xml=body.decode(), encrypted=False)
    if acct.encrypt_mode is EncryptMode.PLAIN:
        raise ReplyError(f"Account {acct.name!r} is in plain mode but the reply is encrypted.")
    encrypted = str(outer["Encrypt"])
    expected = make_signature(
        acct.token, str(outer.get("TimeStamp", "")), str(outer.get("Nonce", "")), encrypted
    )
    if outer.get("MsgSignature") != expected:
        raise InvalidSignature("The reply's MsgSignature does not match its Encrypt element.")
    plaintext = WeChatCrypto.from_account(acct).decrypt(encrypted)
    return CallbackReply(fields=wxml.parse(plaintext), xml=plaintext, encrypted=True)


def _account_of(response: Any) -> str:
    # Django's test client keeps the resolved URL on the response.
    match = getattr(response, "resolver_match", None)
    if match is not None and "account" in getattr(match, "kwargs", {}):
        return str(match.kwargs["account"])
    return DEFAULT_ACCOUNT


@contextmanager
def isolated_handlers(
    *, keep: bool = False, handlers: Registry | None = None
) -> Iterator[Registry]:
    """Run a block (a test) with its own ``@handler`` registrations.

    The site's handlers are set aside (kept too with ``keep=True``); handlers registered
    inside are forgotten when the block ends::

        with isolated_handlers():
            @handler(type="text")
            def echo(message, **kwargs):
                return message.content
            assert read_reply(callback_request(text="hi").send(client)).content == "hi"
    """
    with (handlers or registry).isolated(keep=keep) as isolated:
        yield isolated
