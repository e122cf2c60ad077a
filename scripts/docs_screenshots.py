"""Take the documentation's screenshots: the demo site in Chromium, as `make demo` runs it.

    PYTHONPATH=. python scripts/docs_screenshots.py [menu followers broadcast login]

Each picture starts its own emulator and demo site (a throw-away SQLite file) and saves a
PNG in docs/images/: the menu editor (form and phone), the follower list with its tags,
a broadcast's progress while the demo's task worker sends it, and the WeChat login on a
phone (the emulator's consent page, then the demo page logged in). With no names it
takes them all. Needs Playwright and Debian's chromium, as the browser tests do, and a
CJK font (fonts-noto-cjk) for the Chinese text.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django_wechat.conf import get_account  # noqa: E402
from django_wechat.testing.emulator import WeChatEmulator  # noqa: E402
from tests.browser import browser_page, log_in_to_admin  # noqa: E402
from tests.demo_support import (  # noqa: E402
    db_worker,
    demo_with_emulator,
    emulator_env,
    manage,
    wait_for,
)

IMAGES = ROOT / "docs/images"
#: A phone's screen, for the pages a follower sees inside WeChat.
PHONE = {"width": 390, "height": 480}


@contextmanager
def demo(followers: int = 5) -> Iterator[tuple[WeChatEmulator, str, Path]]:
    """An emulator and the demo site pointed at it; yields both and the site's database."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.sqlite3"
        with demo_with_emulator(db, followers=followers) as (emulator, site):
            yield emulator, site, db


def saved(name: str) -> Path:
    target = IMAGES / name
    print(f"{target} ({target.stat().st_size} bytes)")
    return target


def menu() -> None:
    """menu-editor.png: a button renamed, so the phone's preview shows the change."""
    with demo() as (_emulator, site, _db), browser_page(locale="zh-CN") as page:
        page.set_viewport_size({"width": 1200, "height": 900})
        log_in_to_admin(page, site, "/admin/django_wechat/menu/1/change/", sidebar=False)
        page.fill("#id_buttons-0-name", "点个赞")
        page.locator(".wechat-menu-editor").screenshot(path=str(IMAGES / "menu-editor.png"))
    saved("menu-editor.png")


def followers() -> None:
    """followers-admin.png: the synced followers, two of them tagged, in the admin list."""
    with demo() as (emulator, site, db), browser_page() as page:
        with emulator.lock:
            state = emulator.state()
            state.tags[100] = "VIP"
            state.tags[101] = "Beijing"
            for openid, tags in (
                ("o-demo-follower-1", [100, 101]),
                ("o-demo-follower-2", [100]),
                ("o-demo-follower-4", [101]),
            ):
                state.followers[openid].tagid_list.extend(tags)
        manage("wechat_sync_users", "--full", env=emulator_env(db, emulator.url, get_account()))
        page.set_viewport_size({"width": 1200, "height": 560})
        log_in_to_admin(page, site, "/admin/django_wechat/wechatuser/", sidebar=False)
        page.screenshot(path=str(IMAGES / "followers-admin.png"))
    saved("followers-admin.png")


def broadcast() -> None:
    """broadcast-progress.png: a text to 2,000 followers, caught part of the way through;
    one in twenty has not written to the account for 48 hours, which blocks the send."""
    with demo(followers=2000) as (emulator, site, db), browser_page() as page:
        with emulator.lock:
            for follower in list(emulator.state().followers.values())[::20]:
                follower.last_message_at = None
        env = emulator_env(db, emulator.url, get_account())
        manage("wechat_sync_users", "--full", env=env)
        send = "cgi-bin/message/custom/send"
        emulator.fail("delay", api=send, delay=0.02, times=10_000)
        with db_worker(env):
            manage("wechat_broadcast", "--text", "本周会员日：全场八折", env=env)
            wait_for(lambda: emulator.count(send) >= 800, timeout=60)
            page.set_viewport_size({"width": 1440, "height": 400})
            log_in_to_admin(page, site, "/admin/django_wechat/broadcast/", sidebar=False)
            page.screenshot(path=str(IMAGES / "broadcast-progress.png"))
    saved("broadcast-progress.png")


def login() -> None:
    """login-consent.png and login-done.png: the WeChat login as a follower sees it."""
    with demo() as (_emulator, site, _db), browser_page(locale="zh-CN") as page:
        # Offline, the avatar's host (WeChat's CDN) cannot be reached: the initial shows.
        page.route("https://thirdwx.qlogo.cn/**", lambda route: route.abort())
        page.set_viewport_size(PHONE)
        page.goto(site + "/login/")
        page.click("#wechat-login")
        page.wait_for_load_state()
        page.check("input[value='o-demo-follower-2']")
        page.screenshot(path=str(IMAGES / "login-consent.png"))
        page.click("button[value='approve']")
        page.wait_for_load_state()
        page.wait_for_function("!document.querySelector('.avatar img')")
        page.screenshot(path=str(IMAGES / "login-done.png"))
    saved("login-consent.png")
    saved("login-done.png")


PICTURES = {"menu": menu, "followers": followers, "broadcast": broadcast, "login": login}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"of {', '.join(PICTURES)} (all by default)")
    names = parser.parse_args().names or list(PICTURES)
    unknown = sorted(set(names) - set(PICTURES))
    if unknown:
        parser.error(f"no picture called {', '.join(unknown)}")
    IMAGES.mkdir(exist_ok=True)
    for name in names:
        try:
            PICTURES[name]()
        except subprocess.CalledProcessError as exc:
            sys.exit(f"{name}: {exc.cmd} failed:\n{exc.stderr}")
        except AssertionError as exc:  # the demo did not get there in time
            sys.exit(f"{name}: {exc}")


if __name__ == "__main__":
    main()
