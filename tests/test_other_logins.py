"""Accounts of other kinds against the emulator over loopback HTTP: each kind's checks,
the website QR login, @wechat_login_required picking the flow, the mini-program login and
an authenticated call after it, the phone number, open data, and session_key kept out of
every answer and log line."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.checks import Error, Warning, run_checks
from django.template import Context, Template
from django.test import Client, override_settings

from django_wechat.client import get_client
from django_wechat.conf import AccountKind, EncryptMode, get_account
from django_wechat.exceptions import AccountKindError
from django_wechat.models import WeChatUser
from django_wechat.oauth.open_data import OpenDataError, decrypt_open_data
from django_wechat.testing.emulator import WeChatEmulator
from django_wechat.testing.emulator.routes.miniprogram import encrypt_open_data, phone_code
from tests.kinds_support import MINI, WEB, kinds_emulator, scan, start_qr_login, with_kinds
from tests.oauth_support import consent, start_login

__all__ = ["kinds_emulator"]  # the fixture

pytestmark = pytest.mark.django_db

OFFICIAL = {
    "APP_ID": "wx1111111111111111",
    "APP_SECRET": "secret",
    "TOKEN": "token123",
    "ENCRYPT_MODE": "plain",
}
MINI_LOGIN = "/wechat/oauth/miniprogram/login/mini/"
MINI_PHONE = "/wechat/oauth/miniprogram/phone/mini/"
HEADER_MIDDLEWARE = "django_wechat.oauth.middleware.SessionHeaderMiddleware"


def messages(**wechat: Any) -> list[Any]:
    accounts = wechat.pop("ACCOUNTS")
    with override_settings(WECHAT={"ACCOUNTS": accounts, **wechat}, DEBUG=True):
        return [m for m in run_checks(tags=["wechat"]) if m.id and m.id.startswith("wechat.")]


def ids(**wechat: Any) -> list[str]:
    return [m.id for m in messages(**wechat)]


# --- the checks of each kind ---------------------------------------------------------------


def test_each_kind_needs_only_its_keys() -> None:
    assert ids(ACCOUNTS={"default": OFFICIAL, "web": WEB, "mini": MINI}) == []
    # A mini program with message push is checked as an official account's callback.
    pushed = {**MINI, "TOKEN": "minitoken", "ENCRYPT_MODE": "safe"}
    (problem,) = messages(ACCOUNTS={"mini": pushed})
    assert problem.id == "wechat.E007"


def test_an_unknown_kind_is_e030() -> None:
    (problem,) = messages(ACCOUNTS={"default": {**OFFICIAL, "KIND": "service"}})
    assert isinstance(problem, Error)
    assert problem.id == "wechat.E030"
    assert "official, website, miniprogram" in problem.msg
    assert "网站应用" in problem.hint


def test_a_website_app_has_no_callback_settings() -> None:
    (problem,) = messages(ACCOUNTS={"web": {**WEB, "TOKEN": "abc123", "ENCRYPT_MODE": "safe"}})
    assert isinstance(problem, Warning)
    assert problem.id == "wechat.W030"
    assert "TOKEN, ENCRYPT_MODE" in problem.msg
    assert "no callbacks" in problem.hint


def test_a_mini_program_without_push_has_no_aes_key() -> None:
    (problem,) = messages(ACCOUNTS={"mini": {**MINI, "ENCODING_AES_KEY": "x" * 43}})
    assert problem.id == "wechat.W030"
    assert "ENCODING_AES_KEY" in problem.msg
    assert "消息推送" in problem.hint


def test_every_kind_needs_its_app_id_and_secret() -> None:
    found = messages(ACCOUNTS={"web": {"KIND": "website", "APP_ID": WEB["APP_ID"]}})
    assert [m.id for m in found] == ["wechat.E004"]
    assert "APP_SECRET" in found[0].msg
    assert ids(ACCOUNTS={"mini": {**MINI, "APP_ID": "mini"}}) == ["wechat.E015"]


def test_the_pairing_names_an_official_and_a_website_account() -> None:
    accounts = {"default": OFFICIAL, "web": WEB, "mini": MINI}
    assert ids(ACCOUNTS=accounts, OAUTH_WEBSITE_ACCOUNTS={"default": "web"}) == []
    found = messages(ACCOUNTS=accounts, OAUTH_WEBSITE_ACCOUNTS={"web": "mini"})
    assert [m.id for m in found] == ["wechat.E031", "wechat.E031"]
    assert "'web', which is not an account of KIND 'official'" in found[0].msg
    assert "'KIND': 'website'" in found[1].hint
    assert ids(ACCOUNTS=accounts, OAUTH_WEBSITE_ACCOUNTS=["web"]) == ["wechat.E031"]


def test_the_login_rate_is_positive() -> None:
    (problem,) = messages(ACCOUNTS={"default": OFFICIAL}, MINIPROGRAM_LOGIN_RATE=0)
    assert problem.id == "wechat.E032"


def client_address_of(request: Any) -> str:
    """A site's own CLIENT_ADDRESS function (named by its dotted path in the tests)."""
    return str(request.headers.get("X-Client", "nobody"))


