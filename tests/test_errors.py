"""Every error django_wechat raises is a WeChatError: a failed cache, message fields a
handler reads, the crypto's arguments."""

from __future__ import annotations

from typing import Any

import pytest
import redis.exceptions

from django_wechat import get_client
from django_wechat.exceptions import CacheUnavailable, WeChatError
from django_wechat.testing.emulator import WeChatEmulator
from tests.redis_support import RedisServer

# --- the cache -------------------------------------------------------------------------


def _use_redis(settings: Any, server: RedisServer, alias: str = "wechat-redis") -> str:
    settings.CACHES = {
        **settings.CACHES,
        alias: {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    settings.WECHAT = {**settings.WECHAT, "CACHE": alias}
    return alias


def _assert_cache_unavailable(excinfo: pytest.ExceptionInfo[Any], alias: str) -> None:
    exc = excinfo.value
    assert isinstance(exc, WeChatError)
    assert isinstance(exc, ConnectionError)  # what a caller catching network errors catches
    assert exc.alias == alias
    assert repr(alias) in str(exc)
    assert isinstance(exc.__cause__, redis.exceptions.ConnectionError)


@pytest.mark.redis
def test_a_stopped_redis_raises_our_cache_error_from_the_client(
    wechat_emulator: WeChatEmulator, own_redis: RedisServer, settings: Any
) -> None:
    alias = _use_redis(settings, own_redis)
    client = get_client()
    token = client.access_token  # the cache works: fetched and stored
    assert client.get_ticket("jsapi").value
    assert client.access_token == token
    own_redis.stop()
    calls: list[Any] = [
        lambda: client.access_token,
        lambda: client.menu.get(),
        lambda: client.get_access_token(refresh=True),
        lambda: client.get_ticket("jsapi", refresh=True),
        lambda: client.jsapi.get_ticket(),
    ]
    for call in calls:
        with pytest.raises(CacheUnavailable) as excinfo:
            call()
        _assert_cache_unavailable(excinfo, alias)
    # Nothing reached WeChat without a token from the cache.
    assert wechat_emulator.count("cgi-bin/menu/get") == 0
    assert settings.WECHAT["ACCOUNTS"]["default"]["APP_SECRET"] not in str(excinfo.value)


# --- message fields a handler reads ------------------------------------------------------


def _event(name: str, body: str = "", create_time: str = "1700000000") -> str:
    return (
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>o-1</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType>event</MsgType>"
        f"<Event>{name}</Event>{body}</xml>"
    )


@pytest.mark.parametrize(
    ("xml", "attribute", "field"),
    [
        (_event("pic_weixin", "<SendPicsInfo><Count>²</Count></SendPicsInfo>"), "count", "Count"),
        (
            _event(
                "PUBLISHJOBFINISH",
                "<PublishEventInfo><publish_status>²</publish_status></PublishEventInfo>",
            ),
            "publish_status",
            "publish_status",
        ),
        (_event("MASSSENDJOBFINISH", "<TotalCount>²</TotalCount>"), "total_count", "TotalCount"),
        (
            _event("annual_renew", "<ExpiredTime>" + "9" * 30 + "</ExpiredTime>"),
            "expired_time",
            "ExpiredTime",
        ),
    ],
)
def test_a_malformed_number_a_handler_reads_is_our_xml_error(
    xml: str, attribute: str, field: str
) -> None:
    from django_wechat.exceptions import XMLError
    from django_wechat.messages import parse_message

    message = parse_message(xml)
    with pytest.raises(XMLError, match=field):
        getattr(message, attribute)


def test_absent_counts_keep_their_defaults() -> None:
    from django_wechat.messages import parse_message

    pictures = parse_message(
        _event(
            "pic_weixin",
            "<SendPicsInfo><PicList><item><PicMd5Sum>a</PicMd5Sum></item></PicList></SendPicsInfo>",
        )
    )
    assert pictures.count == 1  # type: ignore[attr-defined]
    assert parse_message(_event("PUBLISHJOBFINISH")).publish_status == -1  # type: ignore[attr-defined]


@pytest.mark.parametrize("create_time", ["9" * 30, "99999999999999", "-1", "²"])
def test_an_out_of_range_create_time_is_refused_at_parse_time(create_time: str) -> None:
    from django_wechat.exceptions import XMLError
    from django_wechat.messages import parse_message

    with pytest.raises(XMLError, match="CreateTime"):
        parse_message(_event("CLICK", create_time=create_time))
    # The last second a datetime holds still parses, and reads.
    assert parse_message(_event("CLICK", create_time="253402300799")).create_time.year == 9999


# --- the crypto's arguments ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("signature", "timestamp", "nonce"),
    [(None, None, None), ("0" * 40, None, None), ("0" * 40, "1700000000", None), (None, "1", "2")],
)
def test_missing_signature_values_are_an_invalid_signature(
    signature: Any, timestamp: Any, nonce: Any
) -> None:
    from django_wechat.crypto import WeChatCrypto, check_signature
    from django_wechat.exceptions import InvalidSignature
    from tests.settings import AES_KEY

    crypto = WeChatCrypto("spamtest", AES_KEY, "wx2c2769f8efd9abc2")
    body = crypto.encrypt_message("<xml><Content>x</Content></xml>", "1320562132", 1700000000)
    with pytest.raises(InvalidSignature):
        crypto.decrypt_envelope(body, signature, timestamp, nonce)
    with pytest.raises(InvalidSignature):
        check_signature("spamtest", signature, timestamp, nonce)


# --- the query's shape ------------------------------------------------------------------


def _arabic(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


@pytest.mark.parametrize("account", ["default", "compatible", "plain"])
@pytest.mark.parametrize(
    ("name", "spell"),
    [
        ("nonce", lambda now: "12\x0b34"),  # a control character: the reply cannot carry it
        ("nonce", lambda now: "12\x0034"),
        ("nonce", lambda now: "abc"),
        ("nonce", lambda now: "12 34"),
        ("nonce", lambda now: "]]>"),
        ("nonce", lambda now: ""),
        # The current time, spelled in ways int() reads but WeChat never sends.
        ("timestamp", lambda now: f"+{now}"),
        ("timestamp", lambda now: f" {now}"),
        ("timestamp", lambda now: f"{now // 1000}_{now % 1000:03d}"),
        ("timestamp", lambda now: _arabic(str(now))),
    ],
)
def test_a_signed_query_value_of_another_shape_is_a_400_that_reaches_no_handler(
    handlers: Any, account: str, name: str, spell: Any
) -> None:
    import time

    from django.test import Client

    from django_wechat import handler
    from django_wechat.testing import callback_request, verification_request

    ran: list[Any] = []

    @handler(type="text")
    def answer(message: Any, **kwargs: Any) -> str:
        ran.append(message)
        return "a reply to encrypt with the request's nonce"

    now = int(time.time())
    values: dict[str, Any] = {"nonce": "1320562132", "timestamp": now, name: spell(now)}
    request = callback_request(text="x", account=account, **values)
    response = request.send(Client())
    assert response.status_code == 400, response.content
    assert name.encode() in response.content
    assert ran == []
    assert verification_request("42", account=account, **values).send(Client()).status_code == 403


def test_a_msg_signature_that_is_not_hex_is_a_400() -> None:
    from django.test import Client

    from django_wechat.testing import callback_request

    request = callback_request(text="x", account="default")
    query = {**request.query, "msg_signature": request.query["msg_signature"].upper()}
    response = Client().post(
        request.path + "?" + "&".join(f"{k}={v}" for k, v in query.items()),
        data=request.body,
        content_type="text/xml",
    )
    assert response.status_code == 400
    assert b"msg_signature" in response.content
