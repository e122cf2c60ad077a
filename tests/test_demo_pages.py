"""The demo's pages that call WeChat's API: the account page (followers, menu) and the
JS-SDK page, against the emulator; with Django's test client, and once in a browser."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from django_wechat.conf import get_account
from django_wechat.testing.emulator import WeChatEmulator
from tests.browser import browser_page
from tests.demo_support import TESTPROJECT, emulator_env, manage, runserver

FOLLOWERS = [f"o-demo-follower-{n}" for n in range(1, 6)]
SECRET = "test-secret-default"


@pytest.fixture
def demo(settings: Any, monkeypatch: pytest.MonkeyPatch, handlers: Any) -> Iterator[None]:
    """The test settings plus the demo app, its URLs and its languages (Chinese first)."""
    monkeypatch.syspath_prepend(str(TESTPROJECT))
    # Installing the app imports demo.wechat_handlers; `handlers` keeps them out of the
    # site's registry, and the module is imported afresh by the next test that needs it.
    sys.modules.pop("demo.wechat_handlers", None)
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "demo"]
    settings.ROOT_URLCONF = "testproject.urls"
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:1],
        "django.middleware.locale.LocaleMiddleware",
        *settings.MIDDLEWARE[1:],
    ]
    settings.LANGUAGE_CODE = "zh-hans"
    settings.LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
    yield
    sys.modules.pop("demo.wechat_handlers", None)


@pytest.fixture
def admin(demo: None, admin_client: Client) -> Client:
    return admin_client


def page(client: Client, url: str, **headers: str) -> str:
    response = client.get(url, follow=True, headers=headers)
    assert response.status_code == 200
    text = response.content.decode()
    assert SECRET not in text
    return text


def test_the_account_page_needs_a_staff_login(demo: None, client: Client) -> None:
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/account/")
    assert client.post("/account/menu/").status_code == 302


def test_followers_and_no_menu(admin: Client, wechat_emulator: WeChatEmulator) -> None:
    text = page(admin, "/account/")
    assert "<h2>粉丝</h2>" in text
    assert re.findall(r"<td>(o-demo-follower-\d)</td>", text) == FOLLOWERS
    assert "公众号还没有菜单。" in text
    (batch,) = wechat_emulator.calls("cgi-bin/user/info/batchget")
    assert [u["openid"] for u in batch.body["user_list"]] == FOLLOWERS


def test_followers_are_read_page_by_page(admin: Client, wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.user_page_size = 2
    text = page(admin, "/account/")
    assert re.findall(r"<td>(o-demo-follower-\d)</td>", text) == FOLLOWERS
    # Pages of 2, 2 and 1, then the empty page that ends the list.
    assert wechat_emulator.count("cgi-bin/user/get") == 4


def test_english(admin: Client, wechat_emulator: WeChatEmulator) -> None:
    text = page(admin, "/account/", accept_language="en")
    assert "<h2>Followers</h2>" in text
    assert "The account has no menu yet." in text


def test_push_the_default_menu(admin: Client, wechat_emulator: WeChatEmulator) -> None:
    from demo.menu import DEFAULT_MENU

    assert admin.get("/account/menu/").status_code == 405
    response = admin.post("/account/menu/")
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    (call,) = wechat_emulator.calls("cgi-bin/menu/create")
    assert call.body == DEFAULT_MENU
    assert call.errcode == 0
    stored = wechat_emulator.state().menu
    assert stored is not None
    assert [b["name"] for b in stored["button"]] == ["赞一下", "更多"]

    text = page(admin, "/account/")
    assert "默认菜单已推送到公众号。" in text
    assert "赞一下 <code>click</code> V1001_GOOD" in text
    assert "使用文档 <code>view</code> https://django-wechat-oa.readthedocs.io/" in text
    assert "公众号还没有菜单。" not in text


def test_api_errors_are_shown_not_raised(admin: Client, wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.fail("errcode", api="cgi-bin/user/get", errcode=48001)
    text = page(admin, "/account/")
    assert "微信拒绝了 cgi-bin/user/get：错误码 48001" in text

    wechat_emulator.fail("errcode", api="cgi-bin/menu/create", errcode=40018)
    response = admin.post("/account/menu/", follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "微信拒绝了 cgi-bin/menu/create：错误码 40018" in text
    assert wechat_emulator.state().menu is None
    (token,) = wechat_emulator.tokens
    assert token not in text


def test_pages_without_the_emulator(admin: Client, wechat_emulator: WeChatEmulator) -> None:
    url = wechat_emulator.url
    wechat_emulator.stop()
    gone = f"无法连接微信接口 {url}。模拟器在运行吗？"
    assert gone in page(admin, "/account/")
    response = admin.post("/account/menu/", follow=True)
    assert gone in response.content.decode()
    text = page(admin, "/jssdk/")
    assert gone in text
    assert "wx.config(" not in text


def signed_config(text: str) -> dict[str, Any]:
    match = re.search(r"wx\.config\((\{.*?\})\);", text)
    assert match, text
    config: dict[str, Any] = json.loads(match.group(1))
    return config


def expected_signature(emulator: WeChatEmulator, config: dict[str, Any], url: str) -> str:
    ticket, _ = emulator.state().tickets["jsapi"]
    plain = (
        f"jsapi_ticket={ticket}&noncestr={config['nonceStr']}"
        f"&timestamp={config['timestamp']}&url={url}"
    )
    return hashlib.sha1(plain.encode()).hexdigest()


def test_jssdk_page_is_signed_for_its_url(
    demo: None, client: Client, wechat_emulator: WeChatEmulator
) -> None:
    text = page(client, "/jssdk/?from=menu")
    config = signed_config(text)
    assert config["appId"] == get_account().app_id
    assert config["jsApiList"] == ["scanQRCode", "chooseImage"]
    url = "http://testserver/jssdk/?from=menu"
    assert config["signature"] == expected_signature(wechat_emulator, config, url)
    assert wechat_emulator.count("cgi-bin/ticket/getticket") == 1


# --- in a browser, against `make demo`'s arrangement: runserver + an emulator -----------------


@pytest.fixture(scope="module")
def emulator_and_demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[WeChatEmulator, str]]:
    """An emulator started here, and the demo site pointed at it (WECHAT_EMULATOR_URL),
    with the test account's credentials."""
    account = get_account()
    with WeChatEmulator([account]) as emulator:
        env = emulator_env(
            tmp_path_factory.mktemp("demo-pages") / "db.sqlite3", emulator.url, account
        )
        manage("migrate", "--noinput", env=env)
        manage("createcachetable", env=env)
        manage("demo_setup", env=env)
        with runserver(env) as url:
            yield emulator, url


