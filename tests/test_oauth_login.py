"""The WeChat login (django_wechat.oauth) against the emulator over loopback HTTP: every
branch of the callback, the state design, the backend, unionid links and the adapter."""

from __future__ import annotations

import logging
import re
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.test import Client

from django_wechat.cache import oauth_claim_key, oauth_state_key
from django_wechat.conf import get_account
from django_wechat.models import WeChatUser
from django_wechat.oauth.adapter import WeChatAdapter
from django_wechat.oauth.backends import WeChatBackend, login_result
from django_wechat.oauth.state import BINDING_COOKIE
from django_wechat.signals import wechat_user_logged_in
from django_wechat.testing.emulator import WeChatEmulator
from django_wechat.testing.emulator.routes.oauth import add_follower
from tests.oauth_support import consent, log_in, start_login

pytestmark = pytest.mark.django_db

EXCHANGE = "sns/oauth2/access_token"
USERINFO = "sns/userinfo"


def logged_in_user(client: Client) -> Any:
    """The user the client's session is logged in as (None when anonymous)."""
    from django.contrib.auth import get_user
    from django.http import HttpRequest

    request = HttpRequest()
    request.session = client.session
    user = get_user(request)  # type: ignore[arg-type]
    return user if user.is_authenticated else None


def page_of(response: Any) -> str:
    text: str = response.content.decode()
    return text


@pytest.fixture
def signals() -> Any:
    sent: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        sent.append(kwargs)

    wechat_user_logged_in.connect(receiver)
    yield sent
    wechat_user_logged_in.disconnect(receiver)


# --- the login view ----------------------------------------------------------------------


