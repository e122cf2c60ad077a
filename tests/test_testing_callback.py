"""django_wechat.testing's request builder and reply reader catch what WeChat would."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from django_wechat import handler
from django_wechat.conf import get_account
from django_wechat.crypto import WeChatCrypto, check_signature, make_signature
from django_wechat.exceptions import InvalidSignature, ReplyError
from django_wechat.handlers import Registry
from django_wechat.messages import parse_message
from django_wechat.testing import callback_request, read_reply, verification_request
from django_wechat.xml import parse


@pytest.mark.parametrize("name", ["default", "compatible", "plain"])
def test_request_is_signed_and_encrypted_as_wechat_does(name: str) -> None:
    account = get_account(name)
    request = callback_request(text="你好", account=name, nonce="1320562132", timestamp=1409735669)
    query = request.query
    check_signature(account.token, query["signature"], "1409735669", "1320562132")
    assert query["openid"] == "o-demo-follower-1"
    outer = parse(request.body)
    if name == "plain":
        assert "encrypt_type" not in query
        assert outer["Content"] == "你好"
        return
    assert query["encrypt_type"] == "aes"
    assert query["msg_signature"] == make_signature(
        account.token, "1409735669", "1320562132", outer["Encrypt"]
    )
    # Safe mode carries only ToUserName and Encrypt; compatible mode the plaintext too.
    assert ("Content" in outer) is (name == "compatible")
    inner = WeChatCrypto.from_account(account).decrypt_message(
        request.body, query["msg_signature"], "1409735669", "1320562132"
    )
    message = parse_message(inner)
    assert message.content == "你好"
    assert message.id == request.message["MsgId"]


def test_message_descriptions() -> None:
    click = callback_request(event="click", key="V1001_GOOD", account="plain").message
    assert click["MsgType"] == "event"
    assert click["Event"] == "CLICK"  # WeChat's spelling
    assert "MsgId" not in click
    image = callback_request({"MsgType": "image", "MediaId": "m"}, account="plain").message
    assert image["MediaId"] == "m"
    assert image["MsgId"]
    xml = "<xml><MsgType>voice</MsgType><MediaId>v</MediaId><FromUserName>o-x</FromUserName></xml>"
    voice = callback_request(xml, account="plain").message
    assert voice["FromUserName"] == "o-x"
    assert voice["MsgType"] == "voice"
    with pytest.raises(TypeError):
        callback_request(42)  # type: ignore[arg-type]


def test_verification_request() -> None:
    request = verification_request("echo-me", timestamp=int(time.time()))
    assert request.method == "GET"
    assert request.query["echostr"] == "echo-me"
    assert request.url.startswith("/wechat/callback/default/?")


def test_read_reply_checks_the_reply_signature_and_mode(handlers: Registry) -> None:
    @handler()
    def answer(message: Any, **kwargs: Any) -> str:
        return "ok"

    response = callback_request(text="x").send(Client())
    assert read_reply(response).content == "ok"
    tampered = response.content.replace(b"<MsgSignature><![CDATA[", b"<MsgSignature><![CDATA[0")
    with pytest.raises(InvalidSignature):
        read_reply(tampered, account="default")
    # A plaintext reply from a safe-mode account would be dropped by WeChat.
    plain = read_reply(callback_request(text="y", account="plain").send(Client()))
    with pytest.raises(ReplyError, match="safe mode"):
        read_reply(plain.xml, account="default")
    assert read_reply(plain.xml, account="compatible").content == "ok"
    # ...and an encrypted reply to a plain-mode account could not be read by WeChat.
    with pytest.raises(ReplyError, match="plain mode"):
        read_reply(response.content, account="plain")


def test_read_reply_reports_refusals() -> None:
    response = callback_request(text="x", timestamp=1).send(Client())
    with pytest.raises(ReplyError, match="HTTP 403"):
        read_reply(response)
