"""The ``lost_answer`` fault: WeChat carries the call out, but its answer never arrives."""

from __future__ import annotations

import time

import pytest
import requests

from django_wechat.testing.emulator import WeChatEmulator

from .emulator_support import control, errcode, get

FOLLOWER = "o-demo-follower-1"
SESSION = "sns/jscode2session"


def code_to_session(emulator: WeChatEmulator, code: str, timeout: float = 5) -> requests.Response:
    from django_wechat.conf import get_account

    account = get_account()
    return requests.get(
        f"{emulator.url}/{SESSION}",
        params={
            "appid": account.app_id,
            "secret": account.app_secret,
            "js_code": code,
            "grant_type": "authorization_code",
        },
        timeout=timeout,
    )


def test_the_call_is_carried_out_and_its_answer_dropped(wechat_emulator: WeChatEmulator) -> None:
    code = wechat_emulator.js_code(FOLLOWER)
    wechat_emulator.fail("lost_answer", api=SESSION)
    with pytest.raises(requests.ConnectionError):
        code_to_session(wechat_emulator, code)
    # The code was used up by the lost call: asking again is WeChat's "code been used".
    assert code_to_session(wechat_emulator, code).json()["errcode"] == 40163
    first, second = wechat_emulator.calls(SESSION)
    assert (first.fault, first.errcode, first.status) == ("lost_answer", 0, 200)
    assert (second.fault, second.errcode) == (None, 40163)


def test_the_call_is_logged_before_the_answer_is_held_back(
    wechat_emulator: WeChatEmulator,
) -> None:
    code = wechat_emulator.js_code(FOLLOWER)
    wechat_emulator.fail("lost_answer", api=SESSION, delay=0.6)
    with pytest.raises(requests.Timeout):
        code_to_session(wechat_emulator, code, timeout=0.3)
    # Already in the log while the emulator still holds the answer back.
    assert [c.fault for c in wechat_emulator.calls(SESSION)] == ["lost_answer"]


def test_only_the_staged_calls_lose_their_answer(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.fail("lost_answer", api="cgi-bin/token", times=1)
    token_url = f"{wechat_emulator.url}/cgi-bin/token"
    with pytest.raises(requests.ConnectionError):
        requests.get(token_url, timeout=5)
    # The next call (here a bad one: no appid) is answered as usual.
    assert errcode(get(wechat_emulator, "cgi-bin/token", None)) != 0
    assert [c.fault for c in wechat_emulator.calls("cgi-bin/token")] == ["lost_answer", None]


def test_over_the_control_api(wechat_emulator: WeChatEmulator) -> None:
    answer = control(wechat_emulator, "fail", {"kind": "lost_answer", "api": SESSION})
    assert answer.json() == {"ok": True}
    code = wechat_emulator.js_code(FOLLOWER)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        code_to_session(wechat_emulator, code)
    assert time.monotonic() - started < 5
    assert wechat_emulator.calls(SESSION)[0].fault == "lost_answer"