def broken_client_address(request: Any) -> str:
    raise KeyError("HTTP_X_CLIENT")


@pytest.mark.parametrize(
    "value",
    [None, "HTTP_X_REAL_IP", "HTTP_X_FORWARDED_FOR", "tests.test_other_logins.client_address_of"],
)
def test_the_client_address_setting_takes_a_meta_key_or_a_function(value: Any) -> None:
    assert ids(ACCOUNTS={"default": OFFICIAL}, CLIENT_ADDRESS=value) == []


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("x-real-ip", "neither a request.META key nor a dotted path"),
        ("X_REAL_IP", "neither a request.META key nor a dotted path"),  # no HTTP_
        (8080, "neither a request.META key nor a dotted path"),
        ("tests.nowhere.address", "not an importable function"),
        ("tests.test_other_logins.OFFICIAL", "not an importable function"),
    ],
)
def test_a_client_address_that_is_neither_is_e033(value: Any, says: str) -> None:
    (problem,) = messages(ACCOUNTS={"default": OFFICIAL}, CLIENT_ADDRESS=value)
    assert problem.id == "wechat.E033"
    assert says in problem.msg
    assert "HTTP_X_REAL_IP" in problem.hint


def test_accounts_read_with_their_kind(settings: Any) -> None:
    settings.WECHAT = with_kinds(settings.WECHAT)
    assert get_account().kind is AccountKind.OFFICIAL
    web = get_account("web")
    assert web.kind is AccountKind.WEBSITE
    assert (web.token, web.encrypt_mode, web.receives_callbacks) == ("", EncryptMode.PLAIN, False)
    assert get_account("mini").kind is AccountKind.MINIPROGRAM
    assert "test-secret" not in repr(web)


# --- get_client for every kind -------------------------------------------------------------


def test_a_client_refuses_the_groups_its_kind_lacks(kinds_emulator: WeChatEmulator) -> None:
    web = get_client("web")
    assert web.oauth.qrconnect_url("https://example.com/back/", "s1").startswith(
        kinds_emulator.url + "/connect/qrconnect?appid=wx00000000000000a1&"
    )
    with pytest.raises(AccountKindError) as caught:
        web.menu  # noqa: B018
    assert str(caught.value) == (
        "Account 'web' is of KIND 'website', which has no access to client.menu; "
        "it may use client.oauth."
    )
    with pytest.raises(AccountKindError):
        web.access_token  # noqa: B018
    assert kinds_emulator.count("cgi-bin/token") == 0
    mini = get_client("mini")
    with pytest.raises(AccountKindError, match=r"client\.user"):
        mini.user  # noqa: B018
    assert mini.access_token  # the phone-number API needs it
    assert get_client().menu is not None


def test_the_callback_refuses_accounts_without_callbacks(
    client: Client, kinds_emulator: WeChatEmulator
) -> None:
    for name in ("web", "mini", "nobody"):
        response = client.get(f"/wechat/callback/{name}/", {"echostr": "x"})
        assert response.status_code == 404, name


# --- the website QR login ---------------------------------------------------------------------


