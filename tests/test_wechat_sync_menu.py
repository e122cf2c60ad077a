"""``manage.py wechat_sync_menu`` against the emulator over loopback HTTP: every option, a
console-made menu, conditional menus, refusals, and the round trip through the database."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_wechat import get_client
from django_wechat.exceptions import APIError
from django_wechat.menu_rules import BUTTON_TYPES
from django_wechat.models import Button, Menu
from django_wechat.testing.emulator import WeChatEmulator
from django_wechat.testing.emulator.routes.menu import set_console_menu

pytestmark = pytest.mark.django_db

MENU: dict[str, Any] = {
    "button": [
        {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
        {
            "name": "菜单",
            "sub_button": [
                {"type": "view", "name": "搜索", "url": "https://www.example.com/"},
                {
                    "type": "miniprogram",
                    "name": "小程序",
                    "url": "https://example.com/",
                    "appid": "wx286b93c14bbf93aa",
                    "pagepath": "pages/lunar/index",
                },
                {"type": "article_id", "name": "文章", "article_id": "ARTICLE_ID1"},
            ],
        },
    ]
}


def run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("wechat_sync_menu", *args, stdout=out, stderr=io.StringIO())
    finally:
        sys.stdin = old_stdin
    return out.getvalue()


def refused(*args: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return caught.value


def write(tmp_path: Path, data: Any, name: str = "menu.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def emulated_menu(emulator: WeChatEmulator) -> list[dict[str, Any]]:
    menu = emulator.state().menu
    assert menu is not None
    return [strip(b) for b in menu["button"]]


def strip(button: dict[str, Any]) -> dict[str, Any]:
    """A button as menu/create took it (the emulator keeps menu/get's empty sub_button)."""
    if button.get("sub_button"):
        return {"name": button["name"], "sub_button": [strip(s) for s in button["sub_button"]]}
    return {k: v for k, v in button.items() if k != "sub_button"}


def db_menu(account: str = "default", **rule: Any) -> Menu:
    menu = Menu.objects.create(account=account, title="主菜单", state="published", **rule)
    Button.objects.create(menu=menu, column=1, row=0, type="click", name="赞一下", key="V1001_GOOD")
    Button.objects.create(menu=menu, column=2, row=0, name="更多")
    Button.objects.create(
        menu=menu, column=2, row=1, type="view", name="文档", url="https://example.com/docs"
    )
    return menu


# --- --file -----------------------------------------------------------------------------


def test_push_a_file(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    out = run("--file", write(tmp_path, MENU))
    assert "Pushed the menu of" in out
    assert emulated_menu(wechat_emulator) == MENU["button"]
    assert wechat_emulator.count("cgi-bin/menu/create") == 1


def test_push_stdin(wechat_emulator: WeChatEmulator) -> None:
    run("--file", "-", stdin=json.dumps(MENU))
    assert emulated_menu(wechat_emulator) == MENU["button"]


def test_invalid_file_names_field_and_bytes_before_any_call(
    wechat_emulator: WeChatEmulator, tmp_path: Path
) -> None:
    bad = json.loads(json.dumps(MENU))
    bad["button"][0]["name"] = "每日推荐歌曲列表"
    error = refused("--file", write(tmp_path, bad))
    assert error.returncode == 1
    assert "button 1 › name: '每日推荐歌曲列表' is 24 bytes; at most 16" in str(error)
    assert "nothing was sent to WeChat" in str(error)
    assert wechat_emulator.calls() == []


def test_file_not_json_or_missing(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{nope", encoding="utf-8")
    error = refused("--file", str(path))
    assert "is not JSON" in str(error)
    assert error.returncode == 1
    error = refused("--file", str(tmp_path / "missing.json"))
    assert "Cannot read" in str(error)
    assert error.returncode == 2
    assert wechat_emulator.calls() == []


def test_file_with_conditional_menus(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    wechat_emulator.state().followers["o-demo-follower-1"].tagid_list = [2]
    data = {
        **MENU,
        "conditionalmenu": [
            {
                "button": [{"type": "click", "name": "星标", "key": "STAR"}],
                "matchrule": {"tag_id": "2"},
            }
        ],
    }
    path = write(tmp_path, data)
    run("--file", path)
    run("--file", path)  # twice: WeChat's conditional menus are replaced, not doubled
    state = wechat_emulator.state()
    assert len(state.conditional_menus) == 1
    assert state.conditional_menus[0]["matchrule"] == {"tag_id": "2"}


def test_refusal_names_errcode_and_errmsg(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    wechat_emulator.fail("errcode", api="cgi-bin/menu/create", errcode=40018)
    error = refused("--file", write(tmp_path, MENU))
    assert error.returncode == 3
    assert str(error).startswith(
        "WeChat refused the menu: a button name is too long (errcode 40018"
    )
    assert wechat_emulator.state().menu is None


def test_a_conditional_menu_without_default_is_refused(wechat_emulator: WeChatEmulator) -> None:
    # WeChat wants a default menu first (65303); the emulator refuses as it does.
    db_menu(tag_id=2)
    error = refused()
    assert error.returncode == 3
    assert "publish a default menu before any conditional menu (errcode 65303" in str(error)
    assert wechat_emulator.state().conditional_menus == []


# --- --dry-run ------------------------------------------------------------------------------


def test_dry_run_shows_the_diff_and_pushes_nothing(
    wechat_emulator: WeChatEmulator, tmp_path: Path
) -> None:
    run("--file", write(tmp_path, MENU))
    changed = json.loads(json.dumps(MENU))
    changed["button"][0]["name"] = "昨日歌曲"
    out = run("--file", write(tmp_path, changed, "changed.json"), "--dry-run")
    assert "-今日歌曲 (click: key=V1001_TODAY_MUSIC)" in out
    assert "+昨日歌曲 (click: key=V1001_TODAY_MUSIC)" in out
    assert "--- WeChat: default menu" in out
    assert wechat_emulator.count("cgi-bin/menu/create") == 1
    assert emulated_menu(wechat_emulator) == MENU["button"]
    out = run("--file", write(tmp_path, MENU, "same.json"), "--dry-run")
    assert "default menu: WeChat already has this menu." in out


def test_dry_run_from_the_database(wechat_emulator: WeChatEmulator) -> None:
    db_menu()
    out = run("--dry-run")
    assert "+赞一下 (click: key=V1001_GOOD)" in out
    assert "+    文档 (view: url=https://example.com/docs)" in out
    assert wechat_emulator.count("cgi-bin/menu/create") == 0


# --- the database ---------------------------------------------------------------------------


def test_push_from_the_database(wechat_emulator: WeChatEmulator) -> None:
    menu = db_menu()
    Menu.objects.create(title="草稿", account="default", tag_id=2)  # a draft: not pushed
    out = run()
    assert "Pushed default menu “主菜单”." in out
    assert emulated_menu(wechat_emulator) == menu.to_wechat()["button"]
    assert wechat_emulator.state().conditional_menus == []
    menu.refresh_from_db()
    assert menu.published_at is not None


def test_no_published_menu(wechat_emulator: WeChatEmulator) -> None:
    error = refused()
    assert "has no published menu" in str(error)
    assert wechat_emulator.calls() == []


def test_an_invalid_database_menu_is_refused_before_any_call(
    wechat_emulator: WeChatEmulator,
) -> None:
    menu = db_menu()
    Button.objects.filter(menu=menu, row=1).update(name="链" * 21)
    error = refused()
    assert f"button 2 › sub-button 1 › name: '{'链' * 21}' is 63 bytes; at most 60" in str(error)
    assert wechat_emulator.calls() == []


def test_conditional_menus_from_the_database(wechat_emulator: WeChatEmulator) -> None:
    db_menu()
    ios = db_menu(tag_id=None, client_platform_type="1")
    Button.objects.filter(menu=ios, column=1).update(name="苹果")
    run()
    state = wechat_emulator.state()
    (conditional,) = state.conditional_menus
    assert conditional["matchrule"] == {"client_platform_type": "1"}
    ios.refresh_from_db()
    assert ios.menuid == str(conditional["menuid"])
    # Pushing again replaces it (delconditional + addconditional): still one.
    run()
    (again,) = wechat_emulator.state().conditional_menus
    ios.refresh_from_db()
    assert ios.menuid == str(again["menuid"]) != str(conditional["menuid"])
    assert wechat_emulator.count("cgi-bin/menu/delconditional") == 1


def test_other_account(wechat_emulator: WeChatEmulator) -> None:
    db_menu(account="plain")
    run("--account", "plain")
    assert wechat_emulator.state("plain").menu is not None
    assert wechat_emulator.state().menu is None
    with pytest.raises(Exception, match="No WeChat account 'nope'"):
        run("--account", "nope")


# --- --pull ---------------------------------------------------------------------------------


def test_pull_into_the_database(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    run("--file", write(tmp_path, MENU))
    out = run("--pull")
    assert "Pulled 1 menus of account default into the database." in out
    (menu,) = Menu.objects.all()
    assert menu.state == "published"
    assert menu.to_wechat() == MENU


def test_pull_to_a_file_and_stdout(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    run("--file", write(tmp_path, MENU))
    target = tmp_path / "pulled.json"
    run("--pull", "--file", str(target))
    assert json.loads(target.read_text("utf-8")) == MENU
    assert json.loads(run("--pull", "--file", "-")) == MENU
    assert Menu.objects.count() == 0


def test_pull_dry_run(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    run("--file", write(tmp_path, MENU))
    out = run("--pull", "--dry-run")
    assert "[default menu]" in out
    assert "今日歌曲 (click: key=V1001_TODAY_MUSIC)" in out
    assert Menu.objects.count() == 0


def test_pull_nothing(wechat_emulator: WeChatEmulator) -> None:
    assert "WeChat has no menu for account default." in run("--pull")
    assert Menu.objects.count() == 0


def test_pull_conditional_menus(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    data = {
        **MENU,
        "conditionalmenu": [
            {
                "button": [{"type": "click", "name": "安卓", "key": "A"}],
                "matchrule": {"client_platform_type": "2"},
            },
            {
                "button": [{"type": "click", "name": "星标", "key": "S"}],
                "matchrule": {"tag_id": "2"},
            },
        ],
    }
    run("--file", write(tmp_path, data))
    run("--pull")
    menus = {m.title: m for m in Menu.objects.all()}
    assert len(menus) == 3
    android = Menu.objects.get(client_platform_type="2")
    star = Menu.objects.get(tag_id=2)
    assert android.to_wechat() == data["conditionalmenu"][0]
    assert star.to_wechat() == data["conditionalmenu"][1]
    assert {android.menuid, star.menuid} == {
        str(m["menuid"]) for m in wechat_emulator.state().conditional_menus
    }


def test_pull_a_console_menu(wechat_emulator: WeChatEmulator) -> None:
    with wechat_emulator.lock:
        set_console_menu(
            wechat_emulator.state(),
            [
                {"type": "text", "name": "营业时间", "value": "每天 9:00-18:00"},
                {
                    "name": "更多",
                    "sub_button": {
                        "list": [
                            {"type": "view", "name": "官网", "url": "https://example.com/"},
                            {"type": "img", "name": "二维码", "value": "MEDIA_TMP"},
                        ]
                    },
                },
            ],
        )
    err = io.StringIO()
    call_command("wechat_sync_menu", "--pull", stdout=io.StringIO(), stderr=err)
    assert wechat_emulator.count("cgi-bin/get_current_selfmenu_info") == 1
    (menu,) = Menu.objects.all()
    body = menu.to_wechat()
    first = body["button"][0]
    assert first["type"] == "click"
    assert first["key"].startswith("console_text_")
    assert body["button"][1]["sub_button"][0] == {
        "type": "view",
        "name": "官网",
        "url": "https://example.com/",
    }
    assert body["button"][1]["sub_button"][1]["key"].startswith("console_img_")
    assert f'@handler(event="CLICK", key="{first["key"]}")' in err.getvalue()
    # Pushed back, it is an API menu: the console's is gone.
    run()
    assert emulated_menu(wechat_emulator) == body["button"]
    assert wechat_emulator.state().console_menu is None


# --- --delete -------------------------------------------------------------------------------


def test_delete_with_no_input(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    run("--file", write(tmp_path, MENU))
    assert "Deleted the menus of account default on WeChat." in run("--delete", "--no-input")
    assert wechat_emulator.state().menu is None


def test_delete_asks(
    wechat_emulator: WeChatEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("--file", write(tmp_path, MENU))
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    error = refused("--delete")
    assert "cancelled" in str(error)
    assert wechat_emulator.state().menu is not None
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    run("--delete")
    assert wechat_emulator.state().menu is None


def test_delete_dry_run(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    run("--file", write(tmp_path, MENU))
    out = run("--delete", "--dry-run")
    assert "- 今日歌曲 (click: key=V1001_TODAY_MUSIC)" in out
    assert wechat_emulator.state().menu is not None


def test_options_that_do_not_go_together(wechat_emulator: WeChatEmulator) -> None:
    assert refused("--pull", "--delete").returncode == 2
    assert refused("--delete", "--file", "x.json").returncode == 2
    assert wechat_emulator.calls() == []


def test_unreachable_wechat(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    path = write(tmp_path, MENU)
    wechat_emulator.stop()
    error = refused("--file", path)
    assert error.returncode == 3


# --- the round trip -------------------------------------------------------------------------


def test_round_trip(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    """Pull a menu into the database, delete it on WeChat, push it back: the same menu."""
    run("--file", write(tmp_path, MENU))
    before = wechat_emulator.state().menu
    run("--pull")
    run("--delete", "--no-input")
    assert wechat_emulator.state().menu is None
    assert Menu.objects.get().state == "draft"
    Menu.objects.update(state="published")
    run()
    assert wechat_emulator.state().menu == before


# --- the exit status, as a shell sees it ----------------------------------------------------


def test_exit_status(tmp_path: Path, wechat_emulator: WeChatEmulator) -> None:
    bad = {"button": [{"type": "click", "name": "每日推荐歌曲列表", "key": "K"}]}
    env_settings = ["-m", "django", "wechat_sync_menu", "--settings", "tests.settings"]
    result = subprocess.run(
        [sys.executable, *env_settings, "--file", write(tmp_path, bad)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 1
    assert "'每日推荐歌曲列表' is 24 bytes; at most 16" in result.stderr


# --- WeChat's own limits, through the emulator ----------------------------------------------

FIELD_VALUES = {
    "key": "K",
    "url": "https://example.com/",
    "media_id": "MEDIA_ID1",
    "appid": "wx286b93c14bbf93aa",
    "pagepath": "pages/index",
    "article_id": "ARTICLE_ID1",
}


def test_every_type_with_its_fields_is_accepted_and_pulled_back(
    wechat_emulator: WeChatEmulator, tmp_path: Path
) -> None:
    subs = [
        {"type": kind, "name": kind, **{f: FIELD_VALUES[f] for f in fields}}
        for kind, fields in BUTTON_TYPES.items()
    ]
    menu = {
        "button": [{"name": f"菜单{n}", "sub_button": subs[n * 5 : n * 5 + 5]} for n in range(3)]
    }
    assert sum(len(b["sub_button"]) for b in menu["button"]) == 13
    run("--file", write(tmp_path, menu))
    assert emulated_menu(wechat_emulator) == menu["button"]
    run("--pull")
    assert Menu.objects.get().to_wechat() == menu


@pytest.mark.parametrize("field", ["key", "url", "media_id", "article_id", "appid", "pagepath"])
def test_a_missing_field_never_reaches_wechat(
    wechat_emulator: WeChatEmulator, tmp_path: Path, field: str
) -> None:
    kind = next(k for k, fields in BUTTON_TYPES.items() if field in fields)
    button = {"type": kind, "name": "按钮", **{f: FIELD_VALUES[f] for f in BUTTON_TYPES[kind]}}
    del button[field]
    error = refused("--file", write(tmp_path, {"button": [button]}))
    assert f"button 1 › {field}: A {kind} button needs {field}." in str(error)
    assert wechat_emulator.calls() == []


def test_limits_at_the_edge_are_what_wechat_accepts(
    wechat_emulator: WeChatEmulator, tmp_path: Path
) -> None:
    # 16 bytes on the bar: 5 Chinese characters and 1 ASCII; 60 below: 20 characters.
    top, sub = "歌" * 5 + "a", "曲" * 20
    key, url = "k" * 128, "https://example.com/" + "u" * (1024 - 20)
    fits = {
        "button": [
            {"type": "click", "name": top, "key": key},
            {"name": "更多", "sub_button": [{"type": "view", "name": sub, "url": url}]},
        ]
    }
    run("--file", write(tmp_path, fits))
    assert emulated_menu(wechat_emulator) == fits["button"]
    # One byte more, each: refused here, and by WeChat (the emulator) when sent anyway.
    over = [
        ("button 1 › name", {"button": [{"type": "click", "name": top + "a", "key": key}]}),
        ("button 1 › key", {"button": [{"type": "click", "name": top, "key": key + "k"}]}),
        (
            "button 1 › sub-button 1 › name",
            {
                "button": [
                    {
                        "name": "更多",
                        "sub_button": [{"type": "view", "name": sub + "a", "url": url}],
                    }
                ]
            },
        ),
        (
            "button 1 › sub-button 1 › url",
            {
                "button": [
                    {
                        "name": "更多",
                        "sub_button": [{"type": "view", "name": sub, "url": url + "u"}],
                    }
                ]
            },
        ),
    ]
    client = get_client()
    for where, body in over:
        error = refused("--file", write(tmp_path, body, "over.json"))
        assert where in str(error)
        assert "bytes; at most" in str(error)
        with pytest.raises(APIError):
            client.menu.create(body)
    assert emulated_menu(wechat_emulator) == fits["button"]


def test_the_daily_quota(wechat_emulator: WeChatEmulator, tmp_path: Path) -> None:
    wechat_emulator.fail("errcode", api="cgi-bin/menu/create", errcode=45009)
    error = refused("--file", write(tmp_path, MENU))
    assert error.returncode == 3
    assert "1,000 menu/create calls a day" in str(error)
    assert "errcode 45009" in str(error)


def test_import_menu_uses_the_same_checks() -> None:
    from django_wechat.menu_rules import InvalidMenu
    from django_wechat.sync.menus import import_menu

    with pytest.raises(InvalidMenu, match="is 24 bytes; at most 16"):
        import_menu(
            "default",
            {"button": [{"type": "click", "name": "每日推荐歌曲列表", "key": "K"}]},
            title="x",
        )
    assert Menu.objects.count() == 0
    menu = import_menu("default", {**MENU, "matchrule": {"group_id": "2"}}, title="星标")
    assert menu.tag_id == 2
    assert menu.state == "draft"
    assert menu.to_wechat() == {**MENU, "matchrule": {"tag_id": "2"}}
