"""Drive the WeChat login as a follower would: our login view, the emulator's consent
page over loopback HTTP, and WeChat's redirect back to our callback."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from django.test import Client

from django_wechat.testing.emulator import WeChatEmulator

#: The parameters WeChat's authorize URL takes, in the order WeChat requires.
AUTHORIZE_ORDER = ["appid", "redirect_uri", "response_type", "scope", "state"]


def start_login(
    client: Client,
    account: str | None = "default",
    page: str = "/connect/oauth2/authorize",
    **query: str,
) -> dict[str, str]:
    """GET ``wechat:oauth_login``; the parameters of WeChat's ``page`` it redirects to
    (the authorize page, or a website account's ``/connect/qrconnect``), checked."""
    path = "/wechat/oauth/login/" + (f"{account}/" if account else "")
    response = client.get(path, query)
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert location.endswith("#wechat_redirect")
    parts = urlsplit(location)
    assert parts.path == page
    pairs = parse_qsl(parts.query)
    assert [k for k, _v in pairs] == AUTHORIZE_ORDER
    return dict(pairs)


def consent(
    emulator: WeChatEmulator,
    params: dict[str, str],
    action: str = "approve",
    openid: str = "o-demo-follower-1",
    accept_language: str = "en",
    page_path: str = "/connect/oauth2/authorize",
    site: str = "testserver",
) -> str:
    """Open the emulator's consent page (or ``page_path``'s), then press ``action``
    (approve, deny, snapshot); the path and query WeChat redirects the browser to (on
    ``site``, the host and port the login started on)."""
    page = requests.get(
        f"{emulator.url}{page_path}",
        params=params,
        headers={"Accept-Language": accept_language},
        timeout=30,
    )
    assert page.status_code == 200, page.text
    form = dict(re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page.text))
    assert form["state"] == params["state"]
    answer = requests.post(
        f"{emulator.url}/connect/oauth2/authorize/confirm",
        data={**form, "action": action, "openid": openid},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text
    target = urlsplit(answer.headers["Location"])
    assert target.netloc == site
    return f"{target.path}?{target.query}"


def log_in(
    client: Client, emulator: WeChatEmulator, account: str = "default", **kwargs: Any
) -> Any:
    """The whole login, approved; the callback's response."""
    query = kwargs.pop("query", {})
    params = start_login(client, account, **query)
    return client.get(consent(emulator, params, **kwargs))
