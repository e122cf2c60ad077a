"""``@wechat_login_required``, its mixin, the WeChatUser admin and the OAuth settings' checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from django_wechat.checks import check_oauth_settings
from django_wechat.models import WeChatUser
from django_wechat.testing.emulator import WeChatEmulator
from tests.oauth_support import consent, start_login

pytestmark = pytest.mark.django_db

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI"
)
DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


@pytest.fixture
def pages(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.oauth_urls"


@pytest.mark.parametrize(
    ("url", "login", "scope"),
    [
        ("/plain/", "/wechat/oauth/login/default/", "snsapi_base"),
        ("/profile/?x=1", "/wechat/oauth/login/plain/", "snsapi_userinfo"),
        ("/member/", "/wechat/oauth/login/default/", "snsapi_userinfo"),
    ],
)
def test_inside_wechat_an_anonymous_follower_goes_through_the_login(
    pages: None, client: Client, url: str, login: str, scope: str
) -> None:
    response = client.get(url, headers={"user-agent": WECHAT_UA})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == login
    assert dict(parse_qsl(target.query)) == {"next": url, "scope": scope}


@pytest.mark.parametrize("url", ["/plain/", "/member/"])
def test_outside_wechat_the_page_says_to_open_it_in_wechat(
    pages: None, client: Client, url: str
) -> None:
    response = client.get(url, headers={"user-agent": DESKTOP_UA})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Open this page in WeChat" in text
    assert f'<a class="url" href="http://testserver{url}">' in text
    assert "<svg" in text  # the QR code of the URL


def test_the_qr_code_encodes_the_url(pages: None, client: Client) -> None:
    import segno

    response = client.get("/plain/?a=1", headers={"user-agent": DESKTOP_UA})
    expected = segno.make("http://testserver/plain/?a=1", error="m").svg_inline(scale=5, border=2)
    assert expected in response.content.decode()


def test_a_logged_in_user_sees_the_page(pages: None, client: Client) -> None:
    user = get_user_model().objects.create_user("zhang")
    client.force_login(user)
    assert client.get("/plain/", headers={"user-agent": WECHAT_UA}).content == b"hello zhang"
    assert client.get("/member/").content == b"member"


def test_the_decorated_page_after_a_login(
    pages: None, client: Client, wechat_emulator: WeChatEmulator
) -> None:
    response = client.get("/plain/", headers={"user-agent": WECHAT_UA})
    query = dict(parse_qsl(urlsplit(response["Location"]).query))
    params = start_login(client, **query)
    back = client.get(consent(wechat_emulator, params))
    assert back["Location"] == "/plain/"
    assert client.get("/plain/").content.decode().startswith("hello wx_")


# --- admin -----------------------------------------------------------------------------------


@pytest.fixture
def followers() -> list[WeChatUser]:
    user = get_user_model().objects.create_user("linked")
    return [
        WeChatUser.objects.create(
            account="default", openid="o-1", unionid="u-1", nickname="张伟", user=user
        ),
        WeChatUser.objects.create(
            account="plain", openid="o-2", nickname="王芳", subscribed=True, language="zh_CN"
        ),
    ]


def test_the_admin_lists_filters_and_searches(
    admin_client: Client, followers: list[WeChatUser]
) -> None:
    url = "/admin/django_wechat/wechatuser/"
    text = admin_client.get(url).content.decode()
    assert "张伟" in text
    assert "王芳" in text
    text = admin_client.get(url, {"account": "plain"}).content.decode()
    assert "王芳" in text
    assert "张伟" not in text
    text = admin_client.get(url, {"subscribed__exact": "1"}).content.decode()
    assert "王芳" in text
    assert "张伟" not in text
    for query in ("u-1", "o-1", "张"):
        text = admin_client.get(url, {"q": query}).content.decode()
        assert "张伟" in text, query
        assert "王芳" not in text, query


def test_the_admin_shows_wechats_fields_read_only(
    admin_client: Client, followers: list[WeChatUser]
) -> None:
    first = followers[0]
    text = admin_client.get(f"/admin/django_wechat/wechatuser/{first.pk}/change/").content.decode()
    assert 'name="openid"' not in text  # read-only: no input
    assert 'name="user"' in text  # the link to a Django user is the site's to change
    assert f'href="/admin/auth/user/{first.user_id}/change/"' in text


# --- checks -----------------------------------------------------------------------------------


def test_the_default_oauth_settings_pass(settings: Any) -> None:
    assert check_oauth_settings() == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("OAUTH_ADAPTER", "no.such.Adapter"),
        ("OAUTH_ADAPTER", "nodots"),
        ("OAUTH_STATE_TIMEOUT", 0),
        ("OAUTH_STATE_TIMEOUT", "600"),
    ],
)
def test_a_wrong_oauth_setting_is_an_error(settings: Any, key: str, value: Any) -> None:
    with override_settings(WECHAT={**settings.WECHAT, key: value}):
        (problem,) = check_oauth_settings()
    assert problem.id == "wechat.E020"
    assert key in problem.msg


# --- the model, as follower sync will fill it ----------------------------------------------------


def test_update_profile_takes_user_info_and_keeps_what_is_known() -> None:
    from datetime import UTC, datetime

    wechat_user = WeChatUser(
        account="default", openid="o-1", nickname="张伟", avatar_url="https://a/1"
    )
    # cgi-bin/user/info since 2021-12-27: no nickname or avatar, blank sex and region.
    wechat_user.update_profile(
        {
            "subscribe": 1,
            "openid": "o-1",
            "nickname": "",
            "headimgurl": "",
            "language": "zh_CN",
            "subscribe_time": 1700000000,
            "unionid": "u-1",
            "remark": "老客户",
            "tagid_list": [2, 100],
        }
    )
    wechat_user.save()
    wechat_user.refresh_from_db()
    assert (wechat_user.nickname, wechat_user.avatar_url) == ("张伟", "https://a/1")
    assert wechat_user.subscribed is True
    assert wechat_user.subscribed_at == datetime.fromtimestamp(1700000000, UTC)
    assert (wechat_user.language, wechat_user.remark) == ("zh_CN", "老客户")
    assert wechat_user.tag_ids == [2, 100]
    assert wechat_user.unionid == "u-1"
    wechat_user.update_profile({"subscribe": 0, "openid": "o-1"})
    assert wechat_user.subscribed is False
    assert wechat_user.profile["subscribe"] == 0
    assert wechat_user.profile["remark"] == "老客户"


def test_one_openid_per_account() -> None:
    from django.db import IntegrityError, transaction

    WeChatUser.objects.create(account="default", openid="o-1")
    WeChatUser.objects.create(account="plain", openid="o-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        WeChatUser.objects.create(account="default", openid="o-1")
