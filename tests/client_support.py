"""Helpers the client tests share."""

from __future__ import annotations

import time
from typing import Any

from django_wechat.testing.emulator import WeChatEmulator


def settle(emulator: WeChatEmulator, api: str, at_least: int = 1, timeout: float = 10) -> None:
    """Wait until the emulator has logged ``at_least`` calls to ``api`` (it logs a delayed
    call once it has answered), then a little longer for any call that should not come."""
    deadline = time.monotonic() + timeout
    while emulator.count(api) < at_least:
        assert time.monotonic() < deadline, f"{api} was never called"
        time.sleep(0.02)
    time.sleep(0.3)


def with_account(settings: Any, name: str = "default", **changes: Any) -> None:
    """Change account ``name``'s settings (``APP_SECRET=...``, ``TOKEN_SOURCE=...``) for
    this test, through pytest-django's ``settings`` fixture."""
    wechat = settings.WECHAT
    accounts = {**wechat["ACCOUNTS"]}
    accounts[name] = {**accounts[name], **changes}
    settings.WECHAT = {**wechat, "ACCOUNTS": accounts}
