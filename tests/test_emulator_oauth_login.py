"""What the emulator learned for the WeChat login: snapshot pages (快照页), followers who
share a unionid across accounts, and WeChat's blanked sex and region."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from django_wechat.conf import get_account
from django_wechat.testing.emulator import WeChatEmulator
from django_wechat.testing.emulator.routes.oauth import add_follower, snapshot_openid

from .emulator_support import errcode, get
from .test_emulator_oauth import consent


@pytest.fixture(autouse=True)
def shop_domain(wechat_emulator: WeChatEmulator) -> None:
    """The redirect_uri of test_emulator_oauth's consent() is on shop.example.com."""
    wechat_emulator.state().oauth_domains.add("shop.example.com")


def exchange(emulator: WeChatEmulator, code: str, account: str = "default") -> dict[str, object]:
    acct = get_account(account)
    answer: dict[str, object] = get(
        emulator,
        "sns/oauth2/access_token",
        None,
        appid=acct.app_id,
        secret=acct.app_secret,
        code=code,
        grant_type="authorization_code",
    )
    return answer


def test_a_snapshot_page_gives_a_virtual_user(wechat_emulator: WeChatEmulator) -> None:
    query = consent(wechat_emulator, "snsapi_userinfo", "snapshot", "o-demo-follower-1")
    answer = exchange(wechat_emulator, query["code"][0])
    assert answer["is_snapshotuser"] == 1
    assert answer["openid"] == snapshot_openid("o-demo-follower-1") != "o-demo-follower-1"
    assert answer["unionid"] != "u-demo-follower-1"
    # The flag is only in the token answer; sns/userinfo refuses the virtual user.
    info = get(
        wechat_emulator,
        "sns/userinfo",
        str(answer["access_token"]),
        openid=answer["openid"],
    )
    assert errcode(info) == 48001


def test_a_real_consent_has_no_snapshot_flag(wechat_emulator: WeChatEmulator) -> None:
    query = consent(wechat_emulator, "snsapi_userinfo", "approve", "o-demo-follower-1")
    answer = exchange(wechat_emulator, query["code"][0])
    assert "is_snapshotuser" not in answer
    assert answer["unionid"] == "u-demo-follower-1"


def test_sns_userinfo_blanks_sex_and_region(wechat_emulator: WeChatEmulator) -> None:
    query = consent(wechat_emulator, "snsapi_userinfo", "approve", "o-demo-follower-1")
    answer = exchange(wechat_emulator, query["code"][0])
    info = get(
        wechat_emulator, "sns/userinfo", str(answer["access_token"]), openid=answer["openid"]
    )
    assert info["nickname"] == "张伟"
    assert (info["sex"], info["province"], info["city"], info["country"]) == (0, "", "", "")


def test_one_person_in_two_accounts(wechat_emulator: WeChatEmulator) -> None:
    follower = add_follower(
        wechat_emulator, "compatible", "o-compat-1", nickname="张伟", unionid="u-demo-follower-1"
    )
    assert wechat_emulator.state("compatible").followers["o-compat-1"] is follower
    acct = get_account("compatible")
    page = requests.post(
        f"{wechat_emulator.url}/connect/oauth2/authorize/confirm",
        data={
            "appid": acct.app_id,
            "redirect_uri": "http://testserver/back/",
            "response_type": "code",
            "scope": "snsapi_userinfo",
            "state": "s1",
            "action": "approve",
            "openid": "o-compat-1",
        },
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(page.headers["Location"]).query)["code"][0]
    answer = exchange(wechat_emulator, code, "compatible")
    assert (answer["openid"], answer["unionid"]) == ("o-compat-1", "u-demo-follower-1")


def test_no_unionid_without_an_open_platform(wechat_emulator: WeChatEmulator) -> None:
    add_follower(wechat_emulator, "default", "o-lonely", nickname="孤")
    wechat_emulator.oauth_auto_approve = "o-lonely"
    reply = requests.get(
        f"{wechat_emulator.url}/connect/oauth2/authorize",
        params={
            "appid": get_account().app_id,
            "redirect_uri": "http://testserver/back/",
            "response_type": "code",
            "scope": "snsapi_userinfo",
            "state": "s1",
        },
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]
    answer = exchange(wechat_emulator, code)
    assert answer["openid"] == "o-lonely"
    assert "unionid" not in answer


def test_the_consent_page_offers_a_snapshot_page(wechat_emulator: WeChatEmulator) -> None:
    page = requests.get(
        f"{wechat_emulator.url}/connect/oauth2/authorize",
        params={
            "appid": get_account().app_id,
            "redirect_uri": "http://testserver/back/",
            "response_type": "code",
            "scope": "snsapi_userinfo",
            "state": "s1",
        },
        headers={"Accept-Language": "zh-CN"},
        timeout=5,
    )
    assert (
        "<button type='submit' name='action' value='snapshot'>快照页（仅浏览）</button>"
        in page.text
    )
