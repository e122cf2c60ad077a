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


# --- conditional menus, trymatch, get_current_selfmenu_info --------------------------------

ADD = "cgi-bin/menu/addconditional"
DEL = "cgi-bin/menu/delconditional"
TRYMATCH = "cgi-bin/menu/trymatch"
DEFAULT = [click("默认菜单", "DEFAULT")]


def new_tag(emulator: WeChatEmulator, token: str, name: str, *openids: str) -> int:
    tag_id = int(post(emulator, "cgi-bin/tags/create", token, {"tag": {"name": name}})["tag"]["id"])
    if openids:
        body = {"openid_list": list(openids), "tagid": tag_id}
        assert errcode(post(emulator, "cgi-bin/tags/members/batchtagging", token, body)) == 0
    return tag_id


def add(emulator: WeChatEmulator, token: str, buttons: Any, rule: Any) -> Any:
    return post(emulator, ADD, token, {"button": buttons, "matchrule": rule})


def seen_by(emulator: WeChatEmulator, token: str, openid: str) -> list[str]:
    answer = post(emulator, TRYMATCH, token, {"user_id": openid})
    return [b["name"] for b in answer["button"]]


def test_a_conditional_menu_needs_a_default_menu(
    wechat_emulator: WeChatEmulator, token: str
) -> None:
    tag_id = new_tag(wechat_emulator, token, "会员")
    assert errcode(add(wechat_emulator, token, [click()], {"tag_id": str(tag_id)})) == 65303
    assert wechat_emulator.state().conditional_menus == []


def test_conditional_menu_lifecycle(wechat_emulator: WeChatEmulator, token: str) -> None:
    assert create(wechat_emulator, token, DEFAULT) == 0
    vip = new_tag(wechat_emulator, token, "会员", "o-demo-follower-1")
    answer = add(wechat_emulator, token, [click("会员专区", "VIP")], {"tag_id": str(vip)})
    menu_id = answer["menuid"]
    assert isinstance(menu_id, str)
    assert menu_id.isdigit()

    menus = get(wechat_emulator, "cgi-bin/menu/get", token)
    assert menus["menu"]["button"][0]["name"] == "默认菜单"
    assert isinstance(menus["menu"]["menuid"], int)
    (conditional,) = menus["conditionalmenu"]
    assert conditional["menuid"] == int(menu_id)
    assert conditional["matchrule"] == {"tag_id": str(vip)}
    assert conditional["button"] == [{**click("会员专区", "VIP"), "sub_button": []}]

    assert seen_by(wechat_emulator, token, "o-demo-follower-1") == ["会员专区"]
    assert seen_by(wechat_emulator, token, "o-demo-follower-2") == ["默认菜单"]

    assert errcode(post(wechat_emulator, DEL, token, {"menuid": menu_id})) == 0
    assert seen_by(wechat_emulator, token, "o-demo-follower-1") == ["默认菜单"]
    assert "conditionalmenu" not in get(wechat_emulator, "cgi-bin/menu/get", token)
    assert errcode(post(wechat_emulator, DEL, token, {"menuid": menu_id})) == 65301
    assert errcode(post(wechat_emulator, DEL, token, {"menuid": "not-a-number"})) == 65301


def test_newest_matching_menu_wins_and_the_last_tag_counts(
    wechat_emulator: WeChatEmulator, token: str
) -> None:
    assert create(wechat_emulator, token, DEFAULT) == 0
    gold = new_tag(wechat_emulator, token, "金卡", "o-demo-follower-1", "o-demo-follower-2")
    silver = new_tag(wechat_emulator, token, "银卡", "o-demo-follower-1")
    # follower 1 was tagged 金卡 then 银卡, follower 2 only 金卡.
    add(wechat_emulator, token, [click("金卡菜单", "GOLD")], {"tag_id": gold})
    add(wechat_emulator, token, [click("银卡菜单", "SILVER")], {"tag_id": silver})
    assert seen_by(wechat_emulator, token, "o-demo-follower-1") == ["银卡菜单"]
    assert seen_by(wechat_emulator, token, "o-demo-follower-2") == ["金卡菜单"]

    # Tagged 金卡 again last: WeChat matches a follower with several tags by the last one.
    body = {"openid_list": ["o-demo-follower-1"], "tagid": gold}
    post(wechat_emulator, "cgi-bin/tags/members/batchuntagging", token, body)
    post(wechat_emulator, "cgi-bin/tags/members/batchtagging", token, body)
    assert seen_by(wechat_emulator, token, "o-demo-follower-1") == ["金卡菜单"]

    # Newest first: an iOS-only menu added now beats the tag menus for iOS followers
    # (demo followers with odd numbers use iOS, even ones Android).
    add(wechat_emulator, token, [click("苹果用户", "IOS")], {"client_platform_type": "1"})
    assert seen_by(wechat_emulator, token, "o-demo-follower-1") == ["苹果用户"]
    assert seen_by(wechat_emulator, token, "o-demo-follower-2") == ["金卡菜单"]
    assert seen_by(wechat_emulator, token, "o-demo-follower-4") == ["默认菜单"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"button": [click()]}, 65304),
        ({"button": [click()], "matchrule": {}}, 65304),
        ({"button": [click()], "matchrule": {"tag_id": "", "unknown": "x"}}, 65304),
        ({"button": [click()], "matchrule": "tag_id=2"}, 47001),
        # Since WeChat's privacy adjustment, no rule on sex, region or language.
        ({"button": [click()], "matchrule": {"sex": "1"}}, 65320),
        ({"button": [click()], "matchrule": {"country": "中国", "province": "广东"}}, 65320),
        ({"button": [click()], "matchrule": {"tag_id": "2", "language": "zh_CN"}}, 65320),
        ({"button": [click()], "matchrule": {"tag_id": "999"}}, 45159),
        ({"button": [click()], "matchrule": {"tag_id": "星标组"}}, 45159),
        ({"button": [click()], "matchrule": {"client_platform_type": "4"}}, 40097),
        ({"matchrule": {"tag_id": "2"}}, 65307),
        ({"button": [], "matchrule": {"tag_id": "2"}}, 65307),
        ({"button": [click(key=f"K{i}") for i in range(4)], "matchrule": {"tag_id": "2"}}, 40016),
        ({"button": [click(name="一二三四五六")], "matchrule": {"tag_id": "2"}}, 40018),
        ({"button": [view(url="ftp://x/")], "matchrule": {"tag_id": "2"}}, 40055),
        ({"button": [click()], "matchrule": {"tag_id": 2, "client_platform_type": 3}}, 0),
    ],
)
def test_conditional_menu_limits(
    wechat_emulator: WeChatEmulator, token: str, body: Any, expected: int
) -> None:
    assert create(wechat_emulator, token, DEFAULT) == 0
    answer = post(wechat_emulator, ADD, token, body)
    assert errcode(answer) == expected
    assert len(wechat_emulator.state().conditional_menus) == (1 if expected == 0 else 0)