def test_the_qr_login_end_to_end(client: Client, kinds_emulator: WeChatEmulator) -> None:
    params = start_qr_login(client, next="/shop/")
    assert params["appid"] == WEB["APP_ID"]
    assert params["scope"] == "snsapi_login"
    assert params["redirect_uri"] == "http://testserver/wechat/oauth/callback/web/"
    callback = scan(kinds_emulator, params)
    page = client.get(callback)
    assert page.status_code == 302
    assert page["Location"] == "/shop/"
    wechat_user = WeChatUser.objects.get(account="web")
    assert wechat_user.openid == "o-web-follower-1"
    assert wechat_user.nickname == "张伟"
    assert wechat_user.unionid == "u-demo-follower-1"
    assert client.session["_auth_user_id"] == str(wechat_user.user_id)
    # The same idempotent callback: a second load in the same browser logs the same user
    # in, with one exchange; another browser (without the login's cookie) gets nothing.
    again = client.get(callback)
    assert again.status_code == 302
    assert again["Location"] == "/shop/"
    assert Client().get(callback).status_code == 400
    assert kinds_emulator.count("sns/oauth2/access_token") == 1


def test_the_qr_login_links_the_official_accounts_user(
    client: Client, kinds_emulator: WeChatEmulator
) -> None:
    params = start_login(client, "default", scope="snsapi_userinfo")
    client.get(consent(kinds_emulator, params))
    client.logout()
    client.get(scan(kinds_emulator, start_qr_login(client)))
    users = WeChatUser.objects.order_by("account")
    assert [(u.account, u.openid) for u in users] == [
        ("default", "o-demo-follower-1"),
        ("web", "o-web-follower-1"),
    ]
    assert users[0].user_id == users[1].user_id
    assert get_user_model().objects.count() == 1


def test_a_refused_scan_is_the_error_page(client: Client, kinds_emulator: WeChatEmulator) -> None:
    response = client.get(scan(kinds_emulator, start_qr_login(client), action="deny"))
    assert response.status_code == 400
    assert "You did not allow the login" in response.content.decode()
    assert 'href="/wechat/oauth/login/web/' in response.content.decode()


def test_a_website_account_takes_only_snsapi_login(
    client: Client, kinds_emulator: WeChatEmulator
) -> None:
    assert client.get("/wechat/oauth/login/web/", {"scope": "snsapi_base"}).status_code == 400
    assert start_qr_login(client, scope="snsapi_login")["scope"] == "snsapi_login"


def test_the_emulator_keeps_each_page_to_its_kind(
    client: Client, kinds_emulator: WeChatEmulator
) -> None:
    import requests

    official = start_login(client, "default")
    wrong = requests.get(f"{kinds_emulator.url}/connect/qrconnect", params=official, timeout=5)
    assert wrong.status_code == 400
    website = start_qr_login(client)
    wrong = requests.get(
        f"{kinds_emulator.url}/connect/oauth2/authorize",
        params={**website, "scope": "snsapi_base"},
        timeout=5,
    )
    assert wrong.status_code == 400
    assert "10016" in wrong.text


def test_the_embedded_qr_login(client: Client, kinds_emulator: WeChatEmulator) -> None:
    html = Template('{% load wechat %}{% wechat_qr_login "web" next="/shop/" %}').render(
        Context({})
    )
    assert '<div id="wechat-qr-login" class="wechat-qr-login"></div>' in html
    assert "https://res.wx.qq.com/connect/zh_CN/htmledition/js/wxLogin.js" in html
    assert "/wechat/oauth/login/web/?next=%2Fshop%2F\\u0026embed=1" in html
    # What the page's script fetches: a state minted for this browser, with its cookie.
    answer = client.get("/wechat/oauth/login/web/", {"next": "/shop/", "embed": "1"})
    assert answer.status_code == 200
    login = answer.json()
    assert login["appid"] == WEB["APP_ID"]
    assert login["scope"] == "snsapi_login"
    assert login["redirect_uri"] == "http://testserver/wechat/oauth/callback/web/"
    assert "wechat_oauth" in answer.cookies
    back = client.get(scan(kinds_emulator, {**login, "response_type": "code"}))
    assert back["Location"] == "/shop/"


# --- @wechat_login_required picks the flow ------------------------------------------------------

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"
IN_WECHAT = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47"


def test_the_decorator_picks_the_flow_by_user_agent(
    client: Client, kinds_emulator: WeChatEmulator, settings: Any
) -> None:
    settings.ROOT_URLCONF = "tests.oauth_urls"
    inside = client.get("/plain/", headers={"user-agent": IN_WECHAT})
    assert inside["Location"] == "/wechat/oauth/login/default/?next=%2Fplain%2F&scope=snsapi_base"
    outside = client.get("/plain/", headers={"user-agent": DESKTOP})
    assert outside["Location"] == "/wechat/oauth/login/web/?next=%2Fplain%2F"
    # The account "plain" has no website account: "open in WeChat".
    page = client.get("/profile/", headers={"user-agent": DESKTOP})
    assert page.status_code == 200
    assert "Open this page in WeChat" in page.content.decode()
    back = client.get(scan(kinds_emulator, start_qr_login(client, next="/plain/")))
    assert back["Location"] == "/plain/"
    assert client.get("/plain/", headers={"user-agent": DESKTOP}).content.startswith(b"hello wx_")


