"""menu_rules: WeChat's limits in UTF-8 bytes, each type's required fields, each error on its
field with the byte count, in English and in Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from django_wechat.menu_rules import (
    BUTTON_TYPES,
    InvalidMenu,
    button_problems,
    check_menu,
    matchrule_problems,
    menu_problems,
)

FIELD_VALUES = {
    "key": "V1001",
    "url": "https://example.com/",
    "media_id": "MEDIA_ID1",
    "appid": "wx286b93c14bbf93aa",
    "pagepath": "pages/index",
    "article_id": "ARTICLE_ID1",
}


def button(kind: str, **extra: Any) -> dict[str, Any]:
    body = {"type": kind, "name": "按钮", **{f: FIELD_VALUES[f] for f in BUTTON_TYPES[kind]}}
    body.update(extra)
    return body


def test_thirteen_types() -> None:
    assert len(BUTTON_TYPES) == 13


@pytest.mark.parametrize("kind", list(BUTTON_TYPES))
def test_each_type_with_its_fields_passes(kind: str) -> None:
    assert button_problems(button(kind), top=True, has_sub_buttons=False) == {}
    assert menu_problems({"button": [button(kind)]}) == []


@pytest.mark.parametrize(
    ("kind", "field"), [(k, f) for k, fields in BUTTON_TYPES.items() for f in fields]
)
def test_each_required_field_is_required(kind: str, field: str) -> None:
    body = button(kind)
    del body[field]
    problems = button_problems(body, top=True, has_sub_buttons=False)
    assert problems == {field: f"A {kind} button needs {field}."}
    (problem,) = menu_problems({"button": [body]})
    assert (problem.where, problem.field) == ("button 1", field)


@pytest.mark.parametrize(("top", "limit"), [(True, 16), (False, 60)], ids=["button", "sub-button"])
def test_name_limits_in_bytes_at_the_edge(top: bool, limit: int) -> None:
    fits_ascii = "a" * limit
    over_ascii = "a" * (limit + 1)
    # Chinese: 3 bytes a character; limit // 3 characters fit, one more does not.
    fits_chinese = "歌" * (limit // 3)
    over_chinese = "歌" * (limit // 3 + 1)
    for name in (fits_ascii, fits_chinese):
        assert "name" not in button_problems(
            button("click", name=name), top=top, has_sub_buttons=False
        )
    for name, size in ((over_ascii, limit + 1), (over_chinese, 3 * (limit // 3 + 1))):
        problems = button_problems(button("click", name=name), top=top, has_sub_buttons=False)
        assert problems["name"] == f"'{name}' is {size} bytes; at most {limit}"


def test_the_issue_example() -> None:
    problems = button_problems(
        button("click", name="每日推荐歌曲列表"), top=True, has_sub_buttons=False
    )
    assert problems == {"name": "'每日推荐歌曲列表' is 24 bytes; at most 16"}
    with translation.override("zh-hans"):
        problems = button_problems(
            button("click", name="每日推荐歌曲列表"), top=True, has_sub_buttons=False
        )
    assert problems == {"name": "“每日推荐歌曲列表”有 24 个字节；最多 16 个"}


@pytest.mark.parametrize(("field", "limit"), [("key", 128), ("url", 1024)])
def test_key_and_url_limits_at_the_edge(field: str, limit: int) -> None:
    kind = "click" if field == "key" else "view"
    prefix = "" if field == "key" else "https://example.com/"
    fits = prefix + "k" * (limit - len(prefix))
    over = fits + "k"
    assert button_problems(button(kind, **{field: fits}), top=False, has_sub_buttons=False) == {}
    problems = button_problems(button(kind, **{field: over}), top=False, has_sub_buttons=False)
    assert problems == {field: f"'{over}' is {limit + 1} bytes; at most {limit}"}
    # In Chinese the same limit is a third as many characters.
    chinese = prefix + "键" * ((limit - len(prefix)) // 3 + 1)
    problems = button_problems(button(kind, **{field: chinese}), top=False, has_sub_buttons=False)
    assert f"is {len(chinese.encode())} bytes; at most {limit}" in problems[field]


def test_url_must_be_http() -> None:
    problems = button_problems(button("view", url="ftp://x"), top=True, has_sub_buttons=False)
    assert problems == {"url": "'ftp://x' is not an http:// or https:// address."}


def test_button_counts() -> None:
    assert menu_problems({"button": [button("click")] * 3}) == []
    (problem,) = menu_problems({"button": [button("click")] * 4})
    assert str(problem) == "button: A menu has 1 to 3 buttons; this one has 4."
    (problem,) = menu_problems({"button": []})
    assert problem.message == "A menu has 1 to 3 buttons; this one has 0."
    ok = {"name": "更多", "sub_button": [button("click")] * 5}
    assert menu_problems({"button": [ok]}) == []
    (problem,) = menu_problems({"button": [{"name": "更多", "sub_button": [button("click")] * 6}]})
    assert (problem.where, problem.field) == ("button 1", "sub_button")
    assert problem.message == "A button has 1 to 5 sub-buttons; this one has 6."


def test_a_button_with_sub_buttons_has_no_type() -> None:
    menu = {"button": [{**button("click"), "sub_button": [button("view")]}]}
    (problem,) = menu_problems(menu)
    assert problem.field == "type"
    assert "has no type" in problem.message


def test_problems_name_their_place() -> None:
    menu = {
        "button": [
            button("click"),
            {"name": "更多", "sub_button": [button("view"), button("view", name="x" * 61)]},
        ]
    }
    with pytest.raises(InvalidMenu) as caught:
        check_menu(menu)
    assert str(caught.value) == (
        f"button 2 › sub-button 2 › name: '{'x' * 61}' is 61 bytes; at most 60"
    )


def test_unknown_type_and_missing_type() -> None:
    assert (
        "not a WeChat button type"
        in button_problems({"name": "x", "type": "text"}, top=True, has_sub_buttons=False)["type"]
    )
    assert button_problems({"name": "x"}, top=False, has_sub_buttons=False) == {
        "type": "Choose a type."
    }
    assert button_problems({"name": ""}, top=False, has_sub_buttons=True) == {
        "name": "Give the button a name."
    }


def test_matchrules() -> None:
    assert matchrule_problems({"tag_id": "100"}) == {}
    assert matchrule_problems({"client_platform_type": "2"}) == {}
    assert matchrule_problems({"group_id": "100"}) == {}
    assert "matchrule" in matchrule_problems({})
    assert "sex" in matchrule_problems({"sex": "1"})["matchrule"]
    assert "client_platform_type" in matchrule_problems({"client_platform_type": "4"})
    assert "tag_id" in matchrule_problems({"tag_id": "abc"})
    (problem,) = menu_problems({"button": [button("click")], "matchrule": {}})
    assert problem.where == "matchrule"


def test_not_json_objects() -> None:
    assert [p.field for p in menu_problems([])] == ["button"]
    assert [p.field for p in menu_problems({"button": "x"})] == ["button"]
    assert [p.message for p in menu_problems({"button": ["x"]})] == ["A button is a JSON object."]
