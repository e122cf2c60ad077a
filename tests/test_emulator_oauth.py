"""Web OAuth and mini program login in the emulator, over real HTTP: the consent page,
the redirect, single-use codes that expire, web tokens, scopes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from django_wechat.conf import get_account
from django_wechat.testing.emulator import WeChatEmulator

from .emulator_support import control, errcode, get

REDIRECT = "https://shop.example.com/wechat/oauth/callback?next=%2Forders%2F"


def authorize_params(scope: str = "snsapi_userinfo", **extra: str) -> dict[str, str]:
    """The parameters of ``connect/oauth2/authorize`` (the consent form posts them back)."""
    return {
        "appid": get_account().app_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": scope,
        "state": "xyzABC123",
        **extra,
    }


def authorize(
    emulator: WeChatEmulator, scope: str = "snsapi_userinfo", **extra: str
) -> requests.Response:
    return requests.get(
        f"{emulator.url}/connect/oauth2/authorize",
        params=authorize_params(scope, **extra),
        allow_redirects=False,
        timeout=5,
    )


def consent(emulator: WeChatEmulator, scope: str, action: str, openid: str) -> dict[str, list[str]]:
    """Load the consent page, submit its form as a browser would, return the redirect's query."""
    page = authorize(emulator, scope)
    assert page.status_code == 200
    form = dict(re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page.text))
    action_url = re.search(r"<form method='post' action='([^']+)'>", page.text)
    assert action_url is not None
    form = {k: v.replace("&amp;", "&") for k, v in form.items()}
    answer = requests.post(
        f"{emulator.url}{action_url.group(1)}",
        data={**form, "openid": openid, "action": action},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT.split("?")[0]
    return parse_qs(location.query)


def exchange(emulator: WeChatEmulator, code: str, secret: str | None = None) -> Any:
    account = get_account()
    return get(
        emulator,
        "sns/oauth2/access_token",
        None,
        appid=account.app_id,
        secret=secret or account.app_secret,
        code=code,
        grant_type="authorization_code",
    )


@pytest.fixture(autouse=True)
def shop_domain(wechat_emulator: WeChatEmulator) -> None:
    """The shop's domain is the default account's web authorisation domain (网页授权域名)."""
    wechat_emulator.state().oauth_domains.add("shop.example.com")


def test_consent_page_lists_the_demo_followers(wechat_emulator: WeChatEmulator) -> None:
    page = authorize(wechat_emulator)
    assert page.headers["Content-Type"].startswith("text/html")
    for n in range(1, 6):
        assert f"o-demo-follower-{n}" in page.text
    assert "张伟" in page.text


def test_approve_redirects_with_code_and_state(wechat_emulator: WeChatEmulator) -> None:
    query = consent(wechat_emulator, "snsapi_userinfo", "approve", "o-demo-follower-2")
    assert query["state"] == ["xyzABC123"]
    assert query["next"] == ["/orders/"]  # redirect_uri's own query is kept
    token = exchange(wechat_emulator, query["code"][0])
    assert token["openid"] == "o-demo-follower-2"
    assert token["scope"] == "snsapi_userinfo"
    assert token["expires_in"] == 7200
    info = get(
        wechat_emulator,
        "sns/userinfo",
        token["access_token"],
        openid="o-demo-follower-2",
        lang="zh_CN",
    )
    assert info["nickname"] == "王芳"
    assert info["unionid"] == "u-demo-follower-2"


def test_deny_redirects_with_state_only(wechat_emulator: WeChatEmulator) -> None:
    query = consent(wechat_emulator, "snsapi_userinfo", "deny", "o-demo-follower-1")
    assert query == {"next": ["/orders/"], "state": ["xyzABC123"]}


def test_codes_are_single_use(wechat_emulator: WeChatEmulator) -> None:
    code = consent(wechat_emulator, "snsapi_base", "approve", "o-demo-follower-1")["code"][0]
    assert "access_token" in exchange(wechat_emulator, code)
    again = exchange(wechat_emulator, code)
    assert again["errcode"] == 40163


def test_codes_expire_after_five_minutes(wechat_emulator: WeChatEmulator) -> None:
    code = consent(wechat_emulator, "snsapi_base", "approve", "o-demo-follower-1")["code"][0]
    wechat_emulator.clock.advance(300)
    assert exchange(wechat_emulator, code)["errcode"] == 40029


def test_code_exchange_checks_everything(wechat_emulator: WeChatEmulator) -> None:
    code = consent(wechat_emulator, "snsapi_base", "approve", "o-demo-follower-1")["code"][0]
    assert exchange(wechat_emulator, code, secret="wrong")["errcode"] == 40125
    assert exchange(wechat_emulator, "made-up")["errcode"] == 40029
    assert exchange(wechat_emulator, "")["errcode"] == 41008
    # The failed attempts did not use the code up.
    assert "access_token" in exchange(wechat_emulator, code)


def test_snsapi_base_token_cannot_read_userinfo(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.oauth_auto_approve = "o-demo-follower-3"
    redirect = authorize(wechat_emulator, "snsapi_base")
    assert redirect.status_code == 302
    code = parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]
    token = exchange(wechat_emulator, code)
    assert token["scope"] == "snsapi_base"
    assert "unionid" not in token
    userinfo = get(
        wechat_emulator, "sns/userinfo", token["access_token"], openid="o-demo-follower-3"
    )
    assert userinfo["errcode"] == 48001
    auth = get(wechat_emulator, "sns/auth", token["access_token"], openid="o-demo-follower-3")
    assert auth["errcode"] == 0
    assert (
        errcode(get(wechat_emulator, "sns/auth", token["access_token"], openid="o-demo-follower-1"))
        == 40003
    )


def test_web_token_is_not_a_base_token(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.oauth_auto_approve = "o-demo-follower-1"
    code = parse_qs(urlsplit(authorize(wechat_emulator).headers["Location"]).query)["code"][0]
    web = exchange(wechat_emulator, code)["access_token"]
    menu = get(wechat_emulator, "cgi-bin/menu/get", web)
    assert menu["errcode"] == 40001


def test_web_token_expiry_and_refresh(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.oauth_auto_approve = "o-demo-follower-1"
    code = parse_qs(urlsplit(authorize(wechat_emulator).headers["Location"]).query)["code"][0]
    first = exchange(wechat_emulator, code)
    wechat_emulator.clock.advance(7200)
    expired = get(
        wechat_emulator, "sns/userinfo", first["access_token"], openid="o-demo-follower-1"
    )
    assert expired["errcode"] == 42001

    def refresh(value: str, appid: str | None = None) -> Any:
        return get(
            wechat_emulator,
            "sns/oauth2/refresh_token",
            None,
            appid=appid or get_account().app_id,
            grant_type="refresh_token",
            refresh_token=value,
        )

    renewed = refresh(first["refresh_token"])
    assert renewed["openid"] == "o-demo-follower-1"
    assert renewed["refresh_token"] == first["refresh_token"]
    info = get(wechat_emulator, "sns/userinfo", renewed["access_token"], openid="o-demo-follower-1")
    assert info["openid"] == "o-demo-follower-1"
    assert refresh("made-up")["errcode"] == 40030
    assert refresh(first["refresh_token"], appid=get_account("plain").app_id)["errcode"] == 40030
    wechat_emulator.clock.advance(30 * 86400)
    assert refresh(first["refresh_token"])["errcode"] == 42002


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"appid": "wx-unknown"}, "appid"),
        ({"redirect_uri": "/relative"}, "10003"),
        ({"scope": "snsapi_login"}, "10005"),
        ({"response_type": "token"}, "response_type"),
        ({"state": "s" * 129}, "state"),
    ],
)
def test_authorize_refuses_bad_parameters(
    wechat_emulator: WeChatEmulator, override: dict[str, str], needle: str
) -> None:
    page = authorize(wechat_emulator, **override)
    assert page.status_code == 400
    assert needle in page.text


