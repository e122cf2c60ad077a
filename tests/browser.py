"""A real Chromium (Debian's package) driven by Playwright, for admin and login pages."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_MISSING = (
    "chromium is not installed, so the browser tests were SKIPPED. "
    "Install it (apt-get install -y chromium) to run them."
)
# Without the background-networking flags Chromium keeps trying to reach Google's
# hosts, which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(CHROMIUM_MISSING + " Under CI=true this is a failure.")
        pytest.skip(CHROMIUM_MISSING)
    return path


@contextmanager
def browser_page(locale: str = "en-US") -> Iterator[Any]:
    """Yield a Playwright page in a fresh headless Chromium."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale=locale)
            yield context.new_page()
        finally:
            browser.close()


def save_screenshot(page: Any, directory: Path, name: str) -> Path:
    """A full-page screenshot of ``page`` as ``directory/name`` (kept as an artifact)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    return path


def log_in_to_admin(
    page: Any, site: str, next_url: str = "/admin/", *, sidebar: bool = True
) -> None:
    """Log in as the demo's superuser (admin / admin) on the admin's login form, landing on
    ``next_url``; ``sidebar=False`` closes the admin's navigation sidebar, for room."""
    page.goto(f"{site}/admin/login/?next={next_url}")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    assert page.url == site + next_url
    if not sidebar:
        page.evaluate("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
        page.reload()
