"""The demo site as README's `make demo` runs it: migrate, demo_setup, runserver, log in."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.browser import browser_page

ROOT = Path(__file__).resolve().parent.parent
TESTPROJECT = ROOT / "testproject"


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=TESTPROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The testproject on a free loopback port, with its own SQLite file."""
    env = {
        **os.environ,
        "DEMO_DB": str(tmp_path_factory.mktemp("demo") / "db.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
        "PYTHONPATH": str(ROOT),
    }
    manage("migrate", "--noinput", env=env)
    first = manage("demo_setup", env=env)
    again = manage("demo_setup", env=env)
    assert "Created the demo superuser 'admin'" in first.stdout
    assert "Created" not in again.stdout
    assert "password 'admin'" in again.stdout

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=TESTPROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url + "/admin/login/", timeout=1)
            break
        except requests.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(server.stderr.read().decode() if server.stderr else "") from None
            time.sleep(0.1)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_demo_serves_its_home_page(demo_site: str) -> None:
    response = requests.get(demo_site + "/", timeout=5)
    assert response.status_code == 200
    assert "django_wechat demo" in response.text


@pytest.mark.parametrize(
    ("locale", "heading"), [("en-US", "Site administration"), ("zh-CN", "站点管理")]
)
def test_admin_login_in_a_real_browser(demo_site: str, locale: str, heading: str) -> None:
    with browser_page(locale=locale) as page:
        page.goto(demo_site + "/admin/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "admin")
        page.click("input[type=submit]")
        page.wait_for_load_state()
        assert page.url.rstrip("/").endswith("/admin")
        assert heading in page.content()


def test_wrong_password_is_refused_in_a_real_browser(demo_site: str) -> None:
    with browser_page() as page:
        page.goto(demo_site + "/admin/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "not-the-password")
        page.click("input[type=submit]")
        page.wait_for_load_state()
        assert "/admin/login/" in page.url
        assert "Please enter the correct username and password" in page.content()