# --- the mini-program login ---------------------------------------------------------------------


def post_json(client: Client, path: str, body: Any, **kwargs: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **kwargs)


@pytest.mark.urls("tests.kinds_urls")
def test_the_mini_program_logs_in_and_calls_with_the_cookie(
    client: Client, kinds_emulator: WeChatEmulator
) -> None:
    code = kinds_emulator.js_code("o-mp-follower-1", "mini")
    answer = post_json(Client(enforce_csrf_checks=True), MINI_LOGIN, {"code": code})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["ok"] is True
    assert body["openid"] == "o-mp-follower-1"
    assert body["created"] is True
    session = body["session"]
    assert session["cookie"] == "sessionid"
    assert session["header"] == "X-WeChat-Session"
    assert session["expires_in"] == 1209600
    # A mini program's wx.request sends the cookie by hand.
    fresh = Client()
    me = fresh.get("/api/me/", headers={"cookie": f"sessionid={session['value']}"})
    assert me.status_code == 200
    assert me.json()["openids"] == ["o-mp-follower-1"]
    wechat_user = WeChatUser.objects.get(account="mini")
    assert wechat_user.unionid == "u-demo-follower-1"
    assert "session_key" not in wechat_user.profile


@pytest.mark.urls("tests.kinds_urls")
def test_the_session_as_a_header(kinds_emulator: WeChatEmulator, settings: Any) -> None:
    settings.MIDDLEWARE = [HEADER_MIDDLEWARE, *settings.MIDDLEWARE]
    code = kinds_emulator.js_code("o-mp-follower-2", "mini")
    session = post_json(Client(), MINI_LOGIN, {"code": code}).json()["session"]["value"]
    api = Client(enforce_csrf_checks=True)
    assert api.get("/api/me/").status_code == 401
    me = api.get("/api/me/", headers={"x-wechat-session": session})
    assert me.json()["openids"] == ["o-mp-follower-2"]
    # A custom header is no forged cross-site request: a POST needs no CSRF token.
    posted = api.post("/api/me/", headers={"x-wechat-session": session})
    assert posted.status_code == 200
    # Without the header, a cookie-borne POST still needs its CSRF token.
    api.cookies["sessionid"] = session
    assert api.post("/api/me/").status_code == 403


@pytest.mark.urls("tests.kinds_urls")
def test_the_mini_program_user_is_linked_by_unionid(
    client: Client, kinds_emulator: WeChatEmulator
) -> None:
    params = start_login(client, "default", scope="snsapi_userinfo")
    client.get(consent(kinds_emulator, params))
    code = kinds_emulator.js_code("o-mp-follower-1", "mini")
    body = post_json(Client(), MINI_LOGIN, {"code": code}).json()
    assert body["created"] is False
    assert get_user_model().objects.count() == 1
    me = Client().get("/api/me/", headers={"cookie": f"sessionid={body['session']['value']}"})
    assert me.json()["openids"] == ["o-demo-follower-1", "o-mp-follower-1"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"code": "not-a-code"}, 400, "code_invalid"),
        ({"code": ""}, 400, "bad_request"),
        ({}, 400, "bad_request"),
        ("not json", 400, "bad_request"),
        ([1, 2], 400, "bad_request"),
    ],
)
def test_a_bad_code_is_a_json_error(
    client: Client, kinds_emulator: WeChatEmulator, body: Any, status: int, code: str
) -> None:
    answer = post_json(client, MINI_LOGIN, body)
    assert answer.status_code == status
    assert answer.json()["ok"] is False
    assert answer.json()["code"] == code
    assert answer.json()["message"]
    assert "_auth_user_id" not in client.session


def test_a_used_code_is_refused(client: Client, kinds_emulator: WeChatEmulator) -> None:
    code = kinds_emulator.js_code("o-mp-follower-1", "mini")
    assert post_json(client, MINI_LOGIN, {"code": code}).status_code == 200
    again = post_json(Client(), MINI_LOGIN, {"code": code})
    assert again.json()["code"] == "code_used"
    assert kinds_emulator.count("sns/jscode2session") == 1


