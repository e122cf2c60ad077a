"""The menu editor in the admin, with Django's test client against the emulator: the form's
per-field errors, the server-rendered preview, publishing through the confirmation page,
pulling (a console menu too), removing conditional menus and trymatch."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from django_wechat.admin.menus import BUTTON_FIELDS
from django_wechat.models import Button, Menu
from django_wechat.testing.emulator import WeChatEmulator
from django_wechat.testing.emulator.routes.menu import set_console_menu

pytestmark = pytest.mark.django_db

ADD = "/admin/django_wechat/menu/add/"
CHANGELIST = "/admin/django_wechat/menu/"


def form_data(rows: list[dict[str, Any]], **menu: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": "default",
        "title": "主菜单",
        "tag_id": "",
        "client_platform_type": "",
        "buttons-TOTAL_FORMS": str(len(rows)),
        "buttons-INITIAL_FORMS": "0",
        "buttons-MIN_NUM_FORMS": "0",
        "buttons-MAX_NUM_FORMS": "18",
        **menu,
    }
    for n, row in enumerate(rows):
        for field in BUTTON_FIELDS:
            data[f"buttons-{n}-{field}"] = str(row.get(field, ""))
    return data


ROWS = [
    {"column": 1, "row": 0, "name": "赞一下", "type": "click", "key": "V1001_GOOD"},
    {"column": 2, "row": 0, "name": "更多"},
    {"column": 2, "row": 1, "name": "文档", "type": "view", "url": "https://example.com/docs"},
]


def errors(response: Any) -> list[str]:
    return re.findall(r'<ul class="errorlist[^"]*"[^>]*><li>(.*?)</li>', response.content.decode())


def test_add_a_menu_and_see_its_preview(admin_client: Client) -> None:
    response = admin_client.post(ADD, form_data(ROWS))
    assert response.status_code == 302, errors(response)
    menu = Menu.objects.get()
    assert menu.to_wechat() == {
        "button": [
            {"type": "click", "name": "赞一下", "key": "V1001_GOOD"},
            {
                "name": "更多",
                "sub_button": [{"type": "view", "name": "文档", "url": "https://example.com/docs"}],
            },
        ]
    }
    page = admin_client.get(f"{CHANGELIST}{menu.pk}/change/").content.decode()
    # The preview is rendered by the server (no JavaScript needed).
    phone = page[page.index('id="wechat-menu-phone"') :]
    assert '<span class="wechat-phone-button">赞一下</span>' in phone
    assert "<li>文档</li>" in phone
    assert "django_wechat/menu_preview.js" in page


def test_too_long_name_shows_its_byte_count_on_its_field(admin_client: Client) -> None:
    rows = [{**ROWS[0], "name": "每日推荐歌曲列表"}]
    response = admin_client.post(ADD, form_data(rows))
    assert response.status_code == 200
    assert "&#x27;每日推荐歌曲列表&#x27; is 24 bytes; at most 16" in errors(response)
    assert Menu.objects.count() == 0


@pytest.fixture
def chinese(settings: Any) -> Iterator[dict[str, str]]:
    """LocaleMiddleware, as a site with both languages has; the headers of a Chinese browser."""
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:1],
        "django.middleware.locale.LocaleMiddleware",
        *settings.MIDDLEWARE[1:],
    ]
    yield {"accept-language": "zh-hans"}
    # The last request left Chinese active in this thread.
    translation.activate(settings.LANGUAGE_CODE)


def test_too_long_name_in_chinese(admin_client: Client, chinese: dict[str, str]) -> None:
    rows = [{**ROWS[0], "name": "每日推荐歌曲列表"}]
    response = admin_client.post(ADD, form_data(rows), headers=chinese)
    assert "“每日推荐歌曲列表”有 24 个字节；最多 16 个" in errors(response)


def test_form_structure_errors(admin_client: Client) -> None:
    rows = [
        {"column": 1, "row": 0, "name": "菜单", "type": "click", "key": "K"},
        {"column": 1, "row": 1, "name": "子菜单", "type": "click", "key": "K2"},
        {"column": 2, "row": 1, "name": "孤儿", "type": "view", "url": "https://example.com/"},
        {
            "column": 3,
            "row": 0,
            "name": "小程序",
            "type": "miniprogram",
            "url": "https://example.com/",
        },
    ]
    found = errors(admin_client.post(ADD, form_data(rows)))
    assert "A button with sub-buttons has no type: WeChat opens its sub-menu." in found
    assert "Column 2 has no button on the bar (row 0) to hold this one." in found
    assert "A miniprogram button needs appid." in found
    assert "A miniprogram button needs pagepath." in found
    assert Menu.objects.count() == 0


def test_a_menu_needs_a_button(admin_client: Client) -> None:
    found = errors(admin_client.post(ADD, form_data([])))
    assert "A menu has 1 to 3 buttons; this one has 0." in found


def test_one_default_menu_per_account(admin_client: Client) -> None:
    assert admin_client.post(ADD, form_data(ROWS)).status_code == 302
    found = errors(admin_client.post(ADD, form_data(ROWS)))
    assert any("has a default menu already" in e for e in found)
    assert admin_client.post(ADD, form_data(ROWS, tag_id="2")).status_code == 302


def test_an_unknown_account(admin_client: Client) -> None:
    found = errors(admin_client.post(ADD, form_data(ROWS, account="nope")))
    assert found == ["No account named nope; configured: default, compatible, plain."]


def saved_menu(**rule: Any) -> Menu:
    menu = Menu.objects.create(title="主菜单", **rule)
    for row in ROWS:
        Button.objects.create(menu=menu, **row)
    return menu


def test_publish_through_the_confirmation_page(
    admin_client: Client, wechat_emulator: WeChatEmulator
) -> None:
    menu = saved_menu()
    action = {"action": "publish_to_wechat", "_selected_action": [str(menu.pk)]}
    page = admin_client.post(CHANGELIST, action)
    assert page.status_code == 200
    text = page.content.decode()
    assert "On WeChat now" in text
    assert "After publishing" in text
    assert (
        '<tr class="wechat-changed"><td><pre></pre></td>'
        "<td><pre>赞一下 (click: key=V1001_GOOD)</pre>" in text
    )
    assert wechat_emulator.count("cgi-bin/menu/create") == 0
    done = admin_client.post(CHANGELIST, {**action, "post": "yes"})
    assert done.status_code == 302
    assert wechat_emulator.state().menu is not None
    menu.refresh_from_db()
    assert menu.state == "published"
    # Again: nothing differs now.
    text = admin_client.get(f"{CHANGELIST}{menu.pk}/publish/").content.decode()
    assert "wechat-changed" not in text
    assert "WeChat already has this menu." in text


def test_a_refusal_is_shown_on_its_field(
    admin_client: Client, wechat_emulator: WeChatEmulator
) -> None:
    menu = saved_menu()
    wechat_emulator.fail("errcode", api="cgi-bin/menu/create", errcode=40054)
    response = admin_client.post(f"{CHANGELIST}{menu.pk}/publish/", {"post": "yes"})
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        "<strong>URL</strong>: WeChat refused the menu: "
        "a sub-button url&#x27;s domain is not allowed (errcode 40054" in text
    )
    menu.refresh_from_db()
    assert menu.state == "draft"


def test_conditional_menu_needs_the_default_first(
    admin_client: Client, wechat_emulator: WeChatEmulator
) -> None:
    menu = saved_menu(tag_id=2)
    text = admin_client.post(f"{CHANGELIST}{menu.pk}/publish/", {"post": "yes"}).content.decode()
    assert "publish a default menu before any conditional menu (errcode 65303" in text


def test_conditional_menus_publish_remove_and_trymatch(
    admin_client: Client, wechat_emulator: WeChatEmulator
) -> None:
    default = saved_menu()
    starred = saved_menu(tag_id=2)
    Button.objects.filter(menu=starred, column=1).update(name="星标专享")
    wechat_emulator.state().followers["o-demo-follower-1"].tagid_list = [2]
    for menu in (default, starred):
        assert (
            admin_client.post(f"{CHANGELIST}{menu.pk}/publish/", {"post": "yes"}).status_code == 302
        )
    (conditional,) = wechat_emulator.state().conditional_menus
    starred.refresh_from_db()
    assert starred.menuid == str(conditional["menuid"])

    page = admin_client.get(
        CHANGELIST + "trymatch/", {"account": "default", "user_id": "o-demo-follower-1"}
    )
    assert "星标专享 (click: key=V1001_GOOD)" in page.content.decode()
    page = admin_client.get(
        CHANGELIST + "trymatch/", {"account": "default", "user_id": "o-demo-follower-2"}
    )
    assert "赞一下 (click: key=V1001_GOOD)" in page.content.decode()
    page = admin_client.get(CHANGELIST + "trymatch/", {"account": "default", "user_id": "nobody"})
    assert "no such follower (errcode 65302" in page.content.decode()

    action = {
        "action": "remove_from_wechat",
        "_selected_action": [str(starred.pk), str(default.pk)],
    }
    admin_client.post(CHANGELIST, action)
    assert wechat_emulator.state().conditional_menus == []
    assert wechat_emulator.state().menu is not None
    starred.refresh_from_db()
    assert (starred.state, starred.menuid) == ("draft", "")


def test_pull_from_wechat_and_a_console_menu(
    admin_client: Client, wechat_emulator: WeChatEmulator
) -> None:
    text = admin_client.get(CHANGELIST + "pull/").content.decode()
    assert "WeChat has no menu for this account." in text
    with wechat_emulator.lock:
        set_console_menu(
            wechat_emulator.state(),
            [{"type": "news", "name": "往期文章", "value": "NEWS_ID", "news_info": {"list": []}}],
        )
    text = admin_client.get(CHANGELIST + "pull/").content.decode()
    assert "web console (read with get_current_selfmenu_info)" in text
    assert '<span class="wechat-phone-button">往期文章</span>' in text
    response = admin_client.post(CHANGELIST + "pull/", {"account": "default"}, follow=True)
    assert "Pulled 1 menus of account default from WeChat." in response.content.decode()
    (menu,) = Menu.objects.all()
    (button,) = menu.buttons.all()
    assert (button.type, button.key[:13]) == ("click", "console_news_")


def test_pages_when_wechat_is_down(admin_client: Client, wechat_emulator: WeChatEmulator) -> None:
    menu = saved_menu()
    wechat_emulator.stop()
    for url in (f"{CHANGELIST}{menu.pk}/publish/", CHANGELIST + "pull/"):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "Could not talk to WeChat" in response.content.decode()
    response = admin_client.post(f"{CHANGELIST}{menu.pk}/publish/", {"post": "yes"})
    assert response.status_code == 200
    menu.refresh_from_db()
    assert menu.state == "draft"


def test_chinese_admin(
    admin_client: Client, wechat_emulator: WeChatEmulator, chinese: dict[str, str]
) -> None:
    menu = saved_menu()
    headers = chinese
    text = admin_client.get(f"{CHANGELIST}{menu.pk}/change/", headers=headers).content.decode()
    assert "预览" in text
    assert "发布到微信" in text
    text = admin_client.get(f"{CHANGELIST}{menu.pk}/publish/", headers=headers).content.decode()
    assert "微信上现在的菜单" in text
    assert "是的，发布" in text
