"""The demo's "Log in with WeChat" in a real Chromium, against `make demo`'s arrangement
(runserver + the emulator): approve on the emulator's consent page and come back logged
in; refuse and get the error page. Screenshots of both are kept in tests/artifacts/oauth/
(git-ignored), for a person to look at. Also, without a browser, two loads of one callback
at once, each on a thread of the served site with its own database connection."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.test import Client

from django_wechat.testing.emulator import WeChatEmulator
from tests.browser import browser_page, save_screenshot
from tests.demo_support import demo_with_emulator
from tests.oauth_support import consent, start_login
from tests.test_demo_pages import demo  # noqa: F401  (the fixture)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "oauth"


@pytest.fixture(scope="module")
def emulator_and_demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[WeChatEmulator, str]]:
    """An emulator, and the demo site pointed at it with the test account's credentials."""
    with demo_with_emulator(tmp_path_factory.mktemp("demo-login") / "db.sqlite3") as running:
        yield running


def screenshot(page: object, name: str) -> Path:
    return save_screenshot(page, ARTIFACTS, name)


def test_log_in_with_wechat_in_a_browser(emulator_and_demo: tuple[WeChatEmulator, str]) -> None:
    emulator, site = emulator_and_demo
    with browser_page(locale="zh-CN") as page:
        # Offline: the avatar's host (WeChat's CDN) cannot be reached; don't try.
        page.route("https://thirdwx.qlogo.cn/**", lambda route: route.abort())
        page.goto(site + "/login/")
        assert page.locator("h1").inner_text() == "微信登录"
        page.click("#wechat-login")
        page.wait_for_load_state()
        # The emulator's consent page, in the browser's language.
        assert page.url.startswith(emulator.url + "/connect/oauth2/authorize?")
        assert "申请获得你的公开信息（昵称、头像）。" in page.content()
        page.check("input[value='o-demo-follower-2']")
        screenshot(page, "consent-zh.png")
        page.click("button[value='approve']")
        page.wait_for_load_state()
        assert page.url == site + "/login/"
        assert page.locator("#logged-in").inner_text() == "已登录：王芳。"
        assert page.locator("#openid").inner_text() == "o-demo-follower-2"
        # The avatar cannot load offline: no broken image, the nickname's first character.
        page.wait_for_function("!document.querySelector('.avatar img')")
        assert page.locator(".avatar span").inner_text() == "王"
        screenshot(page, "logged-in-zh.png")
        (exchange,) = emulator.calls("sns/oauth2/access_token")
        assert exchange.errcode == 0
        page.click("#logout")
        page.wait_for_load_state()
        assert page.locator("#wechat-login").count() == 1


@pytest.mark.parametrize(
    ("locale", "title"), [("zh-CN", "你没有允许登录"), ("en-US", "You did not allow the login")]
)
def test_refusing_shows_the_error_page(
    emulator_and_demo: tuple[WeChatEmulator, str], locale: str, title: str
) -> None:
    emulator, site = emulator_and_demo
    with browser_page(locale=locale) as page:
        page.goto(site + "/login/")
        page.click("#wechat-login")
        page.wait_for_load_state()
        with page.expect_response(lambda r: "/wechat/oauth/callback/" in r.url) as answer:
            page.click("button[value='deny']")
        assert answer.value.status == 400
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == title
        assert page.title() == title
        screenshot(page, f"refused-{locale}.png")
        # "Try again" starts a new login, back to the consent page.
        page.click("a.retry")
        page.wait_for_load_state()
        assert page.url.startswith(emulator.url + "/connect/oauth2/authorize?")


def test_the_demo_login_page_in_english(
    demo: None,  # noqa: F811
    client: Client,
    wechat_emulator: WeChatEmulator,
    db: None,
) -> None:
    text = client.get("/login/", headers={"accept-language": "en"}).content.decode()
    assert "<h1>Log in with WeChat</h1>" in text
    assert 'href="/wechat/oauth/login/?scope=snsapi_userinfo&amp;next=/login/"' in text
    params = start_login(client, None, scope="snsapi_userinfo", next="/login/")
    back = client.get(consent(wechat_emulator, params))
    assert back["Location"] == "/login/"
    text = client.get("/login/", headers={"accept-language": "en"}).content.decode()
    assert '<p id="logged-in">Logged in as 张伟.</p>' in text


def test_two_tabs_log_in_one_after_the_other(
    emulator_and_demo: tuple[WeChatEmulator, str],
) -> None:
    # The browser keeps cookie paths (Django's test client does not): both logins must
    # see the one nonce, so the first tab is not taken for another browser.
    _emulator, site = emulator_and_demo
    with browser_page(locale="en-US") as first:
        first.route("https://thirdwx.qlogo.cn/**", lambda route: route.abort())
        second = first.context.new_page()
        for page in (first, second):
            page.goto(site + "/login/")
            page.click("#wechat-login")
            page.wait_for_load_state()
        first.click("button[value='approve']")
        first.wait_for_load_state()
        assert first.locator("#logged-in").inner_text() == "Logged in as 张伟."