def test_the_demo_in_a_browser(emulator_and_demo: tuple[WeChatEmulator, str]) -> None:
    emulator, site = emulator_and_demo
    with browser_page(locale="zh-CN") as browser:
        # Offline: jweixin cannot load, and the page must work without it.
        browser.route("https://res.wx.qq.com/**", lambda route: route.abort())
        browser.goto(site + "/account/")
        browser.fill("#id_username", "admin")
        browser.fill("#id_password", "admin")
        browser.click("input[type=submit]")
        browser.wait_for_load_state()
        assert browser.url == site + "/account/"
        rows = browser.locator("#followers tr td:first-child").all_inner_texts()
        assert rows == FOLLOWERS
        assert browser.locator("#no-menu").inner_text() == "公众号还没有菜单。"

        browser.click("#push-menu")
        browser.wait_for_load_state()
        assert "默认菜单已推送到公众号。" in browser.locator(".messages").inner_text()
        assert "赞一下" in browser.locator("#menu").inner_text()
        stored = emulator.state().menu
        assert stored is not None
        assert stored["button"][0]["key"] == "V1001_GOOD"

        browser.goto(site + "/jssdk/")
        config = json.loads(browser.locator("#wx-config").inner_text())
        assert config["appId"] == emulator.accounts[0].app_id
        assert config["signature"] == expected_signature(emulator, config, site + "/jssdk/")
