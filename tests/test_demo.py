"""The demo site as README's `make demo` runs it: migrate, demo_setup, runserver, log in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.browser import browser_page
from tests.demo_support import demo_env, manage, runserver


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The testproject on a free loopback port, with its own SQLite file."""
    env = demo_env(tmp_path_factory.mktemp("demo") / "db.sqlite3")
    manage("migrate", "--noinput", env=env)
    manage("createcachetable", env=env)
    first = manage("demo_setup", env=env)
    again = manage("demo_setup", env=env)
    assert "Created the demo superuser 'admin'" in first.stdout
    assert "Created" not in again.stdout
    assert "password 'admin'" in again.stdout
    with runserver(env) as url:
        yield url


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
