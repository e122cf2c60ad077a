"""Every API group of WeChatClient, over HTTP against the emulator."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from django_wechat import get_client
from django_wechat.client import RetryPolicy, WeChatClient
from django_wechat.client.jsapi import jsapi_signature
from django_wechat.exceptions import APIError, TransportError
from django_wechat.testing.emulator import WeChatEmulator
from tests.client_support import settle

FOLLOWER = "o-demo-follower-1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64

MENU = {
    "button": [
        {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
        {
            "name": "菜单",
            "sub_button": [{"type": "view", "name": "搜索", "url": "https://www.soso.com/"}],
        },
    ]
}


@pytest.fixture
def client(wechat_emulator: WeChatEmulator) -> WeChatClient:
    return get_client()


# --- menu -------------------------------------------------------------------------------


def test_menu_create_get_delete(client: WeChatClient, wechat_emulator: WeChatEmulator) -> None:
    assert client.menu.get() is None
    client.menu.create(MENU)
    menu = client.menu.get()
    assert menu is not None
    assert menu["menu"]["button"][0]["name"] == "今日歌曲"
    assert menu["menu"]["button"][1]["sub_button"][0]["url"] == "https://www.soso.com/"
    client.menu.delete()
    assert client.menu.get() is None


def test_menu_errors_name_the_api(client: WeChatClient) -> None:
    with pytest.raises(APIError) as excinfo:
        client.menu.create({"button": [{"type": "click", "name": "太长" * 20, "key": "k"}]})
    assert excinfo.value.api == "cgi-bin/menu/create"
    assert excinfo.value.errcode == 40018


def test_conditional_menu_is_stored_matched_and_deleted(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    client.menu.create(MENU)
    vip = client.tag.create("会员")["id"]
    client.tag.tag_user(vip, FOLLOWER)
    conditional = {
        "button": [{"type": "click", "name": "会员专区", "key": "VIP"}],
        "matchrule": {"tag_id": str(vip)},
    }
    menu_id = client.menu.add_conditional(conditional)["menuid"]

    menu = client.menu.get()
    assert menu is not None
    (stored,) = menu["conditionalmenu"]
    assert stored["menuid"] == int(menu_id)
    assert stored["matchrule"] == {"tag_id": str(vip)}
    assert stored["button"][0]["key"] == "VIP"
    # The follower with the tag sees it; the others see the default menu.
    assert client.menu.try_match(FOLLOWER)["button"][0]["name"] == "会员专区"
    assert client.menu.try_match("o-demo-follower-2")["button"][0]["name"] == "今日歌曲"

    client.menu.del_conditional(int(menu_id))
    menu = client.menu.get()
    assert menu is not None
    assert "conditionalmenu" not in menu
    assert client.menu.try_match(FOLLOWER)["button"][0]["name"] == "今日歌曲"
    with pytest.raises(APIError) as excinfo:
        client.menu.del_conditional(menu_id)
    assert excinfo.value.errcode == 65301
    assert excinfo.value.api == "cgi-bin/menu/delconditional"


def test_conditional_menu_errors(client: WeChatClient, wechat_emulator: WeChatEmulator) -> None:
    members = {"button": [{"type": "click", "name": "会员", "key": "VIP"}]}
    with pytest.raises(APIError) as excinfo:
        client.menu.add_conditional({**members, "matchrule": {"tag_id": "2"}})
    assert excinfo.value.errcode == 65303  # no default menu yet
    client.menu.create(MENU)
    with pytest.raises(APIError) as excinfo:
        client.menu.add_conditional({**members, "matchrule": {"sex": "1"}})
    assert excinfo.value.errcode == 65320  # no rules on private data any more
    with pytest.raises(APIError) as excinfo:
        client.menu.try_match("o-nobody")
    assert excinfo.value.errcode == 65302
    assert excinfo.value.api == "cgi-bin/menu/trymatch"
    assert wechat_emulator.state().conditional_menus == []


def test_menu_info(client: WeChatClient) -> None:
    assert client.menu.get_menu_info()["is_menu_open"] == 0
    client.menu.create(MENU)
    info = client.menu.get_menu_info()
    assert info["is_menu_open"] == 1
    buttons = info["selfmenu_info"]["button"]
    assert buttons[0] == {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"}
    assert buttons[1]["sub_button"]["list"][0]["url"] == "https://www.soso.com/"


# --- user -------------------------------------------------------------------------------


def test_user_get_and_batch(client: WeChatClient) -> None:
    profile = client.user.get(FOLLOWER)
    assert profile["openid"] == FOLLOWER
    assert profile["subscribe"] == 1
    many = client.user.get_batch([FOLLOWER, "o-demo-follower-2"])
    assert [p["openid"] for p in many] == [FOLLOWER, "o-demo-follower-2"]
    assert client.user.get_batch([{"openid": FOLLOWER, "lang": "en"}])[0]["openid"] == FOLLOWER


def test_user_followers_are_paged(client: WeChatClient, wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.user_page_size = 2
    page = client.user.get_followers()
    assert page["count"] == 2
    assert page["total"] == 5
    everyone = list(client.user.iter_followers())
    assert everyone == [f"o-demo-follower-{n}" for n in range(1, 6)]
    assert wechat_emulator.count("cgi-bin/user/get") >= 4


def test_user_update_remark(client: WeChatClient) -> None:
    client.user.update_remark(FOLLOWER, "老客户")
    assert client.user.get(FOLLOWER)["remark"] == "老客户"


# --- tag --------------------------------------------------------------------------------


def test_tags(client: WeChatClient, wechat_emulator: WeChatEmulator) -> None:
    tag = client.tag.create("北京")
    assert tag["name"] == "北京"
    tag_id = tag["id"]
    assert any(t["id"] == tag_id for t in client.tag.get())
    client.tag.update(tag_id, "上海")
    assert {t["id"]: t["name"] for t in client.tag.get()}[tag_id] == "上海"
    client.tag.tag_user(tag_id, FOLLOWER)
    client.tag.tag_user(tag_id, ["o-demo-follower-2", "o-demo-follower-3"])
    assert tag_id in client.tag.get_user_tag(FOLLOWER)
    assert sorted(client.tag.iter_tag_users(tag_id)) == [
        FOLLOWER,
        "o-demo-follower-2",
        "o-demo-follower-3",
    ]
    client.tag.untag_user(tag_id, FOLLOWER)
    assert tag_id not in client.tag.get_user_tag(FOLLOWER)
    client.tag.delete(tag_id)
    assert all(t["id"] != tag_id for t in client.tag.get())


# --- message ----------------------------------------------------------------------------


def test_custom_messages(client: WeChatClient, wechat_emulator: WeChatEmulator) -> None:
    image = client.media.upload("image", PNG, filename="a.png")["media_id"]
    thumb = client.media.upload("thumb", b"\xff\xd8\xff" + b"\0" * 32, filename="t.jpg")[
        "thumb_media_id"
    ]
    client.message.send_text(FOLLOWER, "你好，世界")
    client.message.send_image(FOLLOWER, image)
    client.message.send_voice(FOLLOWER, image)
    client.message.send_video(
        FOLLOWER, image, title="视频", description="说明", thumb_media_id=thumb
    )
    client.message.send_music(FOLLOWER, "https://m/1.mp3", "https://m/1hq.mp3", thumb, title="歌")
    client.message.send_articles(
        FOLLOWER,
        [{"title": "标题", "description": "描述", "url": "https://a/", "image": "https://p"}],
    )
    client.message.send_mini_program_page(
        FOLLOWER,
        {"title": "小程序", "appid": "wxabc", "pagepath": "pages/index", "thumb_media_id": thumb},
    )
    sent = wechat_emulator.sent_messages(FOLLOWER)
    assert [m["msgtype"] for m in sent] == [
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
        "miniprogrampage",
    ]
    assert sent[0]["text"]["content"] == "你好，世界"
    assert sent[3]["video"]["title"] == "视频"
    assert sent[5]["news"]["articles"][0]["picurl"] == "https://p"


def test_custom_message_as_a_kf_account(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    client.message.send_text(FOLLOWER, "hi", account="kf2001@gh_test")
    (call,) = wechat_emulator.calls("cgi-bin/message/custom/send")
    assert call.body["customservice"] == {"kf_account": "kf2001@gh_test"}


def test_custom_message_outside_the_48_hour_window(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    wechat_emulator.clock.advance(49 * 3600)
    client.get_access_token(refresh=True)  # the old token expired with the clock
    with pytest.raises(APIError) as excinfo:
        client.message.send_text(FOLLOWER, "迟到的消息")
    assert excinfo.value.errcode == 45015


def test_a_message_is_not_sent_twice_after_a_read_timeout(wechat_emulator: WeChatEmulator) -> None:
    client = WeChatClient("default", timeout=0.4, retry=RetryPolicy(backoff=0.01))
    client.access_token  # noqa: B018
    wechat_emulator.fail("delay", api="cgi-bin/message/custom/send", delay=0.8)
    with pytest.raises(TransportError):
        client.message.send_text(FOLLOWER, "只一次")
    settle(wechat_emulator, "cgi-bin/message/custom/send")
    assert wechat_emulator.count("cgi-bin/message/custom/send") == 1
    assert [m["text"]["content"] for m in wechat_emulator.sent_messages(FOLLOWER)] == ["只一次"]


# --- template ---------------------------------------------------------------------------


def test_templates(client: WeChatClient, wechat_emulator: WeChatEmulator) -> None:
    client.template.set_industry(1, 4)
    industry = client.template.get_industry()
    assert industry["primary_industry"]
    template_id = client.template.get("TM00015")
    listed = client.template.get_all_private_template()["template_list"]
    assert template_id in [t["template_id"] for t in listed]
    result = client.message.send_template(
        FOLLOWER,
        template_id,
        {
            "character_string1": {"value": "20240501123456"},
            "amount2": "99.00元",
            "thing3": "年度会员",
        },
        url="https://shop.example.com/orders/1",
    )
    assert result["msgid"]
    (sent,) = [m for m in wechat_emulator.sent_messages(FOLLOWER) if m["kind"] == "template"]
    assert sent["data"]["amount2"] == {"value": "99.00元"}
    client.template.del_private_template(template_id)
    listed = client.template.get_all_private_template()["template_list"]
    assert template_id not in [t["template_id"] for t in listed]


# --- media ------------------------------------------------------------------------------


def test_media_upload_and_download(client: WeChatClient, tmp_path: Any) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(PNG)
    with path.open("rb") as fh:
        uploaded = client.media.upload("image", fh)
    assert uploaded["type"] == "image"
    response = client.media.download(uploaded["media_id"])
    assert response.content == PNG
    with pytest.raises(APIError) as excinfo:
        client.media.download("no-such-media")
    assert excinfo.value.errcode == 40007
    with pytest.raises(ValueError):
        client.media.upload("movie", PNG)


# --- qrcode -----------------------------------------------------------------------------


def test_qrcode_create_and_image(client: WeChatClient) -> None:
    result = client.qrcode.create(
        {
            "expire_seconds": 604800,
            "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": "促销"}},
        }
    )
    assert result["ticket"]
    url = client.qrcode.get_url(result)
    assert url.startswith(client.api_base_url + "/cgi-bin/showqrcode?ticket=")
    image = requests.get(url, timeout=5)
    assert image.status_code == 200
    assert image.headers["Content-Type"].startswith("image/")


def test_qrcode_url_on_wechat(client: WeChatClient) -> None:
    real = WeChatClient("default", api_base_url="https://api.weixin.qq.com")
    assert real.qrcode.get_url("gQH47joAAAAAAAAAASxo/dA==") == (
        "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxo%2FdA%3D%3D"
    )


# --- jsapi ------------------------------------------------------------------------------


def test_jsapi_signature_official_vector() -> None:
    # JS-SDK 说明文档 附录1 (PROTOCOL.md B8).
    assert (
        jsapi_signature(
            "Wm3WZYTPz0wzccnW",
            "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
            1414587457,
            "http://mp.weixin.qq.com?params=value",
        )
        == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    )


def test_jsapi_config(client: WeChatClient) -> None:
    config = client.jsapi.get_jsapi_config(
        "https://shop.example.com/p?id=1#section", ["chooseImage", "scanQRCode"]
    )
    assert config["appId"] == client.account.app_id
    assert config["jsApiList"] == ["chooseImage", "scanQRCode"]
    ticket = client.jsapi.get_jsapi_ticket()
    plain = (
        f"jsapi_ticket={ticket}&noncestr={config['nonceStr']}"
        f"&timestamp={config['timestamp']}&url=https://shop.example.com/p?id=1"
    )
    assert config["signature"] == hashlib.sha1(plain.encode()).hexdigest()
    assert (
        client.jsapi.get_jsapi_signature(
            config["nonceStr"], ticket, config["timestamp"], "https://shop.example.com/p?id=1"
        )
        == config["signature"]
    )


# --- oauth and mini programs ------------------------------------------------------------


def test_oauth_authorize_exchange_userinfo_refresh(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    url = client.oauth.authorize_url("https://shop.example.com/cb", "snsapi_userinfo", "xyz")
    assert url.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(url).query)
    assert query["appid"] == [client.account.app_id]
    assert query["scope"] == ["snsapi_userinfo"]
    wechat_emulator.oauth_auto_approve = FOLLOWER
    wechat_emulator.state().oauth_domains.add("shop.example.com")  # 网页授权域名
    answer = requests.get(url.split("#")[0], allow_redirects=False, timeout=5)
    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert back["state"] == ["xyz"]
    tokens = client.oauth.fetch_access_token(back["code"][0])
    assert tokens["openid"] == FOLLOWER
    info = client.oauth.get_user_info(FOLLOWER, tokens["access_token"])
    assert info["openid"] == FOLLOWER
    assert client.oauth.check_access_token(FOLLOWER, tokens["access_token"])
    refreshed = client.oauth.refresh_access_token(tokens["refresh_token"])
    assert refreshed["access_token"]
    # A code is single use.
    with pytest.raises(APIError) as excinfo:
        client.oauth.fetch_access_token(back["code"][0])
    assert client.account.app_secret not in str(excinfo.value)
    assert not client.oauth.check_access_token(FOLLOWER, "not-a-token")
    # The follower's tokens never replaced the account's.
    assert wechat_emulator.count("cgi-bin/token") == 0


def test_oauth_rejects_unknown_scope(client: WeChatClient) -> None:
    with pytest.raises(ValueError):
        client.oauth.authorize_url("https://a/cb", "snsapi_everything")


def test_miniprogram_code_to_session(client: WeChatClient, wechat_emulator: WeChatEmulator) -> None:
    code = wechat_emulator.js_code(FOLLOWER)
    session = client.miniprogram.code_to_session(code)
    assert session["openid"] == FOLLOWER
    assert session["session_key"]
    with pytest.raises(APIError):
        client.miniprogram.jscode2session(code)
