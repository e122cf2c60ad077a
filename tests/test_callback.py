"""The callback view through Django's test client, in plain, compatible and safe modes."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import pytest
from django.core.cache import caches
from django.dispatch import receiver
from django.test import Client

from django_wechat import handler
from django_wechat.conf import Account, get_account
from django_wechat.crypto import WeChatCrypto, make_signature
from django_wechat.handlers import Registry
from django_wechat.replies import ImageReply
from django_wechat.signals import message_received
from django_wechat.testing import (
    CallbackRequest,
    callback_request,
    read_reply,
    verification_request,
)
from django_wechat.xml import render
from tests.settings import AES_KEY

MODES = ["default", "compatible", "plain"]
SECRETS = [AES_KEY, "spamtest", "compatibletoken", "plaintoken", "test-secret-default"]


@pytest.fixture(params=MODES)
def account(request: pytest.FixtureRequest) -> Account:
    return get_account(request.param)


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """Each test starts with no de-duplication records from the one before."""
    yield
    caches["default"].clear()


@pytest.fixture
def received() -> Any:
    """Every message_received call, as (sender, message, request)."""
    calls: list[tuple[Any, Any, Any]] = []

    def record(sender: Any, message: Any, request: Any, **kwargs: Any) -> None:
        calls.append((sender, message, request))

    message_received.connect(record)
    yield calls
    message_received.disconnect(record)


@pytest.fixture
def echo(handlers: Registry) -> list[Any]:
    """A handler answering every text with its content, recording its calls."""
    calls: list[Any] = []

    @handler(type="text")
    def echo_text(message: Any, **kwargs: Any) -> str:
        calls.append((message, kwargs))
        return f"echo: {message.content}"

    return calls


# --- GET: URL verification --------------------------------------------------------------


def test_get_answers_echostr_verbatim(client: Client, account: Account) -> None:
    response = verification_request("4375120948345356249", account=account).send(client)
    assert response.status_code == 200
    assert response.content == b"4375120948345356249"


@pytest.mark.parametrize(
    "query",
    [
        {"signature": "0" * 40},
        {"signature": ""},
        {"timestamp": "not-a-number"},
        {"nonce": "tampered"},
    ],
)
def test_get_with_a_bad_signature_is_forbidden(client: Client, query: dict[str, str]) -> None:
    request = verification_request("123")
    response = client.get(request.path, {**request.query, **query})
    assert response.status_code == 403
    assert b"123" not in response.content


@pytest.mark.parametrize(
    ("setting", "logged"),
    [
        (None, "from 10.0.0.1"),
        ("HTTP_X_REAL_IP", "from 203.0.113.7"),
        ("HTTP_X_FORWARDED_FOR", "from 203.0.113.9"),
        # A site's function that raises: still a 403, logged with REMOTE_ADDR.
        ("tests.test_other_logins.broken_client_address", "from 10.0.0.1"),
    ],
)
def test_a_refused_callback_is_logged_with_the_client_address(
    client: Client, caplog: pytest.LogCaptureFixture, settings: Any, setting: Any, logged: str
) -> None:
    settings.WECHAT = {**settings.WECHAT, "CLIENT_ADDRESS": setting}
    request = verification_request("123")
    with caplog.at_level(logging.WARNING, logger="django_wechat"):
        response = client.get(
            request.path,
            {**request.query, "signature": "0" * 40},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_REAL_IP="203.0.113.7",
            HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9",
        )
    assert response.status_code == 403
    (line,) = [r.getMessage() for r in caplog.records if "Refused" in r.getMessage()]
    assert logged in line


def test_get_with_an_old_timestamp_is_forbidden(client: Client) -> None:
    response = verification_request("123", timestamp=int(time.time()) - 301).send(client)
    assert response.status_code == 403


def test_unknown_account_is_404(client: Client) -> None:
    request = verification_request("1", url="/wechat/callback/shop/")
    assert request.send(client).status_code == 404
    assert (
        client.post("/wechat/callback/shop/", b"<xml/>", content_type="text/xml").status_code == 404
    )


def test_other_methods_are_not_allowed(client: Client) -> None:
    assert client.put("/wechat/callback/default/").status_code == 405


# --- POST: messages and replies ----------------------------------------------------------


def test_text_message_round_trip(
    client: Client, account: Account, echo: list[Any], received: list[Any]
) -> None:
    request = callback_request(text="你好 <b>&", account=account)
    response = request.send(client)
    assert response.status_code == 200
    reply = read_reply(response)
    assert reply.type == "text"
    assert reply.content == "echo: 你好 <b>&"
    # The reply goes back to the follower, from the account.
    assert reply["ToUserName"] == request.message["FromUserName"]
    assert reply["FromUserName"] == request.message["ToUserName"]
    # Encrypted requests get encrypted replies, echoing the request's nonce.
    assert reply.encrypted is account.encrypted
    if account.encrypted:
        assert f"<Nonce><![CDATA[{request.nonce}]]></Nonce>".encode() in response.content
        assert b"echo" not in response.content
    ((message, kwargs),) = echo
    assert message.content == "你好 <b>&"
    assert kwargs["account"] == account
    assert kwargs["request"].method == "POST"
    ((sender, sent, http_request),) = received
    assert sender == account
    assert sent.content == "你好 <b>&"
    assert http_request is kwargs["request"]


def test_a_csrf_checking_client_is_accepted(account: Account, echo: list[Any]) -> None:
    response = callback_request(text="x", account=account).send(Client(enforce_csrf_checks=True))
    assert read_reply(response).content == "echo: x"


def test_no_handler_or_none_answers_success_unencrypted(
    client: Client, account: Account, handlers: Registry
) -> None:
    response = callback_request(text="nobody listens", account=account).send(client)
    assert response.status_code == 200
    assert response.content == b"success"

    @handler()
    def silent(message: Any, **kwargs: Any) -> None:
        return None

    response = callback_request(event="subscribe", account=account).send(client)
    assert response.content == b"success"
    assert read_reply(response).empty


def test_events_menu_clicks_images_and_articles(
    client: Client, account: Account, handlers: Registry
) -> None:
    @handler(event="subscribe")
    def welcome(message: Any, **kwargs: Any) -> str:
        return "欢迎关注"

    @handler(event="click", key="V1001_GOOD")
    def good(message: Any, **kwargs: Any) -> list[dict[str, str]]:
        return [{"title": "谢谢", "description": "d", "url": "https://example.com/a", "image": ""}]

    @handler(type="image")
    def picture(message: Any, **kwargs: Any) -> ImageReply:
        return ImageReply(message=message, media_id=message.raw["MediaId"])

    def send(**kwargs: Any) -> Any:
        return read_reply(callback_request(account=account, **kwargs).send(client))

    assert send(event="subscribe").content == "欢迎关注"
    news = send(event="click", key="V1001_GOOD")
    assert news.type == "news"
    assert "谢谢" in news.xml
    assert send(event="click", key="OTHER").empty
    image = send(MsgType="image", PicUrl="http://x/y.jpg", MediaId="media-1")
    assert image.type == "image"
    assert image["Image"]["MediaId"] == "media-1"


def test_handler_that_raises_answers_success_and_is_logged(
    client: Client, account: Account, handlers: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    @handler()
    def broken(message: Any, **kwargs: Any) -> str:
        raise RuntimeError("boom in handler")

    with caplog.at_level(logging.ERROR, logger="django_wechat"):
        response = callback_request(text="x", account=account).send(client)
    assert response.status_code == 200
    assert response.content == b"success"
    (record,) = [r for r in caplog.records if "broken" in r.getMessage()]
    assert record.exc_info is not None
    assert "boom in handler" in caplog.text  # the traceback is logged


def test_handler_returning_garbage_answers_success(
    client: Client, handlers: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    @handler()
    def wrong(message: Any, **kwargs: Any) -> object:
        return object()

    response = callback_request(text="x").send(client)
    assert response.content == b"success"
    assert "wrong" in caplog.text


def test_signal_receiver_that_raises_does_not_break_the_reply(
    client: Client, account: Account, echo: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    @receiver(message_received)
    def faulty(sender: Any, **kwargs: Any) -> None:
        raise ValueError("receiver failed")

    try:
        response = callback_request(text="still answered", account=account).send(client)
    finally:
        message_received.disconnect(faulty)
    assert read_reply(response).content == "echo: still answered"
    assert "receiver failed" in caplog.text


# --- refusals: nothing reaches a handler or a signal -------------------------------------


def _resign(request: CallbackRequest, body: bytes, encrypt: str | None = None) -> CallbackRequest:
    """``request`` with another body, signed correctly (msg_signature over ``encrypt``)."""
    query = dict(request.query)
    if encrypt is not None:
        query["msg_signature"] = make_signature(
            request.account.token, query["timestamp"], query["nonce"], encrypt
        )
    return CallbackRequest(request.account, "POST", request.path, query, body, request.message)


def _encrypted_body(
    account: Account, plaintext: str, app_id: str | None = None
) -> tuple[bytes, str]:
    crypto = WeChatCrypto(account.token, AES_KEY, app_id or account.app_id)
    encrypt = crypto.encrypt(plaintext)
    return f"<xml><ToUserName>gh</ToUserName><Encrypt>{encrypt}</Encrypt></xml>".encode(), encrypt


XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&x;</Content><MsgId>1</MsgId></xml>"
)
BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    "<xml><Content>&lol2;</Content></xml>"
)


def _hostile(kind: str, account: Account) -> tuple[CallbackRequest, int]:
    """A request WeChat would never send, and the status it must get."""
    good = callback_request(text="x", account=account)
    if kind == "bad signature":
        return CallbackRequest(
            account, "POST", good.path, {**good.query, "signature": "f" * 40}, good.body
        ), 403
    if kind == "stale timestamp":
        return callback_request(text="x", account=account, timestamp=int(time.time()) - 400), 403
    if kind == "future timestamp":
        return callback_request(text="x", account=account, timestamp=int(time.time()) + 400), 403
    if kind == "oversize":
        return _resign(good, b"<xml>" + b"a" * (256 * 1024) + b"</xml>"), 413
    if kind == "malformed xml":
        if account.encrypted:
            body, encrypt = _encrypted_body(account, "<xml><unclosed></xml>")
            return _resign(good, body, encrypt), 400
        return _resign(good, b"<xml><Content>x</xml>"), 400
    if kind == "xxe":
        if account.encrypted:
            body, encrypt = _encrypted_body(account, XXE)
            return _resign(good, body, encrypt), 400
        return _resign(good, XXE.encode()), 400
    if kind == "billion laughs":
        return _resign(good, BILLION_LAUGHS.encode()), 400
    if kind == "empty body":
        return _resign(good, b""), 400
    if kind == "not a message":
        if account.encrypted:
            body, encrypt = _encrypted_body(account, "<xml><Content>x</Content></xml>")
            return _resign(good, body, encrypt), 400
        return _resign(good, b"<xml><Content>x</Content></xml>"), 400
    if kind == "bad msg_signature":
        return CallbackRequest(
            account, "POST", good.path, {**good.query, "msg_signature": "0" * 40}, good.body
        ), 403
    if kind == "wrong appid":
        body, encrypt = _encrypted_body(account, render(good.message), "wx9999999999999999")
        return _resign(good, body, encrypt), 400
    if kind == "garbage ciphertext":
        encrypt = "A" * 64
        body = f"<xml><Encrypt>{encrypt}</Encrypt></xml>".encode()
        return _resign(good, body, encrypt), 400
    if kind == "wrong mode":
        if account.encrypted:
            plain = callback_request(text="x", account=account, encrypt_mode="plain")
            return plain, 400
        # An encrypted request to a plaintext account: it has no key to read it with.
        body, encrypt = _encrypted_body(account, render(good.message))
        encrypted = _resign(good, body, encrypt)
        encrypted.query["encrypt_type"] = "aes"
        return encrypted, 400
    raise AssertionError(kind)


ANY_MODE = [
    "bad signature",
    "stale timestamp",
    "future timestamp",
    "oversize",
    "malformed xml",
    "xxe",
    "billion laughs",
    "empty body",
    "not a message",
    "wrong mode",
]
ENCRYPTED_ONLY = ["bad msg_signature", "wrong appid", "garbage ciphertext"]
HOSTILE = [(kind, name) for kind in ANY_MODE for name in MODES] + [
    (kind, name) for kind in ENCRYPTED_ONLY for name in ("default", "compatible")
]


@pytest.mark.parametrize(("kind", "name"), HOSTILE)
def test_hostile_requests_get_4xx_and_reach_nothing(
    kind: str,
    name: str,
    client: Client,
    echo: list[Any],
    received: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    account = get_account(name)
    request, status = _hostile(kind, account)
    with caplog.at_level(logging.WARNING, logger="django_wechat"):
        response = request.send(client)
    assert response.status_code == status, response.content
    assert 0 < len(response.content) < 300  # a short reason
    assert echo == []
    assert received == []
    refusals = [r for r in caplog.records if r.name == "django_wechat.callback"]
    assert refusals
    assert all(r.levelno == logging.WARNING for r in refusals)
    for secret in SECRETS:
        assert secret not in caplog.text
        assert secret.encode() not in response.content


def test_oversize_declared_length_is_refused_before_reading(
    client: Client, echo: list[Any]
) -> None:
    good = callback_request(text="x")
    response = client.post(
        good.url, data=good.body, content_type="text/xml", CONTENT_LENGTH=str(10**9)
    )
    assert response.status_code == 413
    assert echo == []


def test_body_limit_follows_the_setting(client: Client, echo: list[Any], settings: Any) -> None:
    settings.WECHAT = {**settings.WECHAT, "MAX_BODY_SIZE": 1000}
    assert callback_request(text="short").send(client).status_code == 200
    assert callback_request(text="x" * 1000).send(client).status_code == 413
    assert len(echo) == 1


def test_timestamp_tolerance_follows_the_setting(
    client: Client, echo: list[Any], settings: Any
) -> None:
    settings.WECHAT = {**settings.WECHAT, "TIMESTAMP_TOLERANCE": 10}
    old = int(time.time()) - 30
    assert callback_request(text="x", timestamp=old).send(client).status_code == 403
    assert (
        callback_request(text="x", timestamp=int(time.time()) - 5).send(client).status_code == 200
    )


@pytest.mark.parametrize("escaped", [False, True])
def test_escaped_query_values_are_decoded(
    client: Client, account: Account, echo: list[Any], escaped: bool
) -> None:
    request = callback_request(text="x", account=account, nonce="1320562132")
    verification = verification_request("42", account=account, nonce="1320562132")
    if escaped:  # the same values, percent-encoded: Django's parser decodes them
        escape = "%31%33%32%30%35%36%32%31%33%32"
        url = request.url.replace("nonce=1320562132", f"nonce={escape}")
        response = client.post(url, data=request.body, content_type="text/xml")
        answer = client.get(verification.url.replace("nonce=1320562132", f"nonce={escape}"))
    else:
        response, answer = request.send(client), verification.send(client)
    assert read_reply(response, account=account).content == "echo: x"
    assert answer.content == b"42"


def test_compatible_mode_reads_only_the_signed_encrypted_copy(
    client: Client, echo: list[Any]
) -> None:
    # Compatible mode sends the fields twice: in plaintext and inside Encrypt. Only the
    # encrypted copy is covered by msg_signature, so a tampered plaintext copy is ignored.
    from django_wechat.xml import parse

    request = callback_request(text="signed words", account="compatible")
    fields = parse(request.body)
    assert fields["Content"] == "signed words"
    fields["Content"] = "tampered words"
    fields["FromUserName"] = "o-someone-else"
    tampered = dataclasses.replace(request, body=render(fields).encode())
    reply = read_reply(tampered.send(client))
    assert [message.content for message, _kwargs in echo] == ["signed words"]
    assert [message.source for message, _kwargs in echo] == [request.message["FromUserName"]]
    assert reply.fields["ToUserName"] == request.message["FromUserName"]


@pytest.mark.parametrize("answer", ["", "  "])
def test_a_handler_returning_an_empty_string_answers_success(
    client: Client, handlers: Registry, account: Account, answer: str
) -> None:
    @handler(type="text")
    def nothing(message: Any, **kwargs: Any) -> str:
        return answer

    response = callback_request(text="x", account=account.name).send(client)
    assert response.status_code == 200
    assert response.content == b"success"
