"""The demo's website QR login in a real Chromium, against `make demo`'s arrangement
(runserver + the emulator): the desktop page, the emulator's QR page (its button stands in
for the scan) and back logged in; @wechat_login_required choosing the flow by user agent;
and play_miniprogram.py logging in as a mini program. Screenshots are kept in
tests/artifacts/otherlogins/ (git-ignored), for a person to look at."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from django_wechat.testing.emulator import WeChatEmulator
from tests.browser import browser_page, save_screenshot
from tests.demo_support import DEMO_MINI, DEMO_WEB, TESTPROJECT, demo_with_emulator

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "otherlogins"
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 "
    "Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F35) NetType/WIFI Language/zh_CN"
)


@pytest.fixture(scope="module")
def emulator_and_demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[WeChatEmulator, str]]:
    """The demo with its website QR login on, pointed at an emulator that knows the
    demo's official account, website app and mini program."""
    db = tmp_path_factory.mktemp("demo-qr-login") / "db.sqlite3"
    with demo_with_emulator(db, website_login=True) as running:
        yield running


def screenshot(page: object, name: str) -> None:
    save_screenshot(page, ARTIFACTS, name)


def log_in_from(page: Any, site: str, wechat_page: str, name: str) -> None:
    """Open the demo's /me/ in ``page``: WeChat's ``wechat_page`` (the emulator's) must
    come up; approve there and be back on /me/."""
    page.goto(site + "/me/")
    assert page.url.startswith(wechat_page + "?")
    screenshot(page, name)
    page.click("button[value='approve']")
    page.wait_for_load_state()
    assert page.url == site + "/me/"


@pytest.mark.parametrize(
    ("locale", "title", "button", "logged_in"),
    [
        ("zh-CN", "电脑端登录", "用微信扫码并确认", "已登录：王芳。"),
        ("en-US", "Desktop login", "Scan with WeChat and confirm", "Logged in as 王芳."),
    ],
)
def test_the_desktop_qr_login(
    emulator_and_demo: tuple[WeChatEmulator, str],
    locale: str,
    title: str,
    button: str,
    logged_in: str,
) -> None:
    emulator, site = emulator_and_demo
    with browser_page(locale=locale) as page:
        page.goto(site + "/desktop/")
        assert page.locator("h1").inner_text() == title
        page.click("#qr-login")
        page.wait_for_load_state()
        # The emulator's desktop page for the website app, with its QR code.
        assert page.url.startswith(emulator.url + "/connect/qrconnect?")
        assert f"appid={DEMO_WEB.app_id}" in page.url
        assert "scope=snsapi_login" in page.url
        assert page.locator(".qrcode").count() == 1
        page.check("input[value='o-web-follower-2']")
        screenshot(page, f"qrconnect-{locale}.png")
        page.click(f"button:has-text('{button}')")
        page.wait_for_load_state()
        assert page.url == site + "/desktop/"
        assert page.locator("#logged-in").inner_text() == logged_in
        assert page.locator("#account").inner_text() == "web"
        assert page.locator("#openid").inner_text() == "o-web-follower-2"
        assert page.locator("#unionid").inner_text() == "u-demo-follower-2"
        screenshot(page, f"desktop-logged-in-{locale}.png")
        page.click("#logout")
        page.wait_for_load_state()
        page.goto(site + "/desktop/")
        assert page.locator("#qr-login").count() == 1


def test_the_login_required_page_picks_the_flow_by_user_agent(
    emulator_and_demo: tuple[WeChatEmulator, str],
) -> None:
    emulator, site = emulator_and_demo
    with browser_page(locale="zh-CN") as desktop:
        # A desktop browser: the website QR login, back to /me/ after.
        log_in_from(desktop, site, emulator.url + "/connect/qrconnect", "me-on-a-desktop.png")
        assert desktop.locator("#logged-in").inner_text() == "已登录：张伟。"
        # WeChat's in-app browser: the official account's web OAuth.
        context = desktop.context.browser.new_context(locale="zh-CN", user_agent=WECHAT_UA)
        inside = context.new_page()
        inside.route("https://thirdwx.qlogo.cn/**", lambda route: route.abort())
        log_in_from(inside, site, emulator.url + "/connect/oauth2/authorize", "me-in-wechat.png")
        assert inside.locator("#openid").inner_text() == "o-demo-follower-1"


def test_play_miniprogram_logs_in_and_calls_the_site(
    emulator_and_demo: tuple[WeChatEmulator, str],
) -> None:
    emulator, site = emulator_and_demo
    played = subprocess.run(
        [
            sys.executable,
            "play_miniprogram.py",
            "--site",
            site,
            "--emulator",
            emulator.url,
            "--control-token",
            emulator.control_token,
            "--openid",
            "o-mp-follower-3",
        ],
        cwd=TESTPROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert played.returncode == 0, played.stdout + played.stderr
    lines = played.stdout.splitlines()
    assert lines[1].startswith("login: 200 ")
    login = json.loads(lines[1].removeprefix("login: 200 "))
    assert login == {"ok": True, "openid": "o-mp-follower-3", "created": True}
    for how, line in zip(("header", "cookie"), lines[2:], strict=True):
        prefix = f"/api/me/ with the session as a {how}: 200 "
        assert line.startswith(prefix)
        assert json.loads(line.removeprefix(prefix))["accounts"] == {"mini": "o-mp-follower-3"}
    # session_key went to the site, never to the "mini program".
    session_key = emulator.state(DEMO_MINI.app_id).session_keys["o-mp-follower-3"]
    assert session_key not in played.stdout
