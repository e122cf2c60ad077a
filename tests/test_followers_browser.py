"""The follower admin in Chromium, on the demo site (runserver + the emulator, as `make
demo`): the list filtered by tag, then a tag added to two followers through the action's
page, on WeChat (the emulator) and in the list.

The screenshot is kept as a test artifact: tests/artifacts/followers-admin.png (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from django_wechat.conf import get_account

from .browser import browser_page, log_in_to_admin
from .demo_support import demo_with_emulator, emulator_env, manage

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LIST = "/admin/django_wechat/wechatuser/"


def test_filter_by_tag_and_add_a_tag(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    with demo_with_emulator(db) as (emulator, site):
        with emulator.lock:
            state = emulator.state()
            state.tags[100] = "VIP"
            for openid in ("o-demo-follower-1", "o-demo-follower-2"):
                state.followers[openid].tagid_list.append(100)
        manage("wechat_sync_users", "--full", env=emulator_env(db, emulator.url, get_account()))

        with browser_page() as browser:
            log_in_to_admin(browser, site, LIST)
            assert browser.locator("#result_list tbody tr").count() == 5

            # The tag filter, as a person uses it: the link in the sidebar.
            browser.click("#changelist-filter a:text('VIP (default)')")
            browser.wait_for_load_state()
            assert "tags__id__exact=" in browser.url
            shown = browser.locator("#result_list tbody td.field-openid").all_inner_texts()
            assert sorted(shown) == ["o-demo-follower-1", "o-demo-follower-2"]

            # Add the tag to two more, through the action's page.
            browser.goto(site + LIST + "?o=3")  # by openid
            rows = browser.locator("#result_list tbody tr")
            for n in (2, 3):  # o-demo-follower-3 and -4
                rows.nth(n).locator("input.action-select").check()
            browser.select_option("select[name=action]", "add_tag")
            browser.click("button[name=index]")
            browser.wait_for_load_state()
            assert "Chosen followers: 2" in browser.locator("#content").inner_text()
            assert emulator.count("cgi-bin/tags/members/batchtagging") == 0
            browser.select_option("#id_tag", label="VIP (default)")
            browser.click("#wechat-apply")
            browser.wait_for_load_state()
            assert (
                "Added the tag “VIP” to followers: 2."
                in browser.locator(".messagelist").inner_text()
            )
            assert emulator.count("cgi-bin/tags/members/batchtagging") == 1
            for openid in ("o-demo-follower-3", "o-demo-follower-4"):
                assert 100 in emulator.state().followers[openid].tagid_list

            browser.click("#changelist-filter a:text('VIP (default)')")
            browser.wait_for_load_state()
            shown = browser.locator("#result_list tbody td.field-openid").all_inner_texts()
            assert len(shown) == 4
            ARTIFACTS.mkdir(exist_ok=True)
            browser.screenshot(path=str(ARTIFACTS / "followers-admin.png"), full_page=True)
            assert (ARTIFACTS / "followers-admin.png").stat().st_size > 10_000
