"""urllib3 logs every request line at DEBUG; the app keeps credentials out of it."""

from __future__ import annotations

import logging

import pytest

from django_wechat import get_client
from django_wechat.client.logs import REDACTED
from django_wechat.testing.emulator import WeChatEmulator

FOLLOWER = "o-demo-follower-1"
SECRET = "test-secret-default"


@pytest.fixture
def urllib3_debug(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="urllib3")
    return caplog


def test_debug_log_of_api_calls_holds_no_credentials(
    wechat_emulator: WeChatEmulator, urllib3_debug: pytest.LogCaptureFixture
) -> None:
    client = get_client()
    token = client.access_token
    client.user.get(FOLLOWER)
    ticket = client.jsapi.get_jsapi_ticket()
    code = wechat_emulator.js_code(FOLLOWER)
    client.miniprogram.code_to_session(code)

    lines = [r.getMessage() for r in urllib3_debug.records if r.name.startswith("urllib3")]
    requests_logged = [line for line in lines if '"GET /' in line or '"POST /' in line]
    # The request lines are there, so the test would see a leak...
    assert any("/cgi-bin/token?" in line for line in requests_logged)
    assert any("/cgi-bin/user/info?" in line for line in requests_logged)
    assert any("/sns/jscode2session?" in line for line in requests_logged)
    # ...and no credential is in them.
    text = "\n".join(lines)
    for credential in (SECRET, token, ticket, code):
        assert credential not in text
    assert f"secret={REDACTED}" in text
    assert f"access_token={REDACTED}" in text
    assert f"js_code={REDACTED}" in text
    # What is not a credential stays readable.
    assert "grant_type=client_credential" in text
    assert f"openid={FOLLOWER}" in text
