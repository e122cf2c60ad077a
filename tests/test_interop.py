"""Interop with wechatpy 1.8.18 as an independent implementation, in all three modes.

What wechatpy encrypts we decrypt, what we encrypt wechatpy decrypts, what wechatpy's
replies render we parse, and what ours render wechatpy parses. The accounts are the
test settings' "plain", "compatible" and "default" (safe) accounts.
"""

from __future__ import annotations

from typing import Any

import pytest
import wechatpy
from wechatpy import replies as wr
from wechatpy.crypto import WeChatCrypto as TheirCrypto
from wechatpy.exceptions import InvalidSignatureException

import django_wechat
from django_wechat import replies as r
from django_wechat.conf import Account, EncryptMode, get_account
from django_wechat.crypto import WeChatCrypto, make_signature
from django_wechat.exceptions import InvalidSignature
from django_wechat.messages import BaseMessage
from django_wechat.xml import parse

TIMESTAMP = "1700000000"
NONCE = "987654321"
INBOUND = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[你好 ]]]]><![CDATA[> & <世界>]]></Content>"
    "<MsgId>6054768590064713728</MsgId></xml>"
)
CONTENT = "你好 ]]> & <世界>"


@pytest.fixture(params=["plain", "compatible", "default"])
def account(request: pytest.FixtureRequest) -> Account:
    return get_account(request.param)


def ours(account: Account) -> WeChatCrypto:
    return WeChatCrypto.from_account(account)


def theirs(account: Account) -> TheirCrypto:
    return TheirCrypto(account.token, account.encoding_aes_key, account.app_id)


