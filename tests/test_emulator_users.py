"""Followers and tags in the emulator."""

from __future__ import annotations

import pytest

from django_wechat.testing.emulator import WeChatEmulator

from .emulator_support import errcode, fetch_token, get, post


@pytest.fixture
def token(wechat_emulator: WeChatEmulator) -> str:
    return fetch_token(wechat_emulator)


def test_user_info(wechat_emulator: WeChatEmulator, token: str) -> None:
    info = get(wechat_emulator, "cgi-bin/user/info", token, openid="o-demo-follower-1")
    assert info["subscribe"] == 1
    assert info["openid"] == "o-demo-follower-1"
    assert info["tagid_list"] == []
    # Since 2021-12 WeChat no longer gives nicknames here.
    assert "nickname" not in info
    assert errcode(get(wechat_emulator, "cgi-bin/user/info", token, openid="o-nobody")) == 40003
    assert errcode(get(wechat_emulator, "cgi-bin/user/info", token)) == 41009


def test_user_info_batchget(wechat_emulator: WeChatEmulator, token: str) -> None:
    api = "cgi-bin/user/info/batchget"
    users = [{"openid": f"o-demo-follower-{n}", "lang": "zh_CN"} for n in (1, 2)]
    answer = post(wechat_emulator, api, token, {"user_list": users})
    assert [u["openid"] for u in answer["user_info_list"]] == [
        "o-demo-follower-1",
        "o-demo-follower-2",
    ]
    assert errcode(post(wechat_emulator, api, token, {"user_list": []})) == 40032
    too_many = [{"openid": "o-demo-follower-1"}] * 101
    assert errcode(post(wechat_emulator, api, token, {"user_list": too_many})) == 40032
    unknown = [{"openid": "o-nobody"}]
    assert errcode(post(wechat_emulator, api, token, {"user_list": unknown})) == 40003


def test_user_get_pages_with_next_openid(wechat_emulator: WeChatEmulator, token: str) -> None:
    wechat_emulator.user_page_size = 2
    seen: list[str] = []
    next_openid = ""
    pages = 0
    while True:
        page = get(wechat_emulator, "cgi-bin/user/get", token, next_openid=next_openid)
        assert page["total"] == 5
        pages += 1
        if page["count"] == 0:
            assert page["next_openid"] == ""
            assert "data" not in page
            break
        seen += page["data"]["openid"]
        assert page["next_openid"] == page["data"]["openid"][-1]
        next_openid = page["next_openid"]
    assert seen == [f"o-demo-follower-{n}" for n in range(1, 6)]
    assert pages == 4  # 2 + 2 + 1, then the empty page
    bad = get(wechat_emulator, "cgi-bin/user/get", token, next_openid="o-nobody")
    assert errcode(bad) == 40003


def test_tags_lifecycle(wechat_emulator: WeChatEmulator, token: str) -> None:
    created = post(wechat_emulator, "cgi-bin/tags/create", token, {"tag": {"name": "广东"}})
    tag_id = created["tag"]["id"]
    assert created["tag"] == {"id": tag_id, "name": "广东"}
    assert tag_id >= 100

    members = {"openid_list": ["o-demo-follower-1", "o-demo-follower-2"], "tagid": tag_id}
    assert (
        post(wechat_emulator, "cgi-bin/tags/members/batchtagging", token, members)["errcode"] == 0
    )
    tags = get(wechat_emulator, "cgi-bin/tags/get", token)["tags"]
    assert {"id": tag_id, "name": "广东", "count": 2} in tags
    assert {"id": 2, "name": "星标组", "count": 0} in tags
    idlist = post(wechat_emulator, "cgi-bin/tags/getidlist", token, {"openid": "o-demo-follower-1"})
    assert idlist["tagid_list"] == [tag_id]
    tagged = post(wechat_emulator, "cgi-bin/user/tag/get", token, {"tagid": tag_id})
    assert tagged["data"]["openid"] == ["o-demo-follower-1", "o-demo-follower-2"]
    info = get(wechat_emulator, "cgi-bin/user/info", token, openid="o-demo-follower-2")
    assert info["tagid_list"] == [tag_id]

    untag = {"openid_list": ["o-demo-follower-1"], "tagid": tag_id}
    assert (
        post(wechat_emulator, "cgi-bin/tags/members/batchuntagging", token, untag)["errcode"] == 0
    )
    rename = {"tag": {"id": tag_id, "name": "广州"}}
    assert post(wechat_emulator, "cgi-bin/tags/update", token, rename)["errcode"] == 0
    assert {"id": tag_id, "name": "广州", "count": 1} in get(
        wechat_emulator, "cgi-bin/tags/get", token
    )["tags"]

    assert (
        post(wechat_emulator, "cgi-bin/tags/delete", token, {"tag": {"id": tag_id}})["errcode"] == 0
    )
    info = get(wechat_emulator, "cgi-bin/user/info", token, openid="o-demo-follower-2")
    assert info["tagid_list"] == []