def test_conditional_menus_link_to_at_most_three_domains(
    wechat_emulator: WeChatEmulator, token: str
) -> None:
    assert create(wechat_emulator, token, DEFAULT) == 0
    rule = {"tag_id": "2"}
    two = [view("甲", "https://a.example.com/1"), view("乙", "https://b.example.com/")]
    assert errcode(add(wechat_emulator, token, two, rule)) == 0
    third = [{"name": "更多", "sub_button": [view("丙", "https://c.example.com/")]}]
    assert errcode(add(wechat_emulator, token, third, rule)) == 0
    same = [view("甲二", "https://a.example.com/2")]
    assert errcode(add(wechat_emulator, token, same, rule)) == 0
    fourth = [view("丁", "https://d.example.com/")]
    assert errcode(add(wechat_emulator, token, fourth, rule)) == 65316
    assert len(wechat_emulator.state().conditional_menus) == 3


def test_menu_delete_removes_the_conditional_menus(
    wechat_emulator: WeChatEmulator, token: str
) -> None:
    assert create(wechat_emulator, token, DEFAULT) == 0
    add(wechat_emulator, token, [click("星标", "STAR")], {"tag_id": "2"})
    # A new default menu leaves them.
    assert create(wechat_emulator, token, [click("新默认", "NEW")]) == 0
    assert len(get(wechat_emulator, "cgi-bin/menu/get", token)["conditionalmenu"]) == 1
    assert get(wechat_emulator, "cgi-bin/menu/delete", token)["errcode"] == 0
    assert wechat_emulator.state().conditional_menus == []
    assert create(wechat_emulator, token, DEFAULT) == 0
    assert "conditionalmenu" not in get(wechat_emulator, "cgi-bin/menu/get", token)


def test_trymatch_errors(wechat_emulator: WeChatEmulator, token: str) -> None:
    assert errcode(post(wechat_emulator, TRYMATCH, token, {"user_id": "o-demo-follower-1"})) == (
        46003
    )
    assert create(wechat_emulator, token, DEFAULT) == 0
    assert errcode(post(wechat_emulator, TRYMATCH, token, {"user_id": "o-nobody"})) == 65302
    assert errcode(post(wechat_emulator, TRYMATCH, token, {"user_id": 42})) == 65302
    assert errcode(post(wechat_emulator, TRYMATCH, token, {})) == 65302
    assert seen_by(wechat_emulator, token, "o-demo-follower-3") == ["默认菜单"]


def test_current_selfmenu_info(wechat_emulator: WeChatEmulator, token: str) -> None:
    info = get(wechat_emulator, "cgi-bin/get_current_selfmenu_info", token)
    assert info == {"is_menu_open": 0, "selfmenu_info": {"button": []}}
    menu = [click(), {"name": "菜单", "sub_button": [view(), click("赞", "V1001_GOOD")]}]
    assert create(wechat_emulator, token, menu) == 0
    info = get(wechat_emulator, "cgi-bin/get_current_selfmenu_info", token)
    assert info["is_menu_open"] == 1
    assert info["selfmenu_info"]["button"] == [
        click(),
        {"name": "菜单", "sub_button": {"list": [view(), click("赞", "V1001_GOOD")]}},
    ]
