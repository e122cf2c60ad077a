"""Small helpers the emulator tests share: plain ``requests`` calls to a running emulator."""

from __future__ import annotations

from typing import Any

import requests

from django_wechat.conf import get_account
from django_wechat.testing.emulator import WeChatEmulator


def fetch_token(emulator: WeChatEmulator, account: str = "default") -> str:
    """A fresh ``cgi-bin/token`` for ``account``."""
    acct = get_account(account)
    answer = requests.get(
        f"{emulator.url}/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": acct.app_id, "secret": acct.app_secret},
        timeout=5,
    ).json()
    return str(answer["access_token"])


def get(emulator: WeChatEmulator, api: str, token: str | None, **params: Any) -> Any:
    """``GET api`` with the token; the decoded JSON answer."""
    if token is not None:
        params["access_token"] = token
    response = requests.get(f"{emulator.url}/{api}", params=params, timeout=5)
    return response.json()


def post(emulator: WeChatEmulator, api: str, token: str | None, data: Any, **params: Any) -> Any:
    """``POST api`` with a JSON body; the decoded JSON answer."""
    if token is not None:
        params["access_token"] = token
    response = requests.post(f"{emulator.url}/{api}", params=params, json=data, timeout=5)
    return response.json()


def errcode(answer: Any) -> int:
    """The answer's errcode, 0 when it has none (WeChat's data answers carry none)."""
    return int(answer.get("errcode", 0))


def control(emulator: WeChatEmulator, action: str, data: Any = None) -> requests.Response:
    """``POST /_emulator/<action>`` as a test in another process would: JSON, with the
    emulator's control token."""
    return requests.post(
        f"{emulator.url}/_emulator/{action}",
        json={} if data is None else data,
        headers={"X-Emulator-Token": emulator.control_token},
        timeout=10,
    )


def control_get(emulator: WeChatEmulator, action: str, **params: Any) -> requests.Response:
    """``GET /_emulator/<action>`` with the emulator's control token."""
    return requests.get(
        f"{emulator.url}/_emulator/{action}",
        params=params,
        headers={"X-Emulator-Token": emulator.control_token},
        timeout=10,
    )