def test_tag_rules(wechat_emulator: WeChatEmulator, token: str) -> None:
    def create(name: object) -> int:
        return errcode(post(wechat_emulator, "cgi-bin/tags/create", token, {"tag": {"name": name}}))

    assert create("星标组") == 45157  # duplicate of the system tag
    assert create("") == 45157
    assert create("标" * 11) == 45158  # 33 bytes > 30
    assert create("标" * 10) == 0
    for n in range(99):
        assert create(f"tag{n}") == 0
    assert create("one too many") == 45056

    star = {"tag": {"id": 2, "name": "x"}}
    assert errcode(post(wechat_emulator, "cgi-bin/tags/update", token, star)) == 45058
    assert errcode(post(wechat_emulator, "cgi-bin/tags/delete", token, {"tag": {"id": 2}})) == 45058
    missing = {"tag": {"id": 99999, "name": "x"}}
    assert errcode(post(wechat_emulator, "cgi-bin/tags/update", token, missing)) == 45159
    batch = {"openid_list": [f"o-{n}" for n in range(51)], "tagid": 2}
    assert (
        errcode(post(wechat_emulator, "cgi-bin/tags/members/batchtagging", token, batch)) == 40032
    )
    stranger = {"openid_list": ["o-nobody"], "tagid": 2}
    assert (
        errcode(post(wechat_emulator, "cgi-bin/tags/members/batchtagging", token, stranger))
        == 40003
    )


def test_a_follower_has_at_most_20_tags(wechat_emulator: WeChatEmulator, token: str) -> None:
    ids = [
        post(wechat_emulator, "cgi-bin/tags/create", token, {"tag": {"name": f"t{n}"}})["tag"]["id"]
        for n in range(21)
    ]
    for tag_id in ids[:19]:
        body = {"openid_list": ["o-demo-follower-1"], "tagid": tag_id}
        assert errcode(post(wechat_emulator, "cgi-bin/tags/members/batchtagging", token, body)) == 0
    star = {"openid_list": ["o-demo-follower-1"], "tagid": 2}
    assert errcode(post(wechat_emulator, "cgi-bin/tags/members/batchtagging", token, star)) == 0
    last = {"openid_list": ["o-demo-follower-1"], "tagid": ids[20]}
    assert errcode(post(wechat_emulator, "cgi-bin/tags/members/batchtagging", token, last)) == 45059


def test_updateremark(wechat_emulator: WeChatEmulator, token: str) -> None:
    api = "cgi-bin/user/info/updateremark"
    body = {"openid": "o-demo-follower-1", "remark": "老客户"}
    assert post(wechat_emulator, api, token, body)["errcode"] == 0
    info = get(wechat_emulator, "cgi-bin/user/info", token, openid="o-demo-follower-1")
    assert info["remark"] == "老客户"
    too_long = {"openid": "o-demo-follower-1", "remark": "长" * 30}
    assert errcode(post(wechat_emulator, api, token, too_long)) == 45008
    assert errcode(post(wechat_emulator, api, token, {"openid": "o-x", "remark": "a"})) == 40003