def test_wechat_refusals_are_json_errors_in_each_language(
    client: Client, kinds_emulator: WeChatEmulator, settings: Any
) -> None:
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:1],
        "django.middleware.locale.LocaleMiddleware",
        *settings.MIDDLEWARE[1:],
    ]
    kinds_emulator.state("mini").high_risk.add("o-mp-follower-3")
    risky = post_json(
        client, MINI_LOGIN, {"code": kinds_emulator.js_code("o-mp-follower-3", "mini")}
    )
    assert risky.status_code == 403
    assert risky.json() == {
        "ok": False,
        "code": "high_risk",
        "message": "WeChat considers this login risky and refused it.",
    }
    kinds_emulator.fail("errcode", api="sns/jscode2session", errcode=45011)
    code = kinds_emulator.js_code("o-mp-follower-1", "mini")
    limited = post_json(client, MINI_LOGIN, {"code": code}, headers={"accept-language": "zh-hans"})
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert limited.json()["message"] == "登录尝试过于频繁，请一分钟后再试。"
    invalid = post_json(client, MINI_LOGIN, {"code": "wrong"}, headers={"accept-language": "en"})
    assert invalid.json() == {
        "ok": False,
        "code": "code_invalid",
        "message": "The authorization code was invalid, expired or already used.",
    }


def test_each_client_is_rate_limited(kinds_emulator: WeChatEmulator, settings: Any) -> None:
    settings.WECHAT = {**settings.WECHAT, "MINIPROGRAM_LOGIN_RATE": 2}
    client = Client()
    for n in range(2):
        answer = post_json(client, MINI_LOGIN, {"code": f"wrong-{n}"})
        assert answer.json()["code"] == "code_invalid"
    third = post_json(client, MINI_LOGIN, {"code": "wrong-2"})
    assert third.status_code == 429
    assert third.json()["code"] == "rate_limited"
    assert kinds_emulator.count("sns/jscode2session") == 2  # the third never reached WeChat
    other = post_json(client, MINI_LOGIN, {"code": "wrong-3"}, REMOTE_ADDR="10.0.0.9")
    assert other.json()["code"] == "code_invalid"
    # By default a header the client sends does not make it someone else.
    forged = post_json(client, MINI_LOGIN, {"code": "wrong-4"}, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert forged.json()["code"] == "rate_limited"


def login_answers(count: int, **headers: str) -> list[str]:
    """The answers' codes to ``count`` logins with a wrong code, sent with ``headers``."""
    return [
        post_json(Client(), MINI_LOGIN, {"code": f"wrong-{uuid.uuid4()}"}, **headers).json()["code"]
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    ("setting", "header"),
    [
        ("HTTP_X_REAL_IP", "HTTP_X_REAL_IP"),
        ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_FOR"),
        ("tests.test_other_logins.client_address_of", "HTTP_X_CLIENT"),
    ],
)
def test_behind_a_proxy_each_client_has_its_own_limit(
    kinds_emulator: WeChatEmulator, settings: Any, setting: str, header: str
) -> None:
    # Every request comes from the proxy's address; the proxy names the client.
    settings.WECHAT = {
        **settings.WECHAT,
        "MINIPROGRAM_LOGIN_RATE": 2,
        "CLIENT_ADDRESS": setting,
    }
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = login_answers(3, **proxy, **{header: "203.0.113.7"})
    assert first == ["code_invalid", "code_invalid", "rate_limited"]
    assert login_answers(2, **proxy, **{header: "203.0.113.8"}) == ["code_invalid"] * 2
    assert kinds_emulator.count("sns/jscode2session") == 4


def test_a_forged_forwarded_entry_does_not_escape_the_limit(
    kinds_emulator: WeChatEmulator, settings: Any
) -> None:
    settings.WECHAT = {
        **settings.WECHAT,
        "MINIPROGRAM_LOGIN_RATE": 2,
        "CLIENT_ADDRESS": "HTTP_X_FORWARDED_FOR",
    }
    # The proxy appends the address it saw; what the client wrote before it is not read.
    for n in range(2):
        forwarded = f"198.51.100.{n}, 203.0.113.7"
        post_json(Client(), MINI_LOGIN, {"code": f"wrong-{n}"}, HTTP_X_FORWARDED_FOR=forwarded)
    third = post_json(
        Client(), MINI_LOGIN, {"code": "wrong-2"}, HTTP_X_FORWARDED_FOR="198.51.100.9,203.0.113.7"
    )
    assert third.json()["code"] == "rate_limited"


@pytest.mark.parametrize("header", [None, "", " ", ",", "203.0.113.7, ", "unknown"])
def test_without_a_usable_header_the_remote_address_counts(
    kinds_emulator: WeChatEmulator, settings: Any, header: str | None
) -> None:
    settings.WECHAT = {
        **settings.WECHAT,
        "MINIPROGRAM_LOGIN_RATE": 2,
        "CLIENT_ADDRESS": "HTTP_X_FORWARDED_FOR",
    }
    # A request that reached the site around the proxy (or with an empty header) is
    # counted by its own address: its limit, not one shared by every such request.
    sent = {} if header is None else {"HTTP_X_FORWARDED_FOR": header}
    limited = ["code_invalid", "code_invalid", "rate_limited"]
    assert login_answers(3, REMOTE_ADDR="192.0.2.5", **sent) == limited
    assert login_answers(1, REMOTE_ADDR="192.0.2.6", **sent) == ["code_invalid"]


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True),  # one /64: one subscriber
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("203.0.113.7:50001", "203.0.113.7:50002", True),  # a balancer writes the port
        ("[2001:db8:1:2::1]:443", "2001:db8:1:2::5", True),
        ("::ffff:203.0.113.7", "203.0.113.7", True),
        ("203.0.113.7", "203.0.113.8", False),
    ],
)
def test_the_limit_counts_a_network_not_each_address(
    kinds_emulator: WeChatEmulator, settings: Any, first: str, second: str, shared: bool
) -> None:
    settings.WECHAT = {
        **settings.WECHAT,
        "MINIPROGRAM_LOGIN_RATE": 2,
        "CLIENT_ADDRESS": "HTTP_X_REAL_IP",
    }
    assert login_answers(2, HTTP_X_REAL_IP=first) == ["code_invalid"] * 2
    third = login_answers(1, HTTP_X_REAL_IP=second)
    assert third == (["rate_limited"] if shared else ["code_invalid"])


