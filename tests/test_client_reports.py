"""Django's error reports (the 500 e-mail, Sentry's locals) never show a secret.

Django's ``ExceptionReporter`` prints every frame's local variables; the client's frames
hold the AppSecret, access_tokens, tickets and codes. Each test makes a real call fail
and renders the report the way ``AdminEmailHandler(include_html=True)`` does.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

import django
import pytest
from django.core import mail
from django.core.cache import caches
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter

from django_wechat import get_client
from django_wechat.client import RetryPolicy, WeChatClient
from django_wechat.exceptions import APIError, TokenUnavailable, TransportError, WeChatError
from django_wechat.testing.emulator import WeChatEmulator
from tests.client_support import with_account
from tests.test_client_base import SECRET, assert_no_secrets, closed_port

TICKET = "cgi-bin/ticket/getticket"
FOLLOWER = "o-demo-follower-1"
HIDDEN = "********************"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    caches["default"].clear()


def made_up(what: str) -> str:
    """A value made at run time: the report's source lines cannot contain it."""
    return f"{what}-{secrets.token_hex(8)}"


class Held:
    """Values a test passes to the client: its default repr shows none of them."""

    code = ""
    token = ""


def failure(call: Callable[[], object]) -> BaseException:
    """The exception ``call`` raises, caught here: its report starts in this frame, not in
    the test's, whose locals and source lines hold the secrets the test looks for."""
    try:
        call()
    except WeChatError as exc:
        return exc
    raise AssertionError("the call did not fail")


def reports(exc: BaseException) -> list[str]:
    """The HTML and the plain-text report of ``exc``, as the 500 e-mail has them."""
    reporter = ExceptionReporter(None, type(exc), exc, exc.__traceback__)
    return [reporter.get_traceback_html(), reporter.get_traceback_text()]


def assert_reports_hide(exc: BaseException, *secrets: str, frame: str = "_send") -> None:
    assert_no_secrets(exc, *secrets)
    for report in reports(exc):
        # The report does show the client's frames, with their locals hidden ...
        assert frame in report
        assert HIDDEN in report
        # ... and no secret anywhere.
        for secret in (SECRET, *secrets):
            assert secret not in report


def test_a_token_fetch_that_cannot_connect() -> None:
    client = WeChatClient(
        "default",
        api_base_url=f"http://127.0.0.1:{closed_port()}",
        retry=RetryPolicy(attempts=2, backoff=0.01),
    )
    exc = failure(lambda: client.access_token)
    assert isinstance(exc, TransportError)
    assert_reports_hide(exc)


def test_an_errcode_on_a_call_with_the_access_token(wechat_emulator: WeChatEmulator) -> None:
    client = get_client()
    token = client.access_token
    wechat_emulator.fail("errcode", api=TICKET, errcode=40097)
    exc = failure(lambda: client.get(TICKET, params={"type": "jsapi"}))
    assert_reports_hide(exc, token)
    # request() holds the token too; its frame is in the report, hidden.
    assert all("in request" in r for r in reports(exc))


def test_a_token_fetch_refused_for_a_wrong_secret(
    wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    wrong = made_up("secret")
    with_account(settings, APP_SECRET=wrong)
    exc = failure(lambda: get_client().access_token)
    assert isinstance(exc, APIError)
    assert exc.errcode == 40125
    assert_reports_hide(exc, wrong)


def test_a_stable_token_fetch_with_the_secret_in_its_body(
    wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    with_account(settings, TOKEN_SOURCE="stable_token")
    wechat_emulator.fail("errcode", api="cgi-bin/stable_token", errcode=40013)
    exc = failure(lambda: get_client().access_token)
    assert isinstance(exc, APIError)
    assert_reports_hide(exc)


def test_a_ticket_fetch_that_fails(wechat_emulator: WeChatEmulator) -> None:
    client = get_client()
    token = client.access_token
    wechat_emulator.fail("errcode", api=TICKET, errcode=45009)
    exc = failure(lambda: client.jsapi.get_jsapi_config("https://a.example/", ["chooseImage"]))
    assert isinstance(exc, APIError)
    assert_reports_hide(exc, token)


def test_oauth_code_exchange_and_follower_tokens(wechat_emulator: WeChatEmulator) -> None:
    client = get_client()
    held = Held()
    held.code = made_up("code")
    exc = failure(lambda: client.oauth.fetch_access_token(held.code))
    assert isinstance(exc, APIError)
    assert exc.errcode == 40029
    assert_reports_hide(exc, held.code)
    held.token = made_up("token")
    exc = failure(lambda: client.oauth.get_user_info(FOLLOWER, held.token))
    assert_reports_hide(exc, held.token)
    held.token = made_up("refresh")
    exc = failure(lambda: client.oauth.refresh_access_token(held.token))
    assert_reports_hide(exc, held.token)


def test_miniprogram_code_exchange(wechat_emulator: WeChatEmulator) -> None:
    held = Held()
    held.code = wechat_emulator.js_code(FOLLOWER)
    client = get_client()
    client.miniprogram.code_to_session(held.code)
    exc = failure(lambda: client.miniprogram.code_to_session(held.code))  # used up: 40163
    assert isinstance(exc, APIError)
    assert exc.errcode == 40163
    assert_reports_hide(exc, held.code)


EXPIRED = made_up("expired")


def expired_token(account: Any) -> tuple[str, float]:
    """An ACCESS_TOKEN_FUNC that hands out an expired token."""
    return (EXPIRED, time.time() - 10)


def test_an_access_token_func_that_returns_an_expired_token(settings: Any) -> None:
    with_account(settings, ACCESS_TOKEN_FUNC="tests.test_client_reports.expired_token")
    exc = failure(lambda: get_client().access_token)
    assert isinstance(exc, TokenUnavailable)
    assert_reports_hide(exc, EXPIRED, frame="call_access_token_func")


# Django 6.1 announces its 2028 mail settings; this test is about what the e-mail holds.
@pytest.mark.filterwarnings("ignore:Django 2028 will not have a default mailer")
def test_the_admin_email_with_html(wechat_emulator: WeChatEmulator, settings: Any) -> None:
    # Django 6 takes plain addresses (and deprecates the pairs that 5.2 requires).
    settings.ADMINS = (
        ["ops@example.com"] if django.VERSION >= (6,) else [("Ops", "ops@example.com")]
    )
    client = get_client()
    token = client.access_token
    wechat_emulator.fail("errcode", api="cgi-bin/user/info", errcode=40003)
    logger = logging.getLogger("tests.client_reports")
    handler = AdminEmailHandler(include_html=True)
    logger.addHandler(handler)
    try:
        exc = failure(lambda: client.user.get(FOLLOWER))
        logger.error("The follower's profile failed", exc_info=exc)
    finally:
        logger.removeHandler(handler)
    (message,) = mail.outbox
    (html, _type) = message.alternatives[0]
    assert "cgi-bin/user/info" in message.body
    for text in (message.body, str(html)):
        assert "_send" in text
        assert SECRET not in text
        assert token not in text
