"""The example of docs/testing-emulator.rst, run as a test so the page stays true.

A user's code: a handler for a menu button that sends a coupon through the
customer-service API with ``get_client()``; its tests click the button through the real
callback view and check what reached the emulator.
"""

from __future__ import annotations

import logging
from typing import Any

from django.test import Client

from django_wechat import get_client, handler
from django_wechat.exceptions import APIError
from django_wechat.testing import callback_request, read_reply
from django_wechat.testing.emulator import WeChatEmulator

# --- the user's code (myshop/wechat_handlers.py) ------------------------------------------
logger = logging.getLogger("myshop")


@handler(event="click", key="COUPON")
def send_coupon(message: Any, **kwargs: Any) -> str:
    """The menu's 领优惠券 button: the coupon goes out as a customer-service message."""
    try:
        get_client().message.send_text(message.source, "你的优惠券：WELCOME10")
    except APIError as exc:
        logger.warning("No coupon for %s: %s", message.source, exc)
        return "优惠券暂时发不出去，请稍后再试。"
    return "优惠券已发到对话里，请查收！"


# --- the user's tests (myshop/tests/test_coupon.py) ----------------------------------------
def click_coupon(client: Client) -> str | None:
    """The follower o-demo-follower-1 clicks 领优惠券; the text our site answers."""
    response = callback_request(event="click", key="COUPON").send(client)
    return read_reply(response).content


def test_coupon_is_sent(client: Client, wechat_emulator: WeChatEmulator) -> None:
    assert click_coupon(client) == "优惠券已发到对话里，请查收！"

    assert wechat_emulator.sent_messages("o-demo-follower-1") == [
        {
            "kind": "custom",
            "touser": "o-demo-follower-1",
            "msgtype": "text",
            "text": {"content": "你的优惠券：WELCOME10"},
        }
    ]
    assert wechat_emulator.count("cgi-bin/token") == 1


def test_coupon_survives_a_revoked_token(client: Client, wechat_emulator: WeChatEmulator) -> None:
    get_client().access_token  # noqa: B018  (a token in the cache, as on a running site)
    wechat_emulator.invalidate_tokens(get_client().account.app_id)

    assert click_coupon(client) == "优惠券已发到对话里，请查收！"

    # Refused once (40001), a new token, sent once.
    calls = wechat_emulator.calls("cgi-bin/message/custom/send")
    assert [call.errcode for call in calls] == [40001, 0]
    assert len(wechat_emulator.sent_messages()) == 1


def test_no_coupon_when_wechat_stays_busy(client: Client, wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.fail("errcode", api="cgi-bin/message/custom/send", errcode=-1, times=3)

    assert click_coupon(client) == "优惠券暂时发不出去，请稍后再试。"

    # The client retried "system busy" twice, then gave up; nothing reached the follower.
    calls = wechat_emulator.calls("cgi-bin/message/custom/send")
    assert [call.errcode for call in calls] == [-1, -1, -1]
    assert wechat_emulator.sent_messages() == []