def test_a_client_address_function_that_fails_counts_the_remote_address(
    kinds_emulator: WeChatEmulator, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.WECHAT = {
        **settings.WECHAT,
        "MINIPROGRAM_LOGIN_RATE": 2,
        "CLIENT_ADDRESS": "tests.test_other_logins.broken_client_address",
    }
    with caplog.at_level(logging.ERROR, logger="django_wechat"):
        answers = login_answers(3, REMOTE_ADDR="10.0.0.1")
    assert answers == ["code_invalid", "code_invalid", "rate_limited"]
    assert "WECHAT['CLIENT_ADDRESS'] tests.test_other_logins.broken_client_address failed" in (
        caplog.text
    )


def test_the_adapter_may_keep_staff_out_of_the_mini_program(
    kinds_emulator: WeChatEmulator, settings: Any
) -> None:
    adapter = "tests.test_oauth_login.NoStaffAdapter"
    settings.WECHAT = {**settings.WECHAT, "OAUTH_ADAPTER": adapter}
    first = post_json(
        Client(), MINI_LOGIN, {"code": kinds_emulator.js_code("o-mp-follower-1", "mini")}
    )
    assert first.json()["ok"] is True
    get_user_model().objects.update(is_staff=True)
    again = post_json(
        Client(), MINI_LOGIN, {"code": kinds_emulator.js_code("o-mp-follower-1", "mini")}
    )
    assert again.status_code == 403
    assert again.json()["code"] == "not_allowed"


def test_the_adapter_may_keep_staff_out_of_the_website_login(
    client: Client, kinds_emulator: WeChatEmulator, settings: Any
) -> None:
    settings.WECHAT = {**settings.WECHAT, "OAUTH_ADAPTER": "tests.test_oauth_login.NoStaffAdapter"}
    assert client.get(scan(kinds_emulator, start_qr_login(client))).status_code == 302
    get_user_model().objects.update(is_staff=True)
    other = Client()
    refused = other.get(scan(kinds_emulator, start_qr_login(other)))
    assert refused.status_code == 403
    assert "Log in another way" in refused.content.decode()


def test_the_login_takes_only_posts_to_mini_programs(
    client: Client, kinds_emulator: WeChatEmulator
) -> None:
    assert client.get(MINI_LOGIN).status_code == 405
    assert post_json(client, "/wechat/oauth/miniprogram/login/default/", {}).status_code == 404
    assert post_json(client, "/wechat/oauth/miniprogram/login/web/", {}).status_code == 404
    assert client.get("/wechat/oauth/login/mini/").status_code == 404
    assert (
        client.get("/wechat/oauth/callback/mini/", {"code": "c", "state": "s"}).status_code == 404
    )


def test_session_key_is_in_no_answer_and_no_log_line(
    kinds_emulator: WeChatEmulator, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.ROOT_URLCONF = "tests.kinds_urls"
    caplog.set_level(logging.DEBUG)
    client = Client()
    openid = "o-mp-follower-1"
    answers = [post_json(client, MINI_LOGIN, {"code": kinds_emulator.js_code(openid, "mini")})]
    answers.append(
        post_json(client, MINI_PHONE, {"code": phone_code(kinds_emulator, openid, "mini")})
    )
    answers.append(post_json(client, MINI_PHONE, {"code": "wrong"}))
    answers.append(client.get("/api/me/"))
    kinds_emulator.fail("errcode", api="sns/jscode2session", errcode=-1)
    answers.append(post_json(client, MINI_LOGIN, {"code": kinds_emulator.js_code(openid, "mini")}))
    session_key = kinds_emulator.state("mini").session_keys[openid]
    assert len(session_key) == 24
    for answer in answers:
        assert session_key not in answer.content.decode()
        assert "session_key" not in answer.content.decode()
    assert caplog.records
    assert session_key not in caplog.text
    for record in caplog.records:
        assert session_key not in record.getMessage()
    assert session_key not in json.dumps(list(WeChatUser.objects.values_list("profile", flat=True)))


# --- the phone number and open data ------------------------------------------------------


def test_the_phone_number(client: Client, kinds_emulator: WeChatEmulator) -> None:
    openid = "o-mp-follower-2"
    assert (
        get_client("mini").miniprogram.get_phone_number(phone_code(kinds_emulator, openid, "mini"))[
            "purePhoneNumber"
        ]
        == "13800130002"
    )
    anonymous = post_json(client, MINI_PHONE, {"code": phone_code(kinds_emulator, openid, "mini")})
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "login_required"
    post_json(client, MINI_LOGIN, {"code": kinds_emulator.js_code(openid, "mini")})
    answer = post_json(client, MINI_PHONE, {"code": phone_code(kinds_emulator, openid, "mini")})
    assert answer.json() == {
        "ok": True,
        "phone_number": "13800130002",
        "pure_phone_number": "13800130002",
        "country_code": "86",
    }
    used = post_json(client, MINI_PHONE, {"code": "wrong"})
    assert (used.status_code, used.json()["code"]) == (400, "code_invalid")
    (call,) = [
        c for c in kinds_emulator.calls("wxa/business/getuserphonenumber") if c.errcode == 0
    ][-1:]
    assert call.errcode == 0


def test_open_data_is_decrypted_with_its_watermark_checked(
    client: Client, kinds_emulator: WeChatEmulator
) -> None:
    openid = "o-mp-follower-1"
    with pytest.raises(OpenDataError, match="No session_key"):
        decrypt_open_data("mini", openid, "AAAA", "AAAA")
    post_json(client, MINI_LOGIN, {"code": kinds_emulator.js_code(openid, "mini")})
    data, iv = encrypt_open_data(kinds_emulator, openid, {"nickName": "张伟"}, "mini")
    opened = decrypt_open_data("mini", openid, data, iv)
    assert opened["nickName"] == "张伟"
    assert opened["watermark"]["appid"] == MINI["APP_ID"]
    forged, iv = encrypt_open_data(
        kinds_emulator, openid, {"nickName": "x"}, "mini", appid="wx00000000000000c1"
    )
    with pytest.raises(OpenDataError, match="another mini program"):
        decrypt_open_data("mini", openid, forged, iv)
    old, iv = encrypt_open_data(kinds_emulator, openid, {}, "mini", timestamp=1_600_000_000)
    with pytest.raises(OpenDataError, match="too old"):
        decrypt_open_data("mini", openid, old, iv)
    with pytest.raises(OpenDataError, match="cannot be decrypted"):
        decrypt_open_data("mini", openid, data, "AAAAAAAAAAAAAAAAAAAAAA==")