def test_two_loads_at_once_exchange_the_code_once(
    emulator_and_demo: tuple[WeChatEmulator, str],
) -> None:
    emulator, site = emulator_and_demo
    exchange = "sns/oauth2/access_token"
    before = emulator.count(exchange)
    browser = requests.Session()
    login = browser.get(
        f"{site}/wechat/oauth/login/", params={"next": "/login/"}, allow_redirects=False
    )
    assert login.status_code == 302, login.text
    params = dict(parse_qsl(urlsplit(login.headers["Location"]).query))
    back = consent(emulator, params, openid="o-demo-follower-4", site=urlsplit(site).netloc)
    # The first exchange is slow; the second load arrives meanwhile and waits for it.
    emulator.fail("delay", api=exchange, delay=0.5)
    tabs = [requests.Session() for _ in range(2)]
    answers: dict[int, requests.Response] = {}

    def load(n: int) -> None:
        tabs[n].cookies.update(browser.cookies)  # the same browser: its binding cookie
        answers[n] = tabs[n].get(site + back, allow_redirects=False, timeout=30)

    threads = [threading.Thread(target=load, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [(answers[n].status_code, answers[n].headers.get("Location")) for n in (0, 1)] == [
        (302, "/login/"),
        (302, "/login/"),
    ]
    assert emulator.count(exchange) - before == 1
    # Each load logged its tab in, as the one follower and the one user.
    pages = [
        tab.get(f"{site}/login/", headers={"Accept-Language": "en"}, timeout=30) for tab in tabs
    ]
    assert all('<td id="openid">o-demo-follower-4</td>' in page.text for page in pages)
    users = {u for page in pages for u in re.findall(r'<td id="username">([^<]+)</td>', page.text)}
    assert len(users) == 1


# A 132 x 132 picture, as WeChat's CDN serves the avatar size the URL ends with.
AVATAR = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132">'
    b'<rect width="132" height="132" fill="#888"/></svg>'
)


def test_an_avatar_that_loads_covers_the_initial(
    emulator_and_demo: tuple[WeChatEmulator, str],
) -> None:
    _emulator, site = emulator_and_demo
    with browser_page(locale="en-US") as page:
        page.route(
            "https://thirdwx.qlogo.cn/**",
            lambda route: route.fulfill(body=AVATAR, content_type="image/svg+xml"),
        )
        page.goto(site + "/login/")
        page.click("#wechat-login")
        page.wait_for_load_state()
        page.check("input[value='o-demo-follower-3']")
        page.click("button[value='approve']")
        page.wait_for_load_state()
        avatar = page.locator(".avatar img")
        assert avatar.get_attribute("src") == "https://thirdwx.qlogo.cn/mmopen/demo-follower-3/132"
        page.wait_for_function("document.querySelector('.avatar img').complete")
        assert avatar.evaluate("img => img.naturalWidth") == 132
        assert avatar.is_visible()


WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 "
    "Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F35) NetType/WIFI Language/zh_CN"
)


@pytest.mark.parametrize(
    ("locale", "title"), [("zh-CN", "请在微信中打开此页面"), ("en-US", "Open this page in WeChat")]
)
def test_a_wechat_only_page_outside_wechat(
    emulator_and_demo: tuple[WeChatEmulator, str], locale: str, title: str
) -> None:
    _emulator, site = emulator_and_demo
    with browser_page(locale=locale) as page:
        page.goto(site + "/me/")
        assert page.locator("h1").inner_text() == title
        assert page.locator(".qr svg").count() == 1
        assert page.locator("a.url").inner_text() == site + "/me/"
        screenshot(page, f"open-in-wechat-{locale}.png")


def test_a_wechat_only_page_inside_wechat(emulator_and_demo: tuple[WeChatEmulator, str]) -> None:
    emulator, site = emulator_and_demo
    with browser_page(locale="zh-CN") as page:
        context = page.context.browser.new_context(locale="zh-CN", user_agent=WECHAT_UA)
        inside = context.new_page()
        inside.route("https://thirdwx.qlogo.cn/**", lambda route: route.abort())
        inside.goto(site + "/me/")
        assert inside.url.startswith(emulator.url + "/connect/oauth2/authorize?")
        inside.click("button[value='approve']")
        inside.wait_for_load_state()
        assert inside.url == site + "/me/"
        assert inside.locator("#logged-in").inner_text() == "已登录：张伟。"
