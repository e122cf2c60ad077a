"""A hostile read of the WeChat login: what an attacker with a leaked callback URL, a
state of someone else's, a crafted query string or a staff account can and cannot do."""

from __future__ import annotations

import re
import sys
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from django_wechat.cache import oauth_claim_key, oauth_outcome_key, oauth_state_key
from django_wechat.conf import get_account
from django_wechat.exceptions import CacheUnavailable
from django_wechat.models import WeChatUser
from django_wechat.oauth import open_data
from django_wechat.oauth.backends import WeChatBackend
from django_wechat.testing.emulator import WeChatEmulator
from tests.oauth_support import consent, log_in, start_login
from tests.test_oauth_login import EXCHANGE, logged_in_user, page_of

pytestmark = pytest.mark.django_db


# --- a callback URL replayed by someone else ------------------------------------------------


def test_a_leaked_callback_url_logs_nobody_else_in(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    # The follower's browser kept its binding cookie and logged in. The callback URL
    # (code and state) then leaks: an access log, a proxy, a shared screen. Replayed in
    # another browser within the state's ten minutes, it must not hand out the session.
    params = start_login(client, next="/after/")
    callback = consent(wechat_emulator, params)
    assert client.get(callback).status_code == 302
    victim = logged_in_user(client)
    assert victim is not None
    attacker = Client()
    response = attacker.get(callback)
    assert response.status_code == 400
    assert "The login link belongs to another browser or tab." in page_of(response)
    assert logged_in_user(attacker) is None
    # The follower's own second load (WeChat's double load) still gets the same outcome.
    assert client.get(callback)["Location"] == "/after/"
    assert wechat_emulator.count(EXCHANGE) == 1


def test_a_used_state_with_another_code_logs_nobody_in(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    # The state alone (without the code) is what the authorize URL carries: it must not
    # replay a login that another code made.
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    assert Client().get(callback).status_code == 302  # a cookie-less first load
    query = dict(parse_qsl(urlsplit(callback).query))
    forged = f"{urlsplit(callback).path}?{urlencode({**query, 'code': 'made-up'})}"
    attacker = Client()
    response = attacker.get(forged)
    assert response.status_code == 400
    assert "each link works once" in page_of(response)
    assert logged_in_user(attacker) is None


def test_a_cookie_less_first_load_may_still_be_replayed_without_the_cookie(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    # The gap docs/oauth.rst describes, no wider: WeChat's webview lost the cookie for
    # both loads, and the second gets the first one's user.
    params = start_login(client)
    callback = consent(wechat_emulator, params)
    first, second = Client(), Client()
    assert first.get(callback).status_code == 302
    assert second.get(callback).status_code == 302
    assert logged_in_user(second) == logged_in_user(first) is not None


# --- cache keys built from what the callback brings --------------------------------------------


@pytest.mark.parametrize("value", ["a" * 100_000, "状态 with spaces\n\x00", "A" * 128])
def test_oauth_cache_keys_are_bounded_whatever_they_are_given(value: str) -> None:
    # Memcached refuses keys over 250 bytes or with spaces and control characters, and a
    # key is as long as the caller's value: cache.py bounds every oauth key itself.
    for key in (oauth_state_key(value), oauth_claim_key(value), oauth_outcome_key(value)):
        assert len(key) <= 100
        assert re.fullmatch(r"[A-Za-z0-9:_]+", key), key
        assert value not in key
    assert oauth_state_key("a") != oauth_state_key("b")
    assert len({oauth_state_key(value), oauth_claim_key(value), oauth_outcome_key(value)}) == 3


# --- the admin: who may link a follower to a Django user ------------------------------------


def _staff(*codenames: str) -> Any:
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("helpdesk", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_a_follower_manager_cannot_link_their_openid_to_the_superuser(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    # Linking a WeChatUser to a Django user is logging in as that user: a staff member
    # allowed to change followers (but not users) must not point their own openid at
    # the superuser and then log in with WeChat.
    admin = get_user_model().objects.create_superuser("boss", password="pw")
    staff = _staff("view_wechatuser", "change_wechatuser")
    assert log_in(Client(), wechat_emulator).status_code == 302
    follower = WeChatUser.objects.get()
    own = follower.user
    staff_browser = Client()
    staff_browser.force_login(staff)
    url = reverse("admin:django_wechat_wechatuser_change", args=[follower.pk])
    page = staff_browser.get(url)
    assert page.status_code == 200
    assert 'name="user"' not in page_of(page)
    staff_browser.post(url, {"user": str(admin.pk), "_save": "Save"})
    follower.refresh_from_db()
    assert follower.user == own
    wechat_browser = Client()
    log_in(wechat_browser, wechat_emulator)
    assert logged_in_user(wechat_browser) == own


def test_whoever_may_change_users_may_link_a_follower(
    client: Client, wechat_emulator: WeChatEmulator
) -> None:
    other = get_user_model().objects.create_user("other")
    assert log_in(Client(), wechat_emulator).status_code == 302
    follower = WeChatUser.objects.get()
    boss = Client()
    boss.force_login(get_user_model().objects.create_superuser("boss", password="pw"))
    url = reverse("admin:django_wechat_wechatuser_change", args=[follower.pk])
    assert 'name="user"' in page_of(boss.get(url))
    boss.post(url, {"user": str(other.pk), "_save": "Save"})
    follower.refresh_from_db()
    assert follower.user == other


# --- secrets in error reports -----------------------------------------------------------------


def test_an_unexpected_failure_after_the_exchange_reports_no_follower_token(
    client: Client, wechat_emulator: WeChatEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Error reporters (AdminEmailHandler, Sentry's Django integration) print each frame's
    # locals; the backend's frame holds the follower's access_token and refresh_token
    # (30 days) once the code is exchanged. Here sns/userinfo's caller breaks unexpectedly.
    from django.views.debug import ExceptionReporter
    from django.views.decorators.debug import sensitive_variables

    from django_wechat.client.oauth import OAuth

    @sensitive_variables()  # as the real get_user_info is
    def broken(self: OAuth, openid: str, access_token: str, lang: str = "zh_CN") -> Any:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(OAuth, "get_user_info", broken)
    params = start_login(client, scope="snsapi_userinfo")
    code = dict(parse_qsl(urlsplit(consent(wechat_emulator, params)).query))["code"]
    try:
        WeChatBackend().fetch_profile(get_account(), code)
    except RuntimeError:
        frames = ExceptionReporter(None, *sys.exc_info()).get_traceback_data()["frames"]
    else:
        pytest.fail("fetch_profile did not raise")
    report = repr([(frame["function"], frame["vars"]) for frame in frames])
    assert "fetch_profile" in report
    issued = [
        v for v, token in wechat_emulator.tokens.items() if token.kind in ("oauth", "refresh")
    ]
    assert len(issued) == 2
    for value in issued:
        assert value not in report


def test_the_admin_adds_no_follower_by_hand(admin_client: Client) -> None:
    # Every field but the user link is WeChat's, read-only: the add form made a follower
    # with a blank account and openid, and a second one was an IntegrityError (a 500).
    admin_client.raise_request_exception = False
    add = reverse("admin:django_wechat_wechatuser_add")
    for _ in range(2):
        assert admin_client.post(add, {"_save": "Save"}).status_code == 403
    assert not WeChatUser.objects.exists()
    changelist = page_of(admin_client.get(reverse("admin:django_wechat_wechatuser_changelist")))
    assert add not in changelist


# --- the cache down ---------------------------------------------------------------------------


def test_the_login_with_its_cache_down_is_a_page_not_a_500(
    settings: Any, wechat_emulator: WeChatEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 1: every call of this cache raises a ConnectionError.
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        },
    }
    settings.WECHAT = {**settings.WECHAT, "CACHE": "down"}
    browser = Client(raise_request_exception=False)
    response = browser.get("/wechat/oauth/login/", {"next": "/after/"})
    assert response.status_code == 502
    assert "The login failed" in page_of(response)
    assert "Try again" in page_of(response)
    assert "wechat_oauth" not in response.cookies
    assert "could not be stored" in caplog.text
    callback = browser.get("/wechat/oauth/callback/default/", {"state": "a" * 32, "code": "c"})
    assert callback.status_code == 502


# --- next, and crafted query strings -----------------------------------------------------------

HOSTILE_NEXT = [
    "/\\evil.example.com",
    "\\\\evil.example.com",
    "/\t/evil.example.com",
    "/\r\n/evil.example.com",
    " //evil.example.com",
    "\x00//evil.example.com",
    "///evil.example.com",
    "https:evil.example.com",
    "http:/evil.example.com",
    "//evil%E3%80%82example.com",
    "／／evil.example.com",
    "http://testserver\\@evil.example.com/",
    "http://evil.example.com\\@testserver/",
    "//testserver@evil.example.com",
    "http://testserver:80@evil.example.com",
    "jav\tascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/a\r\nSet-Cookie: x=y",
    "/" + "a" * 10_000,
]


def _stays_here(location: str) -> bool:
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return parts.scheme == "http" and parts.netloc == "testserver"
    return "\\" not in location and not location.startswith("//") and "\r" not in location


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_a_hostile_next_never_leaves_the_site(
    client: Client, wechat_emulator: WeChatEmulator, next_url: str
) -> None:
    params = start_login(client, next=next_url)
    callback = consent(wechat_emulator, params)
    first = client.get(callback)
    second = client.get(callback)  # the stored outcome, replayed
    for response in (first, second):
        assert response.status_code == 302
        assert _stays_here(response["Location"]), response["Location"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "state=",
        "code=x",
        "state=abc&code=x",
        "state=" + "a" * 200 + "&code=x",
        "state=%E7%8A%B6&code=x",
        "state=%00&code=%00",
        "state=a&state=b&code=x&code=y",
        "state=abc&code=" + "x" * 20_000,
        "state=%ff%fe&code=%ff",
        "state[]=a&code[]=b",
    ],
)
def test_a_crafted_callback_query_is_a_page(wechat_emulator: WeChatEmulator, query: str) -> None:
    browser = Client(raise_request_exception=False)
    response = browser.get(f"/wechat/oauth/callback/default/?{query}")
    assert response.status_code == 400
    assert "Try again" in page_of(response)
    assert wechat_emulator.count(EXCHANGE) == 0


@pytest.mark.parametrize(
    "query", ["scope=%ff", "scope=snsapi_login", "scope=" + "%C3%A9" * 1000, "next=%ff", "next=%00"]
)
def test_a_crafted_login_query_is_never_a_500(wechat_emulator: WeChatEmulator, query: str) -> None:
    browser = Client(raise_request_exception=False)
    assert browser.get(f"/wechat/oauth/login/?{query}").status_code in (302, 400)
    assert browser.head(f"/wechat/oauth/login/?{query}").status_code in (302, 400)
    assert browser.get(f"/wechat/oauth/login/%ff%00/?{query}").status_code == 404


def test_the_backend_and_the_mini_program_login_with_their_cache_down_raise_ours(
    settings: Any, wechat_emulator: WeChatEmulator
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        },
    }
    settings.WECHAT = {**settings.WECHAT, "CACHE": "down"}
    account = get_account()
    with pytest.raises(CacheUnavailable, match="'down'"):
        WeChatBackend().fetch_profile(account, "a-code")
    with pytest.raises(CacheUnavailable, match="'down'"):
        open_data.store_session_key(account, "o-1", "k" * 24)