def inbound_body(account: Account, plaintext: str) -> tuple[str, str | None]:
    """The body WeChat would POST in the account's mode, encrypted by wechatpy.

    Returns the body and its msg_signature (None in plain mode).
    """
    if account.encrypt_mode is EncryptMode.PLAIN:
        return plaintext, None
    envelope = parse(theirs(account).encrypt_message(plaintext, NONCE, TIMESTAMP))
    encrypted = envelope["Encrypt"]
    if account.encrypt_mode is EncryptMode.COMPATIBLE:
        # Compatible mode: the plaintext fields and Encrypt side by side.
        body = plaintext.replace("</xml>", f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
    else:
        body = (
            "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        )
    return body, envelope["MsgSignature"]


def receive(account: Account, body: str, signature: str | None) -> BaseMessage:
    """Our side of a callback: decrypt when the account encrypts, then parse."""
    if signature is not None:
        body = ours(account).decrypt_message(body, signature, TIMESTAMP, NONCE)
    return django_wechat.parse_message(body)


def test_we_read_what_wechatpy_encrypts(account: Account) -> None:
    body, signature = inbound_body(account, INBOUND)
    message = receive(account, body, signature)
    assert message.type == "text"
    assert message.content == CONTENT  # type: ignore[attr-defined]
    assert message.id == "6054768590064713728"
    assert message.source == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    # wechatpy reads the same message the same way.
    theirs_message = wechatpy.parse_message(INBOUND)
    assert (theirs_message.content, theirs_message.source, theirs_message.target) == (
        message.content,  # type: ignore[attr-defined]
        message.source,
        message.target,
    )


def test_our_reply_reaches_wechatpy(account: Account) -> None:
    body, signature = inbound_body(account, INBOUND)
    message = receive(account, body, signature)
    xml = r.TextReply(message=message, content="收到：" + CONTENT).render()
    if account.encrypted:
        envelope = ours(account).encrypt_message(xml, NONCE, TIMESTAMP)
        signed = parse(envelope)["MsgSignature"]
        xml = theirs(account).decrypt_message(envelope, signed, TIMESTAMP, NONCE)
    reply = wechatpy.parse_message(xml)
    assert reply.type == "text"
    assert reply.content == "收到：" + CONTENT
    assert reply.target == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert reply.source == "gh_10f6c3c3ac5a"


def test_wechatpy_reply_reaches_us(account: Account) -> None:
    incoming = wechatpy.parse_message(INBOUND)
    # wechatpy 1.8.18 does not escape "]]>" in CDATA (it renders malformed XML), so no
    # terminator here; our own replies escape it (test_our_reply_reaches_wechatpy).
    xml = wr.TextReply(message=incoming, content="收到 <了> & 😀").render()
    if account.encrypted:
        envelope = theirs(account).encrypt_message(xml, NONCE, TIMESTAMP)
        signed = parse(envelope)["MsgSignature"]
        xml = ours(account).decrypt_message(envelope, signed, TIMESTAMP, NONCE)
    reply = django_wechat.parse_message(xml)
    assert reply.type == "text"
    assert reply.content == "收到 <了> & 😀"  # type: ignore[attr-defined]
    assert reply.target == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


@pytest.mark.parametrize("name", ["compatible", "default"])
def test_tampered_envelope_is_refused_by_both(name: str) -> None:
    account = get_account(name)
    envelope = ours(account).encrypt_message("<xml/>", NONCE, TIMESTAMP)
    bad = make_signature(account.token, TIMESTAMP, NONCE, "other")
    with pytest.raises(InvalidSignatureException):
        theirs(account).decrypt_message(envelope, bad, TIMESTAMP, NONCE)
    with pytest.raises(InvalidSignature):
        ours(account).decrypt_message(envelope, bad, TIMESTAMP, NONCE)


@pytest.mark.parametrize("text", ["", "a", "x" * 31, "y" * 32, "中" * 100, "emoji 😀 ]]>"])
def test_aes_layer_agrees_both_ways(text: str) -> None:
    account = get_account("default")
    envelope = theirs(account).encrypt_message(text, NONCE, TIMESTAMP)
    assert (
        ours(account).decrypt_message(envelope, parse(envelope)["MsgSignature"], TIMESTAMP, NONCE)
        == text
    )
    envelope = ours(account).encrypt_message(text, NONCE, TIMESTAMP)
    assert (
        theirs(account).decrypt_message(envelope, parse(envelope)["MsgSignature"], TIMESTAMP, NONCE)
        == text
    )


# --- every reply type, both directions ---------------------------------------------------


def _their_replies(message: Any) -> list[tuple[Any, dict[str, Any]]]:
    return [
        (wr.TextReply(message=message, content="文本"), {"MsgType": "text", "Content": "文本"}),
        (
            wr.ImageReply(message=message, media_id="img"),
            {"MsgType": "image", "Image": {"MediaId": "img"}},
        ),
        (
            wr.VoiceReply(message=message, media_id="v"),
            {"MsgType": "voice", "Voice": {"MediaId": "v"}},
        ),
        (
            wr.VideoReply(message=message, media_id="m", title="t", description="d"),
            {"MsgType": "video", "Video": {"MediaId": "m", "Title": "t", "Description": "d"}},
        ),
        (
            wr.MusicReply(
                message=message,
                title="歌",
                description="d",
                music_url="http://m",
                hq_music_url="http://hq",
                thumb_media_id="th",
            ),
            {
                "MsgType": "music",
                "Music": {
                    "Title": "歌",
                    "Description": "d",
                    "MusicUrl": "http://m",
                    "HQMusicUrl": "http://hq",
                    "ThumbMediaId": "th",
                },
            },
        ),
        (
            wr.ArticlesReply(
                message=message,
                articles=[
                    {"title": "一", "description": "d", "image": "http://p/1", "url": "http://u/1"},
                    {"title": "二", "description": "", "image": "http://p/2", "url": "http://u/2"},
                ],
            ),
            {"MsgType": "news", "ArticleCount": "2"},
        ),
        (
            wr.TransferCustomerServiceReply(message=message),
            {"MsgType": "transfer_customer_service"},
        ),
    ]


def test_we_parse_every_wechatpy_reply(account: Account) -> None:
    incoming = wechatpy.parse_message(INBOUND)
    for reply, expected in _their_replies(incoming):
        xml = reply.render()
        if account.encrypted:
            envelope = theirs(account).encrypt_message(xml, NONCE, TIMESTAMP)
            xml = ours(account).decrypt_message(
                envelope, parse(envelope)["MsgSignature"], TIMESTAMP, NONCE
            )
        parsed = django_wechat.parse_message(xml)
        assert parsed.target == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
        assert parsed.source == "gh_10f6c3c3ac5a"
        for key, value in expected.items():
            assert parsed.raw[key] == value, (type(reply).__name__, key)
        if expected["MsgType"] == "news":
            titles = [item["Title"] for item in parsed.raw["Articles"]["item"]]
            assert titles == ["一", "二"]


def _our_replies(message: BaseMessage) -> list[r.BaseReply]:
    return [
        r.TextReply(message=message, content="文本"),
        r.ImageReply(message=message, media_id="img"),
        r.VoiceReply(message=message, media_id="v"),
        r.VideoReply(message=message, media_id="m", title="t", description="d"),
        r.MusicReply(
            message=message,
            title="歌",
            description="d",
            music_url="http://m",
            hq_music_url="http://hq",
            thumb_media_id="th",
        ),
        r.ArticlesReply(
            message=message,
            articles=[
                {"title": "一", "description": "d", "image": "http://p/1", "url": "http://u/1"},
                {"title": "二", "image": "http://p/2", "url": "http://u/2"},
            ],
        ),
        r.TransferCustomerServiceReply(message=message),
    ]


def test_wechatpy_reads_every_reply_of_ours(account: Account) -> None:
    """wechatpy's deserialize_reply rebuilds each of our replies field for field."""
    message = django_wechat.parse_message(INBOUND)
    for reply in _our_replies(message):
        xml = reply.render()
        if account.encrypted:
            envelope = ours(account).encrypt_message(xml, NONCE, TIMESTAMP)
            xml = theirs(account).decrypt_message(
                envelope, parse(envelope)["MsgSignature"], TIMESTAMP, NONCE
            )
        rebuilt = wr.deserialize_reply(xml)
        assert type(rebuilt).__name__ == type(reply).__name__
        assert rebuilt.target == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
        assert rebuilt.source == "gh_10f6c3c3ac5a"
        for name in reply.fields:
            if name == "kf_account":
                continue  # wechatpy 1.8.18's transfer reply has no agent field
            if name == "articles":
                assert [a["title"] for a in rebuilt.articles] == ["一", "二"]
                assert [a["image"] for a in rebuilt.articles] == ["http://p/1", "http://p/2"]
            else:
                assert getattr(rebuilt, name) == getattr(reply, name), name


def test_create_reply_matches_wechatpy() -> None:
    ours_reply = django_wechat.create_reply("你好", django_wechat.parse_message(INBOUND))
    theirs_reply = wr.create_reply("你好", wechatpy.parse_message(INBOUND))
    assert parse(ours_reply.render()) | {"CreateTime": ""} == parse(theirs_reply.render()) | {
        "CreateTime": ""
    }
    # wechatpy answers "nothing" with an empty body, we with "success": WeChat accepts
    # both and sends the follower nothing (PROTOCOL.md B3).
    assert wr.create_reply(None, wechatpy.parse_message(INBOUND), render=True) == ""
    assert django_wechat.create_reply(None, django_wechat.parse_message(INBOUND)).render() == (
        "success"
    )
