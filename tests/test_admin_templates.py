"""Template messages in the admin, with Django's test client against the emulator: the
templates with their keywords, "Sync from WeChat", the "Send a test message" page (a field
per keyword with its limit, the follower by nickname or openid, WeChat's answer), and the
read-only sent log with its filters."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from django_wechat import get_client
from django_wechat.models import MessageTemplate, TemplateMessage, WeChatUser
from django_wechat.sync.templates import sync_templates
from django_wechat.testing.emulator import WeChatEmulator
from tests.kinds_support import with_kinds

pytestmark = pytest.mark.django_db

TEMPLATES = "/admin/django_wechat/messagetemplate/"
SENT_LOG = "/admin/django_wechat/templatemessage/"
SEND = "cgi-bin/message/template/send"
FOLLOWER = "o-demo-follower-1"


@pytest.fixture
def template(wechat_emulator: WeChatEmulator) -> MessageTemplate:
    template_id = get_client().template.add("OPENTM411587302")  # thing1, time2
    sync_templates("default")
    WeChatUser.objects.create(account="default", openid=FOLLOWER, nickname="小明")
    WeChatUser.objects.create(account="default", openid="o-demo-follower-2", nickname="小红")
    return MessageTemplate.objects.get(template_id=template_id)


def send_url(template: MessageTemplate) -> str:
    return f"{TEMPLATES}{template.pk}/send/"


def form(**values: str) -> dict[str, str]:
    return {
        "keyword_thing1": "体检",
        "keyword_time2": "2024年5月1日 09:30",
        "follower": "小明",
        "url": "",
        "miniprogram_appid": "",
        "miniprogram_pagepath": "",
        **values,
    }


def errors(page: str) -> list[str]:
    return re.findall(r'<ul class="errorlist[^"]*"[^>]*><li>(.*?)</li>', page)


def test_the_templates_are_listed_with_their_keywords(
    admin_client: Client, template: MessageTemplate
) -> None:
    page = admin_client.get(TEMPLATES).content.decode()
    assert "预约成功通知" in page
    assert "thing1, time2" in page
    assert f'href="{send_url(template)}"' in page
    assert "Sync from WeChat" in page
    assert f"{TEMPLATES}add/" not in page  # templates come from WeChat
    detail = admin_client.get(f"{TEMPLATES}{template.pk}/change/").content.decode()
    assert 'class="wechat-send-link"' in detail
    assert "预约项目：{{thing1.DATA}}" in detail
    assert 'name="_save"' not in detail  # read-only: WeChat's console edits templates


def test_sync_from_wechat(admin_client: Client, wechat_emulator: WeChatEmulator) -> None:
    get_client().template.add("TM00015")
    response = admin_client.post(f"{TEMPLATES}sync/", {"account": "default"}, follow=True)
    assert "1 added, 0 changed, 0 removed" in response.content.decode()
    assert MessageTemplate.objects.get().keywords == ["character_string1", "amount2", "thing3"]
    wechat_emulator.fail("errcode", api="cgi-bin/template/get_all_private_template", errcode=48001)
    page = admin_client.post(f"{TEMPLATES}sync/", {"account": "default"}, follow=True)
    assert "errcode=48001" in page.content.decode()
    page = admin_client.post(f"{TEMPLATES}sync/", {"account": "nope"}, follow=True)
    assert "No account named nope." in page.content.decode()


def test_the_send_page_has_a_field_per_keyword_with_its_limit(
    admin_client: Client, template: MessageTemplate
) -> None:
    page = admin_client.get(send_url(template)).content.decode()
    assert re.search(r'<input type="text" name="keyword_thing1" maxlength="20"', page)
    assert re.search(r'<input type="text" name="keyword_time2" maxlength="20"', page)
    assert "At most 20 characters, on one line." in page
    assert '<label for="id_keyword_thing1">预约项目 (thing1):</label>' in page
    assert page.index("keyword_thing1") < page.index("keyword_time2") < page.index('"follower"')
    assert f'<option value="{FOLLOWER}">小明</option>' in page  # suggested followers
    assert 'name="miniprogram_appid"' in page


def test_a_test_send_shows_wechats_answer_and_lands_in_the_sent_log(
    admin_client: Client, template: MessageTemplate, wechat_emulator: WeChatEmulator
) -> None:
    response = admin_client.post(send_url(template), form(url="https://example.com/b/1"))
    page = response.content.decode()
    (delivered,) = wechat_emulator.sent_messages(FOLLOWER)
    message = TemplateMessage.objects.get()
    assert f"WeChat accepted the message: msgid {delivered['msgid']}" in page
    assert f'href="{SENT_LOG}{message.pk}/change/"' in page
    assert delivered["url"] == "https://example.com/b/1"
    assert message.data == {"thing1": "体检", "time2": "2024年5月1日 09:30"}

    # The follower by openid, a mini program page.
    admin_client.post(
        send_url(template),
        form(
            follower="o-demo-follower-2",
            miniprogram_appid="wx286b93c14bbf93aa",
            miniprogram_pagepath="pages/index",
        ),
    )
    second = wechat_emulator.sent_messages("o-demo-follower-2")[0]
    assert second["miniprogram"] == {"appid": "wx286b93c14bbf93aa", "pagepath": "pages/index"}

    log = admin_client.get(SENT_LOG).content.decode()
    assert log.count("预约成功通知") >= 2
    assert f"{SENT_LOG}add/" not in log
    assert admin_client.get(f"{SENT_LOG}?status__exact=sent").status_code == 200
    filtered = admin_client.get(
        f"{SENT_LOG}?template__id__exact={template.pk}&status__exact=success"
    )
    assert "0 template messages" in filtered.content.decode()
    detail = admin_client.get(f"{SENT_LOG}{message.pk}/change/").content.decode()
    assert 'name="_save"' not in detail
    assert '<a href="/admin/django_wechat/wechatuser/' in detail  # the follower, linked


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"keyword_thing1": "一" * 21}, "Ensure this value has at most 20 characters (it has 21)."),
        ({"keyword_time2": ""}, "This field is required."),
        ({"keyword_thing1": "体检\n复查"}, "WeChat does not show line breaks."),
        ({"follower": "nobody"}, "No WeChat user of account default has this nickname or openid."),
        ({"url": "not a url"}, "Enter a valid URL."),
        ({"miniprogram_pagepath": "pages/index"}, "A mini program page needs its AppID."),
    ],
)
def test_the_form_refuses_before_anything_is_sent(
    admin_client: Client,
    template: MessageTemplate,
    wechat_emulator: WeChatEmulator,
    values: dict[str, str],
    message: str,
) -> None:
    page = admin_client.post(send_url(template), form(**values)).content.decode()
    assert message in errors(page)
    assert wechat_emulator.count(SEND) == 0


def test_two_followers_with_one_nickname_need_the_openid(
    admin_client: Client, template: MessageTemplate
) -> None:
    WeChatUser.objects.create(account="default", openid="o-demo-follower-3", nickname="小明")
    page = admin_client.post(send_url(template), form()).content.decode()
    assert "Several followers are called 小明: give the openid." in errors(page)


def test_wechats_refusal_is_shown_with_what_it_means(
    admin_client: Client, template: MessageTemplate, wechat_emulator: WeChatEmulator
) -> None:
    wechat_emulator.state().followers[FOLLOWER].subscribe = 0
    page = admin_client.post(send_url(template), form()).content.decode()
    assert "WeChat refused the message: the follower has unfollowed the account" in page
    assert "errcode 43004" in page
    message = TemplateMessage.objects.get()
    assert message.status == TemplateMessage.Status.REFUSED
    assert f'href="{SENT_LOG}{message.pk}/change/"' in page


def test_a_template_removed_on_wechat_cannot_be_sent(
    admin_client: Client, template: MessageTemplate
) -> None:
    MessageTemplate.objects.filter(pk=template.pk).update(removed=True)
    page = admin_client.get(send_url(template)).content.decode()
    assert "This template was removed on WeChat" in page
    assert 'id="wechat-test-send-form"' not in page


def test_sending_needs_the_permission_to_add_template_messages(
    client: Client, template: MessageTemplate, wechat_emulator: WeChatEmulator
) -> None:
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    response: Any = client.post(send_url(template), form())
    assert response.status_code == 302
    assert TemplateMessage.objects.count() == 0
    # Nor may they sync: that needs the permission to change templates.
    client.post(f"{TEMPLATES}sync/", {"account": "default"})
    assert wechat_emulator.count("cgi-bin/template/get_all_private_template") == 1


def test_the_send_page_in_chinese(
    admin_client: Client, template: MessageTemplate, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    page = admin_client.get(send_url(template)).content.decode()
    assert "发送测试消息" in page
    assert "最多 20 个字，不能换行。" in page
    page = admin_client.post(send_url(template), form(keyword_thing1="体检\n复查")).content.decode()
    assert "微信不显示换行。" in errors(page)


def test_only_official_accounts_can_sync_templates(
    admin_client: Client, wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    # A website app or a mini program has no template API: not offered, and refused.
    settings.WECHAT = with_kinds(settings.WECHAT)
    page = admin_client.get(TEMPLATES).content.decode()
    assert "<option>default</option>" in page
    assert "<option>web</option>" not in page
    assert "<option>mini</option>" not in page
    refused = admin_client.post(f"{TEMPLATES}sync/", {"account": "web"}, follow=True)
    assert "No account named web." in refused.content.decode()
    assert wechat_emulator.count("cgi-bin/template/get_all_private_template") == 0
