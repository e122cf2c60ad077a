"""Custom menus in the emulator: create with every WeChat limit, get, delete, 46003."""

from __future__ import annotations

from typing import Any

import pytest

from django_wechat.testing.emulator import WeChatEmulator

from .emulator_support import errcode, fetch_token, get, post

CREATE = "cgi-bin/menu/create"


def click(name: str = "今日歌曲", key: str = "V1001_TODAY_MUSIC") -> dict[str, Any]:
    return {"type": "click", "name": name, "key": key}


def view(name: str = "搜索", url: str = "https://www.example.com/") -> dict[str, Any]:
    return {"type": "view", "name": name, "url": url}


@pytest.fixture
def token(wechat_emulator: WeChatEmulator) -> str:
    return fetch_token(wechat_emulator)


def create(emulator: WeChatEmulator, token: str, buttons: Any) -> int:
    return errcode(post(emulator, CREATE, token, {"button": buttons}))


def test_create_get_delete(wechat_emulator: WeChatEmulator, token: str) -> None:
    assert errcode(get(wechat_emulator, "cgi-bin/menu/get", token)) == 46003
    menu = [
        click(),
        {
            "name": "菜单",
            "sub_button": [
                view(),
                {
                    "type": "miniprogram",
                    "name": "小程序",
                    "url": "https://example.com/",
                    "appid": "wx286b93c14bbf93aa",
                    "pagepath": "pages/lunar/index",
                },
                {"type": "scancode_push", "name": "扫码推事件", "key": "rselfmenu_0_1"},
                {"type": "media_id", "name": "图片", "media_id": "MEDIA_ID1"},
                {"type": "article_id", "name": "文章", "article_id": "ARTICLE_ID1"},
            ],
        },
        {"type": "location_select", "name": "发送位置", "key": "rselfmenu_2_0"},
    ]
    assert create(wechat_emulator, token, menu) == 0
    answer = get(wechat_emulator, "cgi-bin/menu/get", token)
    buttons = answer["menu"]["button"]
    assert [b["name"] for b in buttons] == ["今日歌曲", "菜单", "发送位置"]
    assert buttons[0] == {**click(), "sub_button": []}
    assert buttons[1]["sub_button"][1]["pagepath"] == "pages/lunar/index"
    assert post(wechat_emulator, "cgi-bin/menu/get", token, {})["errcode"] == 43001

    assert get(wechat_emulator, "cgi-bin/menu/delete", token)["errcode"] == 0
    assert errcode(get(wechat_emulator, "cgi-bin/menu/get", token)) == 46003


@pytest.mark.parametrize(
    ("buttons", "expected"),
    [
        ([], 40016),
        ([click(key=f"K{i}") for i in range(4)], 40016),
        ("not a list", 40016),
        ([{"type": "tap", "name": "x", "key": "k"}], 40017),
        ([{"name": "无类型"}], 40017),
        ([click(name="")], 40018),
        ([click(name="一二三四五六")], 40018),  # 18 bytes > 16
        ([click(name="a" * 16)], 0),
        ([click(name="一二三四五")], 0),  # 15 bytes
        ([click(key="")], 40019),
        ([click(key="k" * 129)], 40019),
        ([click(key="k" * 128)], 0),
        ([view(url="javascript:alert(1)")], 40055),
        ([view(url="https://example.com/" + "a" * 1010)], 40020),
        ([{"name": "父", "sub_button": [click(key=f"S{i}") for i in range(6)]}], 40023),
        ([{"name": "父", "sub_button": [click(key=f"S{i}") for i in range(5)]}], 0),
        ([{"name": "父", "sub_button": [{"type": "bogus", "name": "x"}]}], 40024),
        ([{"name": "父", "sub_button": [click(name="中" * 21)]}], 40025),  # 63 bytes
        ([{"name": "父", "sub_button": [click(name="中" * 20)]}], 0),  # 60 bytes
        ([{"name": "父", "sub_button": [click(key="k" * 129)]}], 40026),
        ([{"name": "父", "sub_button": [view(url="https://e.com/" + "a" * 1011)]}], 40027),
        ([{"name": "父", "sub_button": [view(url="ftp://example.com/")]}], 40054),
        ([{"type": "miniprogram", "name": "小程序", "url": "https://example.com/"}], 40097),
        ([{"type": "media_id", "name": "图片"}], 40097),
    ],
)
def test_menu_limits(
    wechat_emulator: WeChatEmulator, token: str, buttons: Any, expected: int
) -> None:
    assert create(wechat_emulator, token, buttons) == expected


def test_refused_menu_leaves_the_old_one(wechat_emulator: WeChatEmulator, token: str) -> None:
    assert create(wechat_emulator, token, [click()]) == 0
    assert create(wechat_emulator, token, [click(name="")]) == 40018
    answer = get(wechat_emulator, "cgi-bin/menu/get", token)
    assert answer["menu"]["button"][0]["name"] == "今日歌曲"


def test_body_must_be_json(wechat_emulator: WeChatEmulator, token: str) -> None:
    import requests

    answer = requests.post(
        f"{wechat_emulator.url}/{CREATE}", params={"access_token": token}, data="[1]", timeout=5
    ).json()
    assert answer["errcode"] == 47001
