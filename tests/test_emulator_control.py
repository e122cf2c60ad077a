"""The HTTP control API (``/_emulator/...``) obeys only callers that hold the emulator's
control token and send JSON: a web page in the developer's browser cannot drive it."""

from __future__ import annotations

import json
import re

import pytest
import requests

from django_wechat.testing.emulator import WeChatEmulator

from .emulator_support import control, fetch_token, get


def test_each_emulator_has_its_own_control_token() -> None:
    one, two = WeChatEmulator(), WeChatEmulator()
    assert len(one.control_token) >= 32
    # Pasted on command lines (play_miniprogram.py --control-token ...): never "-...".
    assert re.fullmatch("[0-9a-f]+", one.control_token)
    assert one.control_token != two.control_token
    assert one.control_token not in repr(one)


def test_with_the_token_and_json_the_control_api_acts(wechat_emulator: WeChatEmulator) -> None:
    before = wechat_emulator.clock.now()
    answer = control(wechat_emulator, "clock/advance", {"seconds": 7200})
    assert answer.status_code == 200
    assert answer.json() == {"ok": True}
    assert wechat_emulator.clock.now() - before >= 7200


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no token
        {"X-Emulator-Token": "guessed"},
        {"X-Emulator-Token": ""},
    ],
)
def test_without_the_token_nothing_happens(
    wechat_emulator: WeChatEmulator, headers: dict[str, str]
) -> None:
    answer = requests.post(
        f"{wechat_emulator.url}/_emulator/fail",
        json={"kind": "errcode", "errcode": 45009, "times": 5},
        headers=headers,
        timeout=5,
    )
    assert answer.status_code == 403
    assert "X-Emulator-Token" in answer.json()["error"]
    assert wechat_emulator.control_token not in answer.text
    # No fault was staged: the API answers normally.
    token = fetch_token(wechat_emulator)
    assert "errcode" not in get(wechat_emulator, "cgi-bin/user/get", token)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_a_body_a_browser_may_send_cross_site_is_refused(
    wechat_emulator: WeChatEmulator, content_type: str | None
) -> None:
    """An HTML form or a no-cors fetch() can POST these without a CORS preflight."""
    body = json.dumps({"url": "http://127.0.0.1:9/", "message": {"Content": "forged"}})
    headers = {"X-Emulator-Token": wechat_emulator.control_token}
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = requests.post(
        f"{wechat_emulator.url}/_emulator/push", data=body.encode(), headers=headers, timeout=5
    )
    assert answer.status_code == 415
    assert "application/json" in answer.json()["error"]
    assert wechat_emulator.pushes == []


def test_json_with_a_charset_is_json(wechat_emulator: WeChatEmulator) -> None:
    answer = requests.post(
        f"{wechat_emulator.url}/_emulator/strict_token_rotation",
        data=b'{"enabled": true}',
        headers={
            "Content-Type": "Application/JSON; charset=utf-8",
            "X-Emulator-Token": wechat_emulator.control_token,
        },
        timeout=5,
    )
    assert answer.status_code == 200
    assert wechat_emulator.strict_token_rotation is True


def test_no_cors_preflight_is_granted(wechat_emulator: WeChatEmulator) -> None:
    """A page on another origin must ask first before sending JSON or a custom header;
    the emulator never says yes."""
    answer = requests.options(
        f"{wechat_emulator.url}/_emulator/reset",
        headers={
            "Origin": "https://evil.example.net",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-emulator-token",
        },
        timeout=5,
    )
    assert answer.status_code >= 400
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_reading_the_call_log_needs_the_token_too(wechat_emulator: WeChatEmulator) -> None:
    fetch_token(wechat_emulator)
    url = f"{wechat_emulator.url}/_emulator/calls"
    assert requests.get(url, timeout=5).status_code == 403
    assert requests.get(url, params={"token": "guessed"}, timeout=5).status_code == 403
    by_header = requests.get(
        url, headers={"X-Emulator-Token": wechat_emulator.control_token}, timeout=5
    )
    # The URL the management command prints, for a browser.
    by_query = requests.get(url, params={"token": wechat_emulator.control_token}, timeout=5)
    for answer in (by_header, by_query):
        assert answer.status_code == 200
        assert [c["api"] for c in answer.json()["calls"]] == ["cgi-bin/token"]


def test_a_post_cannot_carry_the_token_in_the_url(wechat_emulator: WeChatEmulator) -> None:
    answer = requests.post(
        f"{wechat_emulator.url}/_emulator/reset",
        params={"token": wechat_emulator.control_token},
        json={},
        timeout=5,
    )
    assert answer.status_code == 403


def test_the_python_api_needs_no_token(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.fail("errcode", api="cgi-bin/user/get", errcode=45009)
    token = fetch_token(wechat_emulator)
    assert get(wechat_emulator, "cgi-bin/user/get", token)["errcode"] == 45009
