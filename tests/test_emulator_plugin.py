"""The pytest plugin: fixtures reachable through the pytest11 entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

from django_wechat.conf import wechat_settings
from django_wechat.testing.emulator import WeChatEmulator

from .emulator_support import fetch_token

ROOT = Path(__file__).resolve().parent.parent


def test_fixture_points_settings_at_the_emulator(wechat_emulator: WeChatEmulator) -> None:
    assert wechat_emulator.url == wechat_settings.API_BASE_URL
    assert wechat_emulator.url == wechat_settings.OAUTH_BASE_URL
    assert settings.WECHAT["ACCOUNTS"]["default"]["APP_ID"] == "wx2c2769f8efd9abc2"
    assert wechat_emulator.url.startswith("http://127.0.0.1:")


def test_settings_override_keeps_the_accounts(wechat_emulator: WeChatEmulator) -> None:
    override = wechat_emulator.settings_override()
    assert override["ACCOUNTS"] == settings.WECHAT["ACCOUNTS"]
    with wechat_emulator.override_settings():
        assert wechat_emulator.url == wechat_settings.API_BASE_URL


@pytest.mark.slow
def test_entry_point_fixtures_in_a_users_project(tmp_path: Path) -> None:
    """A project that only installs django_wechat gets both fixtures, and the session
    emulator is reset between tests."""
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import requests
            from django.conf import settings

            def fetch(emulator):
                account = settings.WECHAT["ACCOUNTS"]["default"]
                return requests.get(
                    settings.WECHAT["API_BASE_URL"] + "/cgi-bin/token",
                    params={"grant_type": "client_credential",
                            "appid": account["APP_ID"], "secret": account["APP_SECRET"]},
                    timeout=5,
                ).json()

            def test_one(wechat_emulator_session):
                wechat_emulator_session.clock.advance(60)
                assert "access_token" in fetch(wechat_emulator_session)
                assert wechat_emulator_session.count("cgi-bin/token") == 1
                # The project's own cache keys: the fixtures must leave them alone.
                from django.core.cache import caches
                caches["default"].set("project:session", "kept", timeout=None)

            def test_two(wechat_emulator_session):
                assert wechat_emulator_session.count() == 0
                assert fetch(wechat_emulator_session)["expires_in"] == 7200
                from django.core.cache import caches
                assert caches["default"].get("project:session") == "kept"

            def test_three(wechat_emulator):
                assert settings.WECHAT["API_BASE_URL"] == wechat_emulator.url
                from django.core.cache import caches
                assert caches["default"].get("project:session") == "kept"
            """
        )
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


@pytest.mark.slow
def test_without_pytest_django_the_error_says_so(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text("def test_it(wechat_emulator):\n    pass\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:django",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "need pytest-django" in result.stdout + result.stderr


def test_session_fixture_is_shared_and_reset(wechat_emulator_session: WeChatEmulator) -> None:
    fetch_token(wechat_emulator_session)
    assert wechat_emulator_session.count() == 1
