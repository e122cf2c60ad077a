"""The emulator's guards are WeChatEmulator's own: it refuses to listen beyond loopback,
or to serve accounts that may be real there, unless told to; one URL check
(``url_host``) decides what is loopback; its call log never keeps a credential."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import CommandError, call_command

from django_wechat import get_client
from django_wechat.conf import get_account
from django_wechat.testing.emulator import EmulatorRefused, WeChatEmulator
from tests.redis_support import free_port

# requests sends this to api.weixin.qq.com; urlsplit alone reads the host as 127.0.0.1.
AMBIGUOUS = "http://api.weixin.qq.com\\@127.0.0.1:{port}"


def test_the_class_refuses_to_listen_beyond_loopback(settings: Any) -> None:
    settings.DEBUG = False  # and API_BASE_URL is WeChat's: a live site's settings
    for host in ("0.0.0.0", "::", "192.0.2.10"):  # noqa: S104
        emulator = WeChatEmulator(host=host)
        with pytest.raises(EmulatorRefused) as excinfo:
            emulator.start()
        assert excinfo.value.option == "allow_remote"
        assert host in str(excinfo.value)
        assert "allow_remote=True" in str(excinfo.value)
        assert emulator._server is None  # nothing was bound
    # Allowed beyond loopback, the accounts are still refused there.
    with pytest.raises(EmulatorRefused) as excinfo:
        WeChatEmulator(host="0.0.0.0", allow_remote=True).start()  # noqa: S104
    assert excinfo.value.option == "allow_real_accounts"
    assert "DEBUG is False" in str(excinfo.value)
    assert get_account().token not in str(excinfo.value)
    # With both, it would start, with both warnings (checked, not bound: tests stay on
    # loopback).
    warnings = WeChatEmulator(
        host="0.0.0.0",  # noqa: S104
        allow_remote=True,
        allow_real_accounts=True,
    ).guard()
    assert any("beyond loopback" in w for w in warnings)
    assert any("DEBUG is False" in w for w in warnings)


def test_on_loopback_the_class_serves_test_accounts_with_debug_off(settings: Any) -> None:
    # pytest-django runs tests with DEBUG off and the API at WeChat's until the emulator is
    # started and pointed at: that must keep working.
    settings.DEBUG = False
    with WeChatEmulator() as emulator:
        assert emulator.guard() == []
        assert requests.get(f"{emulator.url}/cgi-bin/token", timeout=5).json()["errcode"] == 40002
    # The strict check (the command's) is the one that refuses them.
    with pytest.raises(EmulatorRefused, match="DEBUG is False"):
        WeChatEmulator().guard(strict=True)


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])  # noqa: S104
def test_an_ambiguous_api_base_url_is_not_this_emulator(settings: Any, host: str) -> None:
    port = free_port()
    settings.DEBUG = True
    settings.WECHAT = {**settings.WECHAT, "API_BASE_URL": AMBIGUOUS.format(port=port)}
    emulator = WeChatEmulator(host=host, port=port, allow_remote=True)
    with pytest.raises(EmulatorRefused) as excinfo:
        emulator.guard(strict=True)
    assert excinfo.value.option == "allow_real_accounts"
    assert "api.weixin.qq.com" in str(excinfo.value)
    # The same URL without the trick is this emulator.
    settings.WECHAT = {**settings.WECHAT, "API_BASE_URL": f"http://127.0.0.1:{port}"}
    assert not [w for w in emulator.guard(strict=True) if "API_BASE_URL" in w]


def test_the_command_is_not_fooled_by_an_ambiguous_api_base_url(settings: Any) -> None:
    settings.DEBUG = True
    settings.WECHAT = {**settings.WECHAT, "API_BASE_URL": AMBIGUOUS.format(port=8093)}
    with pytest.raises(CommandError) as excinfo:
        call_command("wechat_emulator", port=8093)
    assert "--allow-real-accounts" in str(excinfo.value)
    assert "api.weixin.qq.com" in str(excinfo.value)


def test_the_class_logs_what_it_was_allowed(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DEBUG = True
    # Loopback with allow_real_accounts and a strict check: started, with the warning.
    settings.WECHAT = {**settings.WECHAT, "API_BASE_URL": "https://api.weixin.qq.com"}
    caplog.set_level(logging.WARNING, logger="django_wechat.testing.emulator")
    with WeChatEmulator(allow_real_accounts=True).start(strict=True) as emulator:
        assert emulator._server is not None
    assert "API_BASE_URL" in caplog.text


def test_the_call_log_redacts_oauth_and_mini_program_codes(
    wechat_emulator: WeChatEmulator,
) -> None:
    wechat_emulator.oauth_auto_approve = "o-demo-follower-1"
    client = get_client()
    page = requests.get(
        client.oauth.authorize_url("http://127.0.0.1:8000/cb", scope="snsapi_base"),
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(page.headers["Location"]).query)["code"][0]
    web = client.oauth.fetch_access_token(code)
    js_code = wechat_emulator.js_code("o-demo-follower-1")
    session = client.miniprogram.code_to_session(js_code)
    calls = wechat_emulator.calls()
    text = repr(calls)
    for secret in (code, js_code, web["access_token"], web["refresh_token"]):
        assert secret not in text
    assert session["session_key"] not in text
    (oauth,) = wechat_emulator.calls("sns/oauth2/access_token")
    (mini,) = wechat_emulator.calls("sns/jscode2session")
    assert oauth.query["code"] == "********"
    assert mini.query["js_code"] == "********"
    assert get_account().app_secret not in text
