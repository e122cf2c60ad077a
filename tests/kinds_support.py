"""Accounts of other kinds for the tests: a website app paired with ``default`` and a
mini program, added to the suite's three official accounts; an emulator that knows them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from django_wechat.testing.emulator import WeChatEmulator
from tests.oauth_support import consent, start_login

WEB = {"KIND": "website", "APP_ID": "wx00000000000000a1", "APP_SECRET": "test-secret-web"}
MINI = {"KIND": "miniprogram", "APP_ID": "wx00000000000000b1", "APP_SECRET": "test-secret-mini"}


def with_kinds(wechat: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """``wechat`` (settings.WECHAT) with the accounts ``web`` and ``mini`` and the pairing."""
    accounts = {**wechat["ACCOUNTS"], "web": WEB, "mini": MINI}
    return {**wechat, "ACCOUNTS": accounts, "OAUTH_WEBSITE_ACCOUNTS": {"default": "web"}, **extra}


@pytest.fixture
def kinds_emulator(settings: Any, request: pytest.FixtureRequest) -> WeChatEmulator:
    """``wechat_emulator`` with the website and mini-program accounts configured too."""
    from django.core.cache import caches

    settings.WECHAT = with_kinds(settings.WECHAT)
    # Rate counts and session_keys of earlier tests (one local-memory cache) start empty.
    caches["default"].clear()
    emulator: WeChatEmulator = request.getfixturevalue("wechat_emulator")
    return emulator


def start_qr_login(client: Client, account: str = "web", **query: str) -> dict[str, str]:
    """GET ``wechat:oauth_login`` of a website account: the qrconnect URL's parameters."""
    return start_login(client, account, "/connect/qrconnect", **query)


def scan(
    emulator: WeChatEmulator,
    params: dict[str, str],
    action: str = "approve",
    openid: str = "o-web-follower-1",
) -> str:
    """Open the emulator's desktop QR page and press its button ("scan and confirm"):
    the path and query WeChat sends the browser back to."""
    return consent(emulator, params, action, openid, page_path="/connect/qrconnect")
