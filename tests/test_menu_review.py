"""A hostile read of the menu editor: crafted ids and form input, staff without the right
permissions, cross-site posts, and button names that are HTML, on the server-rendered
pages and in the preview that follows the typing (Chromium)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from django_wechat.models import Menu
from django_wechat.testing.emulator import WeChatEmulator
from tests.browser import browser_page, log_in_to_admin
from tests.test_admin_menus import ADD, CHANGELIST, ROWS, form_data, saved_menu
from tests.test_demo_pages import emulator_and_demo
from tests.test_menu_browser import EDITOR

__all__ = ["emulator_and_demo"]

pytestmark = pytest.mark.django_db

CREATE = "cgi-bin/menu/create"
XSS = '<img src=x onerror="window.pwned=1">'


def staff(*codenames: str) -> Client:
    user = get_user_model().objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.mark.parametrize("object_id", ["abc", "1.5", "9999", "1/x", "%00", "é"])
def test_a_crafted_publish_url_is_not_a_500(
    admin_client: Client, wechat_emulator: WeChatEmulator, object_id: str
) -> None:
    saved_menu()
    response = admin_client.get(f"{CHANGELIST}{object_id}/publish/")
    assert response.status_code == 404
    assert wechat_emulator.count(CREATE) == 0


def test_a_viewer_cannot_publish_pull_or_remove(wechat_emulator: WeChatEmulator) -> None:
    menu = saved_menu()
    conditional = saved_menu(tag_id=2)
    viewer = staff("view_menu")
    action = {"_selected_action": [str(menu.pk), str(conditional.pk)], "post": "yes"}
    viewer.post(CHANGELIST, {**action, "action": "publish_to_wechat"})
    viewer.post(CHANGELIST, {**action, "action": "remove_from_wechat"})
    viewer.post(f"{CHANGELIST}{menu.pk}/publish/", {"post": "yes"})
    assert wechat_emulator.count(CREATE) == 0
    assert wechat_emulator.count("cgi-bin/menu/delconditional") == 0
    wechat_emulator.state().menu = {"button": [{"type": "click", "name": "拉取", "key": "K"}]}
    answer = viewer.post(f"{CHANGELIST}pull/", {"account": "default"})
    assert answer.status_code == 302
    assert not Menu.objects.filter(buttons__name="拉取").exists()
    # trymatch only reads: a viewer may.
    assert viewer.get(f"{CHANGELIST}trymatch/").status_code == 200


def test_the_extra_pages_need_the_csrf_token(
    admin_user: Any, wechat_emulator: WeChatEmulator
) -> None:
    menu = saved_menu()
    wechat_emulator.state().menu = {"button": [{"type": "click", "name": "拉取", "key": "K"}]}
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    assert browser.post(f"{CHANGELIST}{menu.pk}/publish/", {"post": "yes"}).status_code == 403
    assert browser.post(f"{CHANGELIST}pull/", {"account": "default"}).status_code == 403
    assert wechat_emulator.count(CREATE) == 0
    assert not Menu.objects.filter(buttons__name="拉取").exists()
    # A GET of the publish page shows the comparison and publishes nothing.
    assert browser.get(f"{CHANGELIST}{menu.pk}/publish/?post=yes").status_code == 200
    assert wechat_emulator.count(CREATE) == 0


def test_html_in_button_names_is_text_on_every_page(
    admin_client: Client, wechat_emulator: WeChatEmulator
) -> None:
    rows = [dict(row) for row in ROWS]
    rows[2]["name"] = XSS
    response = admin_client.post(ADD, form_data(rows, title=XSS))
    assert response.status_code == 302
    menu = Menu.objects.get()
    pages = [
        f"{CHANGELIST}{menu.pk}/change/",
        f"{CHANGELIST}{menu.pk}/publish/",
        CHANGELIST,
    ]
    for url in pages:
        text = admin_client.get(url).content.decode()
        assert XSS not in text, url
        assert "&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;" in text, url
    wechat_emulator.state().menu = menu.to_wechat()
    pulled = admin_client.get(f"{CHANGELIST}pull/").content.decode()
    assert XSS not in pulled
    assert "&lt;img" in pulled


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JaVaScRiPt://x", "data:text/html,x", "//x", "ftp://x"]
)
def test_a_view_button_takes_http_urls_only(admin_client: Client, url: str) -> None:
    rows = [{"column": 1, "row": 0, "name": "打开", "type": "view", "url": url}]
    response = admin_client.post(ADD, form_data(rows))
    assert response.status_code == 200
    assert "is not an http:// or https:// address" in response.content.decode()
    assert not Menu.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("buttons-0-column", "x"),
        ("buttons-0-row", "-1"),
        ("buttons-0-column", "99999999999999999999"),
        ("buttons-TOTAL_FORMS", "19"),
        ("buttons-TOTAL_FORMS", "x"),
        ("tag_id", "-3"),
        ("tag_id", "1e9"),
        ("client_platform_type", "9"),
        ("account", "\x00"),
        ("buttons-0-type", "<b>x</b>"),
        ("buttons-0-name", "\x00"),
    ],
)
def test_crafted_form_input_is_a_form_error(admin_client: Client, field: str, value: str) -> None:
    data = form_data(ROWS)
    data[field] = value
    response = admin_client.post(ADD, data)
    assert response.status_code in (200, 400)
    assert "<b>x</b>" not in response.content.decode()


# --- the preview in Chromium: what is typed is text -------------------------------------------


def test_html_typed_into_a_name_stays_text_in_the_preview(
    emulator_and_demo: tuple[WeChatEmulator, str],
) -> None:
    _emulator, site = emulator_and_demo
    with browser_page() as browser:
        log_in_to_admin(browser, site, EDITOR)
        phone = browser.locator("#wechat-menu-phone")
        script = "<script>window.pwned=2</script>"
        name = browser.locator("#id_buttons-0-name")
        name.fill("")
        name.press_sequentially(XSS)
        browser.fill("#id_buttons-3-name", script)
        assert phone.locator(".wechat-phone-button").first.inner_text() == XSS
        assert phone.locator(".wechat-phone-subs li").last.inner_text() == script
        assert phone.locator("img, script").count() == 0
        # Saved (a sub-button's 60 bytes hold it), then drawn by the server.
        browser.fill("#id_buttons-0-name", "赞一下")
        browser.fill("#id_buttons-3-name", XSS)
        browser.click("input[name=_continue]")
        browser.wait_for_load_state()
        assert browser.url == site + EDITOR
        assert phone.locator(".wechat-phone-subs li").last.inner_text() == XSS
        assert phone.locator("img, script").count() == 0
        assert browser.evaluate("typeof window.pwned") == "undefined"


def test_a_huge_form_count_is_refused_without_building_a_thousand_rows(
    admin_client: Client,
) -> None:
    # Django builds up to max_num + 1,000 forms for any TOTAL_FORMS it is sent; the
    # editor's page then drew 1,018 button rows (tens of seconds of CPU per POST).
    data = form_data(ROWS)
    data["buttons-TOTAL_FORMS"] = "100000"
    response = admin_client.post(ADD, data)
    assert response.status_code == 200
    text = response.content.decode()
    rows = re.findall(r'name="buttons-(\d+)-name"', text)
    assert 0 < len(rows) <= 18
    assert "Please submit at most 18 forms." in text
    assert not Menu.objects.exists()
