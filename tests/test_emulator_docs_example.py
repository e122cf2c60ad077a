"""The example of docs/testing-emulator.rst, run as a test so the page stays true.

A user's code: a handler-like function that thanks a follower through the
customer-service API, written with plain ``requests`` against ``settings.WECHAT``.
"""

from __future__ import annotations

import pytest
import requests
from django.conf import settings

from django_wechat.testing.emulator import WeChatEmulator


# --- the user's code (myshop/wechat.py) -------------------------------------------------
def thank_follower(openid: str) -> None:
    """Send a thank-you through the customer-service API."""
    wechat = settings.WECHAT
    account = wechat["ACCOUNTS"]["default"]
    token = requests.get(
        f"{wechat['API_BASE_URL']}/cgi-bin/token",
        params={
            "grant_type": "client_credential",
            "appid": account["APP_ID"],
            "secret": account["APP_SECRET"],
        },
        timeout=5,
    ).json()["access_token"]
    answer = requests.post(
        f"{wechat['API_BASE_URL']}/cgi-bin/message/custom/send",
        params={"access_token": token},
        json={"touser": openid, "msgtype": "text", "text": {"content": "谢谢关注！"}},
        timeout=5,
    ).json()
    if answer["errcode"] != 0:
        raise RuntimeError(f"custom/send failed: {answer['errcode']} {answer['errmsg']}")


# --- the user's tests (myshop/tests/test_wechat.py) ---------------------------------------
def test_thank_follower(wechat_emulator: WeChatEmulator) -> None:
    thank_follower("o-demo-follower-1")

    assert wechat_emulator.count("cgi-bin/token") == 1
    assert wechat_emulator.sent_messages("o-demo-follower-1") == [
        {
            "kind": "custom",
            "touser": "o-demo-follower-1",
            "msgtype": "text",
            "text": {"content": "谢谢关注！"},
        }
    ]


def test_thank_follower_outside_the_48_hour_window(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.clock.advance(49 * 3600)  # the follower wrote two days ago

    with pytest.raises(RuntimeError, match="45015"):
        thank_follower("o-demo-follower-1")
    assert wechat_emulator.sent_messages() == []


def test_thank_follower_when_wechat_is_busy(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.fail("errcode", api="cgi-bin/message/custom/send", errcode=-1)

    with pytest.raises(RuntimeError, match="failed: -1 system error"):
        thank_follower("o-demo-follower-1")
    assert [c.errcode for c in wechat_emulator.calls("cgi-bin/message/custom/send")] == [-1]
