"""The menu editor in Chromium, on the demo site (runserver + the emulator, as `make demo`):
the preview follows the edits as they are typed, publishing goes through the confirmation
page and the emulator then holds the new menu; a name too long shows its byte count.

The editor's screenshot is kept as a test artifact: ``menu-editor.png`` (and
``menu-editor-zh.png``) in pytest's temporary directory for this run
(``pytest --basetemp=DIR`` puts it in DIR/menu-browser0/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from django_wechat.testing.emulator import WeChatEmulator
from tests.browser import browser_page, log_in_to_admin
from tests.test_demo_pages import emulator_and_demo

__all__ = ["emulator_and_demo"]

EDITOR = "/admin/django_wechat/menu/1/change/"


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("menu-browser")


def test_edit_preview_and_publish(
    emulator_and_demo: tuple[WeChatEmulator, str], artifacts: Path
) -> None:
    emulator, site = emulator_and_demo
    with browser_page() as browser:
        log_in_to_admin(browser, site, EDITOR)
        phone = browser.locator("#wechat-menu-phone")
        # The demo's draft menu, as demo_setup made it.
        assert phone.locator(".wechat-phone-button").all_inner_texts() == ["赞一下", "≡ 更多"]
        assert phone.locator(".wechat-phone-subs li").all_inner_texts() == ["使用文档", "扫一扫"]

        # The preview follows each key press, before anything is saved.
        name = browser.locator("#id_buttons-0-name")
        name.fill("")
        name.press_sequentially("点个赞")
        assert phone.locator(".wechat-phone-button").first.inner_text() == "点个赞"
        browser.fill("#id_buttons-3-name", "扫码")
        assert phone.locator(".wechat-phone-subs li").all_inner_texts() == ["使用文档", "扫码"]
        browser.screenshot(path=str(artifacts / "menu-editor.png"), full_page=True)
        assert (artifacts / "menu-editor.png").stat().st_size > 10_000

        browser.click("input[name=_continue]")
        browser.wait_for_load_state()
        assert browser.locator(".errorlist").count() == 0

        # Publish: the confirmation page shows WeChat's (empty) menu beside this one.
        assert emulator.state().menu is None
        browser.click(".wechat-publish-link")
        browser.wait_for_load_state()
        changed = browser.locator("tr.wechat-changed").all_inner_texts()
        assert any("点个赞 (click: key=V1001_GOOD)" in row for row in changed)
        assert emulator.count("cgi-bin/menu/create") == 0
        browser.click("#wechat-publish")
        browser.wait_for_load_state()
        assert "is published on WeChat" in browser.locator(".messagelist").inner_text()
        stored = emulator.state().menu
        assert stored is not None
        assert [b["name"] for b in stored["button"]] == ["点个赞", "更多"]
        assert [s["name"] for s in stored["button"][1]["sub_button"]] == ["使用文档", "扫码"]

        # The demo's account page shows what WeChat (the emulator) now holds.
        browser.goto(site + "/account/")
        assert "点个赞" in browser.locator("#menu").inner_text()

        # Publishing again: the page says nothing differs.
        browser.goto(site + EDITOR.replace("change/", "publish/"))
        assert browser.locator("tr.wechat-changed").count() == 0


@pytest.mark.parametrize(
    ("locale", "message", "shot"),
    [
        ("en-US", "'每日推荐歌曲列表' is 24 bytes; at most 16", "menu-editor-error.png"),
        ("zh-CN", "“每日推荐歌曲列表”有 24 个字节；最多 16 个", "menu-editor-zh.png"),
    ],
)
def test_a_name_too_long_shows_its_byte_count(
    emulator_and_demo: tuple[WeChatEmulator, str],
    artifacts: Path,
    locale: str,
    message: str,
    shot: str,
) -> None:
    emulator, site = emulator_and_demo
    calls = emulator.count()
    with browser_page(locale=locale) as browser:
        log_in_to_admin(browser, site, EDITOR)
        browser.fill("#id_buttons-0-name", "每日推荐歌曲列表")
        browser.click("input[name=_continue]")
        browser.wait_for_load_state()
        errors = browser.locator("#buttons-group .errorlist").all_inner_texts()
        assert errors == [message]
        browser.screenshot(path=str(artifacts / shot), full_page=True)
    assert emulator.count() == calls  # nothing was sent to WeChat


def test_the_preview_without_javascript(emulator_and_demo: tuple[WeChatEmulator, str]) -> None:
    _emulator, site = emulator_and_demo
    with browser_page() as first:
        context = first.context.browser.new_context(java_script_enabled=False)
        browser = context.new_page()
        log_in_to_admin(browser, site, EDITOR)
        phone = browser.locator("#wechat-menu-phone")
        # The server drew the saved menu; no script ran.
        assert phone.locator(".wechat-phone-button").count() == 2
        assert phone.locator(".wechat-phone-subs li").count() == 2
        # And typing changes nothing: the preview shows the saved menu until it is saved.
        browser.fill("#id_buttons-0-name", "不会显示")
        assert "不会显示" not in phone.inner_text()
        context.close()