def test_the_login_view_sends_the_follower_to_wechat(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    params = start_login(client, "default", next="/shop/")
    assert params["appid"] == get_account().app_id
    assert params["redirect_uri"] == "http://testserver/wechat/oauth/callback/default/"
    assert params["response_type"] == "code"
    assert params["scope"] == "snsapi_base"
    # WeChat's rule: letters and digits, at most 128 bytes.
    assert re.fullmatch(r"[A-Za-z0-9]{32}", params["state"])
    cookie = client.cookies[BINDING_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    # Sent to the login views (so tabs share one nonce) and to the callback.
    assert cookie["path"] == "/wechat/oauth/"
    # The server keeps what the state stands for.
    record = caches["default"].get(oauth_state_key(params["state"]))
    assert record["account"] == "default"
    assert record["next"] == "/shop/"
    assert record["scope"] == "snsapi_base"


def test_the_default_account_has_a_url_without_it(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    from django.urls import reverse

    assert reverse("wechat:oauth_login") == "/wechat/oauth/login/"
    assert (
        reverse("wechat:oauth_login", kwargs={"account": "plain"}) == "/wechat/oauth/login/plain/"
    )
    assert start_login(client, None)["appid"] == get_account().app_id
    assert start_login(client, "plain")["appid"] == get_account("plain").app_id


def test_each_login_gets_its_own_state_and_one_browser_nonce(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    first = start_login(client)
    nonce = client.cookies[BINDING_COOKIE].value
    second = start_login(client, scope="snsapi_userinfo")
    assert first["state"] != second["state"]
    assert second["scope"] == "snsapi_userinfo"
    assert client.cookies[BINDING_COOKIE].value == nonce  # two tabs share it


def test_a_wrong_scope_is_a_page(client: Client, wechat_emulator: WeChatEmulator) -> None:
    response = client.get("/wechat/oauth/login/", {"scope": "snsapi_login"})
    assert response.status_code == 400
    assert "The scope must be snsapi_base or snsapi_userinfo." in page_of(response)


def test_the_callback_takes_no_head(client: Client, wechat_emulator: WeChatEmulator) -> None:
    # A link checker's HEAD must not use the code up.
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    assert client.head(callback).status_code == 405
    assert wechat_emulator.count(EXCHANGE) == 0
    assert client.get(callback).status_code == 302


def test_an_unknown_account_is_404(client: Client, wechat_emulator: WeChatEmulator) -> None:
    assert client.get("/wechat/oauth/login/nope/").status_code == 404
    assert client.get("/wechat/oauth/callback/nope/?state=a&code=b").status_code == 404


# --- logging in --------------------------------------------------------------------------


def test_snsapi_base_logs_in_silently(
    client: Client, wechat_emulator: WeChatEmulator, signals: list[dict[str, Any]]
) -> None:
    response = log_in(client, wechat_emulator, query={"next": "/shop/?a=1"})
    assert response.status_code == 302
    assert response["Location"] == "/shop/?a=1"
    user = logged_in_user(client)
    assert user is not None
    assert user.username.startswith("wx_")
    assert "o-demo-follower" not in user.username
    assert not user.has_usable_password()
    wechat_user = WeChatUser.objects.get()
    assert (wechat_user.account, wechat_user.openid) == ("default", "o-demo-follower-1")
    assert wechat_user.user == user
    # snsapi_base: no unionid in the token answer, no sns/userinfo call, no nickname.
    assert wechat_user.unionid == ""
    assert wechat_user.nickname == ""
    assert wechat_emulator.count(USERINFO) == 0
    assert wechat_emulator.count(EXCHANGE) == 1
    (sent,) = signals
    assert sent["sender"] == get_account()
    assert sent["wechat_user"] == wechat_user
    assert sent["created"] is True
    assert sent["request"] is not None


def test_snsapi_userinfo_stores_nickname_and_avatar(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    log_in(client, wechat_emulator, query={"scope": "snsapi_userinfo"}, openid="o-demo-follower-2")
    wechat_user = WeChatUser.objects.get()
    assert wechat_user.nickname == "王芳"
    assert wechat_user.avatar_url == "https://thirdwx.qlogo.cn/mmopen/demo-follower-2/132"
    assert wechat_user.unionid == "u-demo-follower-2"
    assert wechat_user.profile["nickname"] == "王芳"
    assert "access_token" not in wechat_user.profile
    assert "refresh_token" not in wechat_user.profile
    assert wechat_emulator.count(USERINFO) == 1


def test_a_blank_nickname_never_overwrites_a_known_one(
    client: Client, wechat_emulator: WeChatEmulator, signals: list[dict[str, Any]]
) -> None:
    log_in(client, wechat_emulator, query={"scope": "snsapi_userinfo"})
    follower = wechat_emulator.state().followers["o-demo-follower-1"]
    follower.nickname, follower.headimgurl = "", ""
    log_in(Client(), wechat_emulator, query={"scope": "snsapi_userinfo"})
    wechat_user = WeChatUser.objects.get()
    assert wechat_user.nickname == "张伟"
    assert wechat_user.avatar_url.endswith("/demo-follower-1/132")
    assert [s["created"] for s in signals] == [True, False]
    assert get_user_model().objects.count() == 1


def test_a_base_login_after_a_userinfo_one_keeps_the_unionid(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    log_in(client, wechat_emulator, query={"scope": "snsapi_userinfo"})
    log_in(Client(), wechat_emulator)
    assert WeChatUser.objects.get().unionid == "u-demo-follower-1"


def test_two_accounts_sharing_a_unionid_land_on_one_user(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    # The same person follows a second account of the open platform: another openid,
    # the same unionid.
    unionid = wechat_emulator.state("default").followers["o-demo-follower-1"].unionid
    add_follower(
        wechat_emulator, "compatible", "o-compat-zhangwei", nickname="张伟", unionid=unionid
    )
    log_in(client, wechat_emulator, "default", query={"scope": "snsapi_userinfo"})
    first = logged_in_user(client)
    other = Client()
    log_in(
        other,
        wechat_emulator,
        "compatible",
        query={"scope": "snsapi_userinfo"},
        openid="o-compat-zhangwei",
    )
    assert logged_in_user(other) == first
    rows = WeChatUser.objects.order_by("account")
    assert [(w.account, w.openid, w.user_id) for w in rows] == [
        ("compatible", "o-compat-zhangwei", first.pk),
        ("default", "o-demo-follower-1", first.pk),
    ]
    assert get_user_model().objects.count() == 1


def test_different_unionids_are_different_users(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    add_follower(wechat_emulator, "compatible", "o-compat-other", unionid="u-someone-else")
    log_in(client, wechat_emulator, "default", query={"scope": "snsapi_userinfo"})
    other = Client()
    log_in(
        other,
        wechat_emulator,
        "compatible",
        query={"scope": "snsapi_userinfo"},
        openid="o-compat-other",
    )
    assert logged_in_user(other) != logged_in_user(client)
    assert get_user_model().objects.count() == 2


def test_a_follower_known_from_sync_gets_a_user_on_login(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    WeChatUser.objects.create(
        account="default", openid="o-demo-follower-1", subscribed=True, remark="VIP"
    )
    log_in(client, wechat_emulator)
    wechat_user = WeChatUser.objects.get()
    assert wechat_user.user == logged_in_user(client)
    assert (wechat_user.subscribed, wechat_user.remark) == (True, "VIP")


# --- idempotency -----------------------------------------------------------------------


def test_a_double_loaded_callback_gets_the_same_outcome(
    client: Client, wechat_emulator: WeChatEmulator, signals: list[dict[str, Any]]
) -> None:
    params = start_login(client, next="/after/")
    callback = consent(wechat_emulator, params)
    first = client.get(callback)
    user = logged_in_user(client)
    second = client.get(callback)
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"] == "/after/"
    assert logged_in_user(client) == user
    # The code went to WeChat once; no 40163.
    (exchange,) = wechat_emulator.calls(EXCHANGE)
    assert exchange.errcode == 0
    assert len(signals) == 1


def test_a_second_load_whose_first_answer_never_arrived(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    # The first load's response (and its session cookie) was lost: the second load,
    # from a browser without that session, is logged in as the same user.
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    first_browser = Client()
    first_browser.cookies = client.cookies
    first_browser.get(callback)
    user = logged_in_user(first_browser)
    client.cookies.pop("sessionid", None)
    response = client.get(callback)
    assert response.status_code == 302
    assert logged_in_user(client) == user
    assert wechat_emulator.count(EXCHANGE) == 1


# Two loads of one callback at once: tests/test_oauth_browser.py, against the served demo.


def test_a_failed_exchange_is_not_retried_on_a_second_load(
    client: Client, wechat_emulator: WeChatEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    wechat_emulator.fail("drop", api=EXCHANGE)
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    with caplog.at_level(logging.WARNING, logger="django_wechat"):
        first = client.get(callback)
        second = client.get(callback)
    assert first.status_code == second.status_code == 502
    assert "WeChat could not be reached" in page_of(second)
    # WeChat may have used the code up: it is never sent again (a new login is needed).
    assert wechat_emulator.count(EXCHANGE) == 1
    code = dict(parse_qsl(urlsplit(callback).query))["code"]
    assert code not in caplog.text
    assert "unreachable" in caplog.text


# --- the state -----------------------------------------------------------------------------


def test_the_session_cookie_lost_between_login_and_callback(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    # WeChat's webview drops cookies (socialite #97): the state alone is enough.
    params = start_login(client, next="/after/")
    callback = consent(wechat_emulator, params)
    fresh = Client()
    response = fresh.get(callback)
    assert response.status_code == 302
    assert response["Location"] == "/after/"
    assert logged_in_user(fresh) is not None


def test_a_state_from_another_browser_is_refused(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    other = Client()
    start_login(other)  # another browser, with its own nonce
    response = other.get(callback)
    assert response.status_code == 400
    assert "The login link belongs to another browser or tab." in page_of(response)
    assert logged_in_user(other) is None
    assert wechat_emulator.count(EXCHANGE) == 0
    # The browser that started it still can.
    assert client.get(callback).status_code == 302


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("", "The link WeChat sent you back with is missing its state."),
        ("?code=abc", "The link WeChat sent you back with is missing its state."),
        ("?code=abc&state=unknown0state1", "each link works once"),
        ("?code=abc&state=not-ours!", "each link works once"),
        ("?code=abc&state=" + "a" * 200, "each link works once"),
    ],
)
def test_a_missing_or_unknown_state_is_a_page(
    client: Client, wechat_emulator: WeChatEmulator, query: str, words: str
) -> None:
    response = client.get("/wechat/oauth/callback/default/" + query)
    assert response.status_code == 400
    assert words in page_of(response)
    assert 'class="retry" href="/wechat/oauth/login/default/"' in page_of(response)
    assert wechat_emulator.count(EXCHANGE) == 0


def test_an_expired_state_is_refused(
    client: Client, wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    caches["default"].delete(oauth_state_key(params["state"]))  # what 10 minutes do
    response = client.get(callback)
    assert response.status_code == 400
    assert "This login has expired" in page_of(response)


def test_a_state_is_for_one_account(client: Client, wechat_emulator: WeChatEmulator) -> None:
    params = start_login(client, "default")
    callback = consent(wechat_emulator, params)
    response = client.get(callback.replace("/default/", "/plain/"))
    assert response.status_code == 400
    assert wechat_emulator.count(EXCHANGE) == 0


@pytest.mark.slow
def test_the_state_lives_oauth_state_timeout(
    client: Client, wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    import time

    settings.WECHAT = {**settings.WECHAT, "OAUTH_STATE_TIMEOUT": 1}
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    time.sleep(1.1)
    assert client.get(callback).status_code == 400


# --- the follower, the code and WeChat ------------------------------------------------------


def test_refused_consent_is_a_page_and_the_state_still_works(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    params = start_login(client, next="/after/", scope="snsapi_userinfo")
    refused = client.get(consent(wechat_emulator, params, action="deny"))
    assert refused.status_code == 400
    text = page_of(refused)
    assert "You did not allow the login" in text
    assert "/wechat/oauth/login/default/?next=%2Fafter%2F&amp;scope=snsapi_userinfo" in text
    assert logged_in_user(client) is None
    # Going back and allowing finishes the same login.
    assert client.get(consent(wechat_emulator, params)).status_code == 302


def test_a_snapshot_user_is_never_logged_in(
    client: Client, wechat_emulator: WeChatEmulator, signals: list[dict[str, Any]]
) -> None:
    params = start_login(client, scope="snsapi_userinfo")
    response = client.get(consent(wechat_emulator, params, action="snapshot"))
    assert response.status_code == 400
    assert "使用完整服务" in page_of(response)
    assert logged_in_user(client) is None
    assert WeChatUser.objects.count() == 0
    assert get_user_model().objects.count() == 0
    assert wechat_emulator.count(USERINFO) == 0  # the virtual token is never used
    assert signals == []


def test_an_expired_code(client: Client, wechat_emulator: WeChatEmulator) -> None:
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    wechat_emulator.clock.advance(301)  # codes live 5 minutes
    response = client.get(callback)
    assert response.status_code == 400
    assert "The authorization code was invalid, expired or already used." in page_of(response)
    assert wechat_emulator.calls(EXCHANGE)[0].errcode == 40029


def test_a_code_used_elsewhere(client: Client, wechat_emulator: WeChatEmulator) -> None:
    from django_wechat import get_client

    params = start_login(client)
    callback = consent(wechat_emulator, params)
    code = dict(parse_qsl(urlsplit(callback).query))["code"]
    get_client().oauth.fetch_access_token(code)  # someone else's server used it
    response = client.get(callback)
    assert response.status_code == 400
    assert wechat_emulator.calls(EXCHANGE)[-1].errcode == 40163


def test_a_code_under_a_second_state_is_never_exchanged_again(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    assert client.get(callback).status_code == 302
    code = dict(parse_qsl(urlsplit(callback).query))["code"]
    other = start_login(Client())
    response = Client().get(f"/wechat/oauth/callback/default/?code={code}&state={other['state']}")
    assert response.status_code == 400
    assert "The authorization code was used by another login." in page_of(response)
    assert wechat_emulator.count(EXCHANGE) == 1


@pytest.mark.parametrize(
    ("fault", "status", "words"),
    [
        ({"kind": "errcode", "errcode": 40125}, 502, "WeChat refused the login"),
        ({"kind": "errcode", "errcode": -1}, 502, "WeChat refused the login"),
        ({"kind": "http502"}, 502, "WeChat could not be reached"),
        ({"kind": "drop"}, 502, "WeChat could not be reached"),
    ],
)
def test_wechat_failing_is_a_page(
    client: Client,
    wechat_emulator: WeChatEmulator,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
    status: int,
    words: str,
) -> None:
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    wechat_emulator.fail(api=EXCHANGE, **fault)
    with caplog.at_level(logging.WARNING, logger="django_wechat"):
        response = client.get(callback)
    assert response.status_code == status
    assert words in page_of(response)
    assert logged_in_user(client) is None
    code = dict(parse_qsl(urlsplit(callback).query))["code"]
    assert code not in caplog.text
    assert get_account().app_secret not in caplog.text


def test_userinfo_failing_is_a_page(client: Client, wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.fail("errcode", api=USERINFO, errcode=48001)
    response = log_in(client, wechat_emulator, query={"scope": "snsapi_userinfo"})
    assert response.status_code == 502
    assert WeChatUser.objects.count() == 0


def test_no_secret_reaches_the_log(
    client: Client, wechat_emulator: WeChatEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        params = start_login(client, scope="snsapi_userinfo")
        callback = consent(wechat_emulator, params)
        client.get(callback)
        client.get(callback)
    code = dict(parse_qsl(urlsplit(callback).query))["code"]
    assert code not in caplog.text
    for token in wechat_emulator.tokens:
        assert token not in caplog.text
    assert get_account().app_secret not in caplog.text


# --- next ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example.com/", "//evil.example.com/", "javascript:alert(1)", "http:///evil"],
)
def test_an_unsafe_next_goes_to_login_redirect_url(
    client: Client, wechat_emulator: WeChatEmulator, settings: Any, next_url: str
) -> None:
    settings.LOGIN_REDIRECT_URL = "/welcome/"
    response = log_in(client, wechat_emulator, query={"next": next_url})
    assert response["Location"] == "/welcome/"


def test_a_next_on_this_site_is_kept(client: Client, wechat_emulator: WeChatEmulator) -> None:
    response = log_in(client, wechat_emulator, query={"next": "http://testserver/a/?b=1"})
    assert response["Location"] == "http://testserver/a/?b=1"


# --- the adapter and the backend --------------------------------------------------------------


class ClosedAdapter(WeChatAdapter):
    def is_open_for_signup(self, request: Any, wechat_user: Any) -> bool:
        return False


class NamingAdapter(WeChatAdapter):
    logins: list[tuple[str, bool]] = []  # noqa: RUF012

    def generate_username(self, wechat_user: Any) -> str:
        return "fan-" + wechat_user.openid[-1]

    def populate_user(self, request: Any, user: Any, wechat_user: Any) -> None:
        user.first_name = wechat_user.nickname

    def login(self, request: Any, wechat_user: Any, created: bool) -> None:
        self.logins.append((wechat_user.openid, created))


def test_an_adapter_may_close_signup(
    client: Client, wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    settings.WECHAT = {**settings.WECHAT, "OAUTH_ADAPTER": f"{__name__}.ClosedAdapter"}
    response = log_in(client, wechat_emulator)
    assert response.status_code == 403
    assert "Sign-up is closed" in page_of(response)
    assert WeChatUser.objects.count() == 0
    assert get_user_model().objects.count() == 0


def test_closed_signup_still_links_by_unionid(
    client: Client, wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    unionid = wechat_emulator.state("default").followers["o-demo-follower-1"].unionid
    add_follower(wechat_emulator, "plain", "o-plain-1", unionid=unionid)
    log_in(client, wechat_emulator, query={"scope": "snsapi_userinfo"})
    settings.WECHAT = {**settings.WECHAT, "OAUTH_ADAPTER": f"{__name__}.ClosedAdapter"}
    other = Client()
    response = log_in(
        other, wechat_emulator, "plain", query={"scope": "snsapi_userinfo"}, openid="o-plain-1"
    )
    assert response.status_code == 302
    assert logged_in_user(other) == logged_in_user(client)


def test_an_adapter_names_and_fills_users(
    client: Client, wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    settings.WECHAT = {**settings.WECHAT, "OAUTH_ADAPTER": f"{__name__}.NamingAdapter"}
    NamingAdapter.logins.clear()
    log_in(client, wechat_emulator, query={"scope": "snsapi_userinfo"}, openid="o-demo-follower-3")
    user = logged_in_user(client)
    assert (user.username, user.first_name) == ("fan-3", "李娜")
    assert NamingAdapter.logins == [("o-demo-follower-3", True)]


def test_an_inactive_user_is_refused(client: Client, wechat_emulator: WeChatEmulator) -> None:
    log_in(client, wechat_emulator)
    get_user_model().objects.update(is_active=False)
    other = Client()
    response = log_in(other, wechat_emulator)
    assert response.status_code == 403
    assert logged_in_user(other) is None


class NoStaffAdapter(WeChatAdapter):
    def can_log_in(self, request: Any, user: Any, wechat_user: Any) -> bool:
        return not user.is_staff


class DenyingAdapter(WeChatAdapter):
    def can_log_in(self, request: Any, user: Any, wechat_user: Any) -> bool:
        raise PermissionDenied


def test_an_adapter_may_keep_staff_out(
    client: Client,
    wechat_emulator: WeChatEmulator,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    signals: list[dict[str, Any]],
) -> None:
    settings.WECHAT = {**settings.WECHAT, "OAUTH_ADAPTER": f"{__name__}.NoStaffAdapter"}
    log_in(client, wechat_emulator)
    assert logged_in_user(client) is not None  # a follower who is not staff
    user = WeChatUser.objects.get().user
    get_user_model().objects.filter(pk=user.pk).update(is_staff=True)
    staff = Client()
    with caplog.at_level(logging.WARNING, logger="django_wechat.oauth"):
        response = log_in(staff, wechat_emulator)
    assert response.status_code == 403
    assert "Log in another way" in page_of(response)
    assert "not_allowed" in page_of(response)
    assert logged_in_user(staff) is None
    assert "not_allowed: the adapter's can_log_in() said no" in caplog.text
    assert len(signals) == 1  # the first login only


def test_a_refused_new_follower_leaves_nothing_behind(
    client: Client, wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    # PermissionDenied from the hook, as Django's own code raises it, is a no as well.
    settings.WECHAT = {**settings.WECHAT, "OAUTH_ADAPTER": f"{__name__}.DenyingAdapter"}
    response = log_in(client, wechat_emulator, query={"scope": "snsapi_userinfo"})
    assert response.status_code == 403
    assert "Log in another way" in page_of(response)
    assert logged_in_user(client) is None
    assert WeChatUser.objects.count() == 0
    assert get_user_model().objects.count() == 0


def test_without_the_backend_the_page_says_so(
    client: Client, wechat_emulator: WeChatEmulator, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    with caplog.at_level(logging.ERROR, logger="django_wechat"):
        response = log_in(client, wechat_emulator)
    assert response.status_code == 502
    assert "WeChat login is not set up" in page_of(response)
    assert "WeChatBackend is not in AUTHENTICATION_BACKENDS" in caplog.text


def test_the_backend_never_raises(wechat_emulator: WeChatEmulator) -> None:
    from django.http import HttpRequest

    request = HttpRequest()
    assert authenticate(request, wechat_code="bogus", wechat_account="default") is None
    result = login_result(request)
    assert result is not None
    assert result.failure is not None
    assert result.failure.reason == "code_invalid"
    assert authenticate(request, wechat_code="x", wechat_account="nope") is None
    assert authenticate(request, username="a", password="b") is None
    assert WeChatBackend().authenticate(None) is None
    wechat_emulator.stop()
    assert authenticate(None, wechat_code="other", wechat_account="default") is None


def test_the_backend_serves_get_user(client: Client, wechat_emulator: WeChatEmulator) -> None:
    log_in(client, wechat_emulator)
    user = logged_in_user(client)
    assert WeChatBackend().get_user(user.pk) == user
    assert client.session["_auth_user_backend"] == "django_wechat.oauth.backends.WeChatBackend"


# --- languages -------------------------------------------------------------------------------

LOCALE_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]


@pytest.mark.parametrize(
    ("language", "title", "button"),
    [
        ("zh-CN,zh;q=0.9", "请使用完整服务", "重试"),
        ("en-US,en;q=0.9", "Please use the full service", "Try again"),
    ],
)
def test_the_error_page_speaks_the_followers_language(
    client: Client,
    wechat_emulator: WeChatEmulator,
    settings: Any,
    language: str,
    title: str,
    button: str,
) -> None:
    settings.MIDDLEWARE = LOCALE_MIDDLEWARE
    params = start_login(client, scope="snsapi_userinfo")
    callback = consent(wechat_emulator, params, action="snapshot")
    response = client.get(callback, headers={"accept-language": language})
    text = page_of(response)
    assert f"<title>{title}</title>" in text
    assert f">{button}</a>" in text


# --- a shared cache, the unexpected, a busy first load, WeChat's own page -----------------------


@pytest.mark.redis
def test_the_login_on_redis(
    client: Client, wechat_emulator: WeChatEmulator, redis_cache: str
) -> None:
    params = start_login(client, next="/after/")
    assert caches[redis_cache].get(oauth_state_key(params["state"]))["next"] == "/after/"
    callback = consent(wechat_emulator, params)
    fresh = Client()  # the cookies lost on the way
    assert fresh.get(callback)["Location"] == "/after/"
    assert client.get(callback)["Location"] == "/after/"
    assert logged_in_user(fresh) == logged_in_user(client)
    assert wechat_emulator.count(EXCHANGE) == 1
    # A callback on another worker finds nothing in its local memory: only the shared cache.
    assert caches["default"].get(oauth_state_key(params["state"])) is None


class BrokenAdapter(WeChatAdapter):
    def create_user(self, request: Any, wechat_user: Any) -> Any:
        raise RuntimeError("the user table is on fire")


def test_anything_unexpected_is_a_page_not_a_500(
    client: Client, wechat_emulator: WeChatEmulator, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.WECHAT = {**settings.WECHAT, "OAUTH_ADAPTER": f"{__name__}.BrokenAdapter"}
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    with caplog.at_level(logging.ERROR, logger="django_wechat"):
        first = client.get(callback)
    second = client.get(callback)
    assert first.status_code == second.status_code == 502
    assert "Something went wrong on the site." in page_of(second)
    assert "the user table is on fire" in caplog.text  # with its traceback, for the team
    assert WeChatUser.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_second_load_that_waits_too_long_is_a_page(
    wechat_emulator: WeChatEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_wechat.oauth import state as login_state

    monkeypatch.setattr(login_state, "WAIT_FOR_OUTCOME", 0.2)
    params = start_login(Client())
    callback = consent(wechat_emulator, params)
    wechat_emulator.fail("delay", api=EXCHANGE, delay=1.0)
    results: dict[str, Any] = {}
    first = threading.Thread(target=lambda: results.update(first=Client().get(callback)))
    first.start()
    claim = oauth_claim_key(params["state"])
    while caches["default"].get(claim) is None and first.is_alive():
        threading.Event().wait(0.02)  # until the first load has claimed the state
    second = Client().get(callback)
    first.join()
    assert results["first"].status_code == 302
    assert second.status_code == 502
    assert "Another load of this page is still logging you in." in page_of(second)


def test_a_redirect_domain_wechat_refuses_is_wechats_page(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    import requests

    # WeChat shows 10003 on its own page and never comes back: nothing of ours can run.
    wechat_emulator.state().oauth_domains.discard("testserver")
    params = start_login(client)
    page = requests.get(
        f"{wechat_emulator.url}/connect/oauth2/authorize", params=params, timeout=30
    )
    assert page.status_code == 400
    assert "10003" in page.text


@pytest.mark.parametrize(
    ("api", "call"),
    [
        (EXCHANGE, lambda client, code: client.oauth.fetch_access_token(code)),
        ("sns/jscode2session", lambda client, code: client.miniprogram.code_to_session(code)),
    ],
)
def test_a_code_exchange_answered_minus_one_is_not_repeated(
    wechat_emulator: WeChatEmulator, api: str, call: Any
) -> None:
    from django_wechat import get_client
    from django_wechat.exceptions import APIError

    # WeChat may have used the code up before answering -1: a retry would get 40163.
    wechat_emulator.fail("errcode", api=api, errcode=-1)
    with pytest.raises(APIError) as excinfo:
        call(get_client(), wechat_emulator.js_code("o-demo-follower-1"))
    assert excinfo.value.errcode == -1
    assert wechat_emulator.count(api) == 1