def test_jscode2session(wechat_emulator: WeChatEmulator) -> None:
    account = get_account()
    js_code = wechat_emulator.js_code("o-demo-follower-4")

    def ask(code: str) -> Any:
        return get(
            wechat_emulator,
            "sns/jscode2session",
            None,
            appid=account.app_id,
            secret=account.app_secret,
            js_code=code,
            grant_type="authorization_code",
        )

    session = ask(js_code)
    assert session["openid"] == "o-demo-follower-4"
    assert session["unionid"] == "u-demo-follower-4"
    assert len(session["session_key"]) >= 16
    assert ask(js_code)["errcode"] == 40163
    assert ask("made-up")["errcode"] == 40029
    # An OAuth code is not a js_code.
    wechat_emulator.oauth_auto_approve = "o-demo-follower-1"
    oauth_code = parse_qs(urlsplit(authorize(wechat_emulator).headers["Location"]).query)["code"][0]
    assert ask(oauth_code)["errcode"] == 40029
    # Over the control API too.
    answer = control(wechat_emulator, "js_code", {"openid": "o-demo-follower-5"}).json()
    assert ask(answer["js_code"])["openid"] == "o-demo-follower-5"


def refused_redirect(page: requests.Response, host: str) -> None:
    """WeChat's error page for a redirect_uri outside the web authorisation domains."""
    assert page.status_code == 400
    assert "Location" not in page.headers
    assert "10003" in page.text
    assert host in page.text


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example.net/steal",
        "https://pay.shop.example.com/cb",  # a subdomain is another domain
        "https://example.com/cb",  # and so is the parent
        "https://shop.example.com.evil.example.net/cb",
        "https://shop.example.com@evil.example.net/cb",  # userinfo, then the real host
        # urlsplit reads host 127.0.0.1, browsers read evil.example: ambiguous, refused.
        "http://evil.example\\@127.0.0.1/cb",
        "http://127.0.0.1/c b",
    ],
)
def test_authorize_redirects_only_to_the_accounts_domains(
    wechat_emulator: WeChatEmulator, redirect_uri: str
) -> None:
    host = urlsplit(redirect_uri).hostname
    assert host is not None
    refused_redirect(authorize(wechat_emulator, redirect_uri=redirect_uri), host)
    # Nor when the test approves at once: no code leaves for a foreign host.
    wechat_emulator.oauth_auto_approve = "o-demo-follower-1"
    refused_redirect(authorize(wechat_emulator, redirect_uri=redirect_uri), host)
    assert wechat_emulator.codes == {}


