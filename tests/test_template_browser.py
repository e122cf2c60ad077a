"""Template messages in Chromium, on the demo site (runserver + the emulator, as `make demo`):
sync the templates, open one, fill the "Send a test message" form, send, see WeChat's
answer, follow it to the sent log, and see the entry delivered once the emulator's
TEMPLATESENDJOBFINISH reached the demo's callback.

Screenshots are kept in tests/artifacts/templates/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from django_wechat.conf import get_account
from django_wechat.testing.emulator import WeChatEmulator
from django_wechat.testing.emulator.routes.template import TEMPLATE_LIBRARY
from tests.browser import browser_page, log_in_to_admin
from tests.demo_support import demo_with_emulator, emulator_env, manage

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "templates"
FOLLOWER = "o-demo-follower-1"
TEMPLATE_ID = "demo-booking-template-id"


def add_demo_template(emulator: WeChatEmulator) -> None:
    """A template on the emulated account, as api_add_template would add it."""
    entry = TEMPLATE_LIBRARY["OPENTM411587302"]  # thing1, time2
    emulator.state().templates[TEMPLATE_ID] = {
        "template_id": TEMPLATE_ID,
        "primary_industry": "IT科技",
        "deputy_industry": "互联网|电子商务",
        **entry,
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WeChatEmulator, str]]:
    """The demo and its emulator, with a template on WeChat, a follower known to the demo
    (as a WeChat login would have stored them) and the emulator pushing its events to the
    demo's callback."""
    db = tmp_path_factory.mktemp("template-browser") / "db.sqlite3"
    with demo_with_emulator(db) as (emulator, site):
        add_demo_template(emulator)
        manage(
            "shell",
            "-c",
            "from django_wechat.models import WeChatUser; "
            f"WeChatUser.objects.create(account='default', openid='{FOLLOWER}', nickname='小明')",
            env=emulator_env(db, emulator.url, get_account()),
        )
        emulator.state().callback_url = f"{site}/wechat/callback/default/"
        yield emulator, site


def test_send_a_test_message_from_the_admin(demo: tuple[WeChatEmulator, str]) -> None:
    emulator, site = demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser_page() as browser:
        browser.set_viewport_size({"width": 1200, "height": 900})
        log_in_to_admin(browser, site, "/admin/django_wechat/messagetemplate/", sidebar=False)

        # Sync from WeChat: the template appears with its keywords.
        browser.click(".wechat-sync-templates button")
        browser.wait_for_load_state()
        assert "1 added, 0 changed, 0 removed" in browser.locator(".messagelist").inner_text()
        row = browser.locator("#result_list tbody tr").first
        assert "预约成功通知" in row.inner_text()
        assert "thing1, time2" in row.inner_text()

        # Open the template, then its test-send page.
        browser.click("#result_list tbody tr th a")
        browser.wait_for_load_state()
        browser.click(".wechat-send-link")
        browser.wait_for_load_state()
        assert browser.locator("#id_keyword_thing1").get_attribute("maxlength") == "20"
        browser.fill("#id_keyword_thing1", "体检")
        browser.fill("#id_keyword_time2", "2024年5月1日 09:30")
        browser.fill("#id_follower", "小明")
        browser.fill("#id_url", "https://example.com/booking/42")
        browser.screenshot(path=str(ARTIFACTS / "test-send-form.png"), full_page=True)
        browser.click("#wechat-send")
        browser.wait_for_load_state()

        # WeChat's answer, and the message on the emulated phone.
        result = browser.locator("#wechat-result").inner_text()
        (delivered,) = emulator.sent_messages(FOLLOWER)
        assert f"WeChat accepted the message: msgid {delivered['msgid']}" in result
        assert delivered["data"]["thing1"] == {"value": "体检"}
        assert delivered["url"] == "https://example.com/booking/42"
        browser.screenshot(path=str(ARTIFACTS / "test-send-result.png"), full_page=True)

        # The sent log: delivered once the job-finish event reached the demo's callback.
        pushed = emulator.wait_for_push("TEMPLATESENDJOBFINISH")
        assert pushed.ok, pushed.error
        browser.click("#wechat-result a")
        browser.wait_for_load_state()
        assert str(delivered["msgid"]) in browser.locator("#content").inner_text()
        browser.goto(f"{site}/admin/django_wechat/templatemessage/")
        log = browser.locator("#result_list tbody tr")
        assert log.count() == 1
        assert "Delivered" in log.first.inner_text()
        assert "小明" in log.first.inner_text()
        browser.screenshot(path=str(ARTIFACTS / "sent-log.png"), full_page=True)
    assert (ARTIFACTS / "sent-log.png").stat().st_size > 10_000
