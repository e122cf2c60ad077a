"""Take docs/images/menu-editor.png: the demo's menu editor in Chromium, as `make demo` runs it.

    PYTHONPATH=. python scripts/menu_screenshot.py

Starts an emulator and the demo site (a throw-away SQLite file), logs in, edits a button so
the preview shows a change, and saves a PNG of the editor (form and phone). Needs
Playwright and Debian's chromium, as the browser tests do.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from tests.browser import browser_page  # noqa: E402
from tests.demo_support import demo_with_emulator  # noqa: E402

TARGET = ROOT / "docs/images/menu-editor.png"


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        demo_with_emulator(Path(tmp) / "db.sqlite3") as (_emulator, site),
        browser_page(locale="zh-CN") as page,
    ):
        page.set_viewport_size({"width": 1200, "height": 900})
        page.goto(site + "/admin/login/?next=/admin/django_wechat/menu/1/change/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "admin")
        page.click("input[type=submit]")
        page.wait_for_load_state()
        # The admin's navigation sidebar closed, for room.
        page.evaluate("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
        page.reload()
        page.fill("#id_buttons-0-name", "点个赞")
        page.locator(".wechat-menu-editor").screenshot(path=str(TARGET))
    print(f"{TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