def test_a_forged_consent_form_cannot_redirect_elsewhere(wechat_emulator: WeChatEmulator) -> None:
    """The form posts redirect_uri back: the domain is checked again on submit."""
    form = authorize_params(
        redirect_uri="https://evil.example.net/steal", openid="o-demo-follower-1", action="approve"
    )
    page = requests.post(
        f"{wechat_emulator.url}/connect/oauth2/authorize/confirm",
        data=form,
        allow_redirects=False,
        timeout=5,
    )
    refused_redirect(page, "evil.example.net")
    assert wechat_emulator.codes == {}
    # Deny would redirect too: refused alike.
    page = requests.post(
        f"{wechat_emulator.url}/connect/oauth2/authorize/confirm",
        data={**form, "action": "deny"},
        allow_redirects=False,
        timeout=5,
    )
    refused_redirect(page, "evil.example.net")


def test_any_port_of_a_domain_unless_the_entry_names_one(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.oauth_auto_approve = "o-demo-follower-1"
    page = authorize(wechat_emulator, redirect_uri="https://shop.example.com:8443/cb")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("https://shop.example.com:8443/cb?")
    wechat_emulator.state().oauth_domains = {"shop.example.com:8443"}
    assert authorize(wechat_emulator, redirect_uri="https://shop.example.com:8443/cb").is_redirect
    refused_redirect(
        authorize(wechat_emulator, redirect_uri="https://shop.example.com/cb"), "shop.example.com"
    )
    refused_redirect(
        authorize(wechat_emulator, redirect_uri="https://shop.example.com:9443/cb"),
        "shop.example.com",
    )


def test_the_default_domains_are_loopback_and_the_test_client() -> None:
    with WeChatEmulator() as emulator:
        emulator.oauth_auto_approve = "o-demo-follower-1"
        for uri in (
            "http://127.0.0.1:8000/oauth/cb",
            "http://localhost:8000/oauth/cb",
            "http://[::1]:8000/oauth/cb",
            "http://testserver/oauth/cb",
        ):
            page = authorize(emulator, redirect_uri=uri)
            assert page.status_code == 302, uri
            assert page.headers["Location"].startswith(uri + "?"), uri
        refused_redirect(authorize(emulator), "shop.example.com")
        refused_redirect(authorize(emulator, redirect_uri="http://127.0.0.2:8000/cb"), "127.0.0.2")


def test_oauth_domains_given_to_the_emulator_survive_reset() -> None:
    with WeChatEmulator(oauth_domains=["shop.example.com"]) as emulator:
        emulator.oauth_auto_approve = "o-demo-follower-1"
        assert authorize(emulator).is_redirect
        refused_redirect(authorize(emulator, redirect_uri="http://127.0.0.1/cb"), "127.0.0.1")
        emulator.reset()
        emulator.oauth_auto_approve = "o-demo-follower-1"
        assert authorize(emulator).is_redirect
        # Per account: another account keeps its own set.
        emulator.state("compatible").oauth_domains.clear()
        assert authorize(emulator).is_redirect
