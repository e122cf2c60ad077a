"""Template messages against the emulator over loopback HTTP: the sync (added, changed,
removed), every rule checked before a send, a send recorded with its msgid, the
TEMPLATESENDJOBFINISH event setting each status through the site's callback, a retried
send delivered once, and ``wechat_sync_templates``."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from django_wechat import get_client
from django_wechat.exceptions import APIError, TransportError
from django_wechat.handlers import Registry, handler
from django_wechat.models import MessageTemplate, TemplateMessage
from django_wechat.models.templates import keyword_labels, parse_keywords
from django_wechat.receivers.templates import status_of
from django_wechat.sync.templates import sync_templates
from django_wechat.template_messages import (
    InvalidTemplateMessage,
    make_client_msg_id,
    send_template_message,
)
from django_wechat.testing.emulator import WeChatEmulator

from .emulator_support import control

pytestmark = pytest.mark.django_db

FOLLOWER = "o-demo-follower-1"
SEND = "cgi-bin/message/template/send"
#: 预约成功通知: {{thing1.DATA}}, {{time2.DATA}}.
BOOKING = "OPENTM411587302"
DATA = {"thing1": "体检", "time2": "2024年5月1日 09:30"}


def add_template(short_id: str = BOOKING) -> str:
    return get_client().template.add(short_id)


def synced(short_id: str = BOOKING) -> MessageTemplate:
    template_id = add_template(short_id)
    sync_templates("default")
    return MessageTemplate.objects.get(template_id=template_id)


def run_sync(*args: str) -> str:
    out = io.StringIO()
    call_command("wechat_sync_templates", *args, stdout=out)
    return out.getvalue()


# --- keywords and the sync ---------------------------------------------------------------


def test_keywords_are_parsed_in_order_without_first_and_remark() -> None:
    content = (
        "{{first.DATA}}\n订单号：{{character_string9.DATA}}\n金额：{{amount2.DATA}}\n"
        "商品：{{ thing1.DATA }}\n{{amount2.DATA}}{{remark.DATA}}{{notakeyword}}"
    )
    assert parse_keywords(content) == ["character_string9", "amount2", "thing1"]
    assert keyword_labels(content) == {
        "character_string9": "订单号",
        "amount2": "金额",
        "thing1": "商品",
    }


def test_the_sync_adds_changes_and_marks_removed(wechat_emulator: WeChatEmulator) -> None:
    booking, shipping = add_template(BOOKING), add_template("OPENTM207791277")
    out = run_sync()
    assert "added: 预约成功通知" in out
    assert "added: 订单发货提醒" in out
    assert "2 added, 0 changed, 0 removed, 0 unchanged" in out
    template = MessageTemplate.objects.get(template_id=booking)
    assert template.keywords == ["thing1", "time2"]
    assert template.title == "预约成功通知"
    assert template.primary_industry == "IT科技"
    assert "体检" in template.example

    # Idempotent: nothing changes the second time.
    assert "0 added, 0 changed, 0 removed, 2 unchanged" in run_sync("--account", "default")

    # WeChat changes a template's content and removes another.
    state = wechat_emulator.state()
    state.templates[booking]["content"] = "项目：{{thing1.DATA}}\n地点：{{thing3.DATA}}"
    state.templates.pop(shipping)
    out = run_sync()
    assert "changed: 预约成功通知" in out
    assert "keywords thing1, thing3" in out
    assert "removed: 订单发货提醒" in out
    assert "0 added, 1 changed, 1 removed, 0 unchanged" in out
    assert MessageTemplate.objects.get(template_id=booking).keywords == ["thing1", "thing3"]
    gone = MessageTemplate.objects.get(template_id=shipping)  # kept, marked
    assert gone.removed
    assert "0 added, 0 changed, 0 removed, 1 unchanged" in run_sync()


def test_the_sync_keeps_a_removed_template_that_messages_point_at(
    wechat_emulator: WeChatEmulator,
) -> None:
    template = synced()
    message = send_template_message("default", FOLLOWER, template.template_id, DATA)
    get_client().template.del_private_template(template.template_id)
    result = sync_templates("default")
    assert [t.pk for t in result.removed] == [template.pk]
    message.refresh_from_db()
    assert message.template.removed
    with pytest.raises(InvalidTemplateMessage, match="removed on WeChat") as caught:
        send_template_message("default", FOLLOWER, template.template_id, DATA)
    assert caught.value.field == "template_id"


def test_the_sync_tolerates_empty_industries(wechat_emulator: WeChatEmulator) -> None:
    # The stray entry some accounts list (LOGIN-ADMIN-FACTS 4.2).
    wechat_emulator.state().templates["stray"] = {
        "template_id": "stray",
        "title": "订阅模板消息",
        "primary_industry": "",
        "deputy_industry": "",
        "content": "{{content.DATA}}",
        "example": "",
    }
    (added,) = sync_templates("default").added
    assert added.keywords == ["content"]
    assert added.primary_industry == ""


def test_a_sync_that_wechat_refuses_is_an_error_and_changes_nothing(
    wechat_emulator: WeChatEmulator,
) -> None:
    add_template()
    wechat_emulator.fail("errcode", api="cgi-bin/template/get_all_private_template", errcode=48001)
    with pytest.raises(CommandError, match="errcode=48001") as caught:
        run_sync()
    assert caught.value.returncode == 3
    assert MessageTemplate.objects.count() == 0
    with pytest.raises(CommandError, match="nope") as caught:
        run_sync("--account", "nope")
    assert caught.value.returncode == 2


# --- the rules, checked before any call --------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"thing1": "体检"}, "time2", "a value is required"),
        ({"thing1": "", "time2": "09:30"}, "thing1", "a value is required"),
        (
            {"thing1": "一" * 21, "time2": "09:30"},
            "thing1",
            "21 characters; WeChat allows at most 20",
        ),
        ({"thing1": "体检\n复查", "time2": "09:30"}, "thing1", "line breaks"),
        ({"thing1": "体检", "time2": "09:30\r"}, "time2", "line breaks"),
        ({**DATA, "keyword3": "x"}, "keyword3", "has no keyword keyword3"),
    ],
    ids=["missing", "empty", "too-long", "line-break", "carriage-return", "unknown"],
)
def test_each_rule_is_an_error_naming_its_field_and_nothing_is_sent(
    wechat_emulator: WeChatEmulator, data: dict[str, str], field: str, message: str
) -> None:
    template = synced()
    with pytest.raises(InvalidTemplateMessage, match=message) as caught:
        send_template_message("default", FOLLOWER, template.template_id, data)
    assert caught.value.field == field
    assert wechat_emulator.count(SEND) == 0
    assert TemplateMessage.objects.count() == 0


def test_a_typed_keyword_has_its_type_limit(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.state().templates["typed"] = {
        "template_id": "typed",
        "title": "审核结果",
        "content": "结果：{{phrase1.DATA}}\n单号：{{character_string2.DATA}}",
    }
    sync_templates("default")
    with pytest.raises(InvalidTemplateMessage, match="6 characters; WeChat allows at most 5"):
        send_template_message(
            "default", FOLLOWER, "typed", {"phrase1": "审核已经通过", "character_string2": "A1"}
        )
    message = send_template_message(
        "default", FOLLOWER, "typed", {"phrase1": "审核通过", "character_string2": "A" * 32}
    )
    assert message.status == TemplateMessage.Status.SENT


def test_an_unknown_template_a_bad_url_and_a_page_without_appid(
    wechat_emulator: WeChatEmulator,
) -> None:
    template = synced()
    with pytest.raises(InvalidTemplateMessage, match="wechat_sync_templates") as caught:
        send_template_message("default", FOLLOWER, "no-such-template", DATA)
    assert caught.value.field == "template_id"
    with pytest.raises(InvalidTemplateMessage) as caught:
        send_template_message("default", FOLLOWER, template.template_id, DATA, url="ftp://x")
    assert caught.value.field == "url"
    with pytest.raises(InvalidTemplateMessage) as caught:
        send_template_message(
            "default", FOLLOWER, template.template_id, DATA, miniprogram={"pagepath": "p/i"}
        )
    assert caught.value.field == "miniprogram"
    with pytest.raises(InvalidTemplateMessage) as caught:
        send_template_message("default", "", template.template_id, DATA)
    assert caught.value.field == "openid"
    assert wechat_emulator.count(SEND) == 0


# --- sending, recorded --------------------------------------------------------------------


def test_a_send_is_recorded_with_its_msgid(wechat_emulator: WeChatEmulator) -> None:
    template = synced()
    message = send_template_message(
        "default",
        FOLLOWER,
        template.template_id,
        {"thing1": {"value": "体检", "color": "#173177"}, "time2": "2024年5月1日 09:30"},
        url="https://example.com/booking/42",
        miniprogram={"appid": "wx286b93c14bbf93aa", "pagepath": "pages/booking/index"},
    )
    (delivered,) = wechat_emulator.sent_messages(FOLLOWER)
    assert message.msgid == str(delivered["msgid"])
    assert message.status == TemplateMessage.Status.SENT
    assert message.template == template
    assert message.data == DATA  # plain values: no colour is sent since 2023
    assert delivered["data"] == {"thing1": {"value": "体检"}, "time2": {"value": DATA["time2"]}}
    assert delivered["url"] == "https://example.com/booking/42"
    assert delivered["miniprogram"] == {
        "appid": "wx286b93c14bbf93aa",
        "pagepath": "pages/booking/index",
    }
    assert message.miniprogram == delivered["miniprogram"]
    assert delivered["client_msg_id"] == message.client_msg_id
    assert message.client_msg_id == make_client_msg_id(
        "default", FOLLOWER, template.template_id, DATA, message.url, message.miniprogram
    )
    stored = TemplateMessage.objects.get()
    assert (stored.msgid, stored.status, stored.error) == (message.msgid, "sent", "")


def test_a_refusal_is_recorded_and_raised(wechat_emulator: WeChatEmulator) -> None:
    template = synced()
    wechat_emulator.state().followers[FOLLOWER].subscribe = 0
    with pytest.raises(APIError) as caught:
        send_template_message("default", FOLLOWER, template.template_id, DATA)
    assert caught.value.errcode == 43004
    message = TemplateMessage.objects.get()
    assert message.status == TemplateMessage.Status.REFUSED
    assert "errcode=43004" in message.error
    assert message.msgid == ""


def test_the_emulator_refuses_what_the_template_does_not_allow(
    wechat_emulator: WeChatEmulator,
) -> None:
    # What send_template_message checks first, WeChat (the emulator) checks too: 47003.
    template_id = add_template()
    with pytest.raises(APIError) as caught:
        get_client().message.send_template(FOLLOWER, template_id, {"thing1": "一" * 21})
    assert caught.value.errcode == 47003


def test_the_same_send_retried_reaches_the_follower_once(wechat_emulator: WeChatEmulator) -> None:
    template = synced()
    # WeChat sends the message, and its answer is lost on the way back.
    wechat_emulator.fail("lost_answer", api=SEND)
    with pytest.raises(TransportError):
        send_template_message("default", FOLLOWER, template.template_id, DATA)
    first = TemplateMessage.objects.get()
    assert first.status == TemplateMessage.Status.SENDING
    assert first.error
    # The retry (a task's, a person's) carries the same client_msg_id.
    again = send_template_message("default", FOLLOWER, template.template_id, DATA)
    assert wechat_emulator.count(SEND) == 2
    (delivered,) = wechat_emulator.sent_messages(FOLLOWER)
    assert again.pk == first.pk  # the same record, now with WeChat's msgid
    assert again.msgid == str(delivered["msgid"])
    assert again.status == TemplateMessage.Status.SENT
    assert TemplateMessage.objects.count() == 1


def test_the_same_words_sent_again_on_purpose_with_a_new_client_msg_id(
    wechat_emulator: WeChatEmulator,
) -> None:
    template = synced()
    send_template_message("default", FOLLOWER, template.template_id, DATA)
    send_template_message("default", FOLLOWER, template.template_id, DATA)  # deduplicated
    send_template_message("default", FOLLOWER, template.template_id, DATA, client_msg_id="2nd")
    assert len(wechat_emulator.sent_messages(FOLLOWER)) == 2
    # After WeChat's 10 minutes the same client_msg_id is a new message.
    wechat_emulator.clock.advance(601)
    send_template_message("default", FOLLOWER, template.template_id, DATA, client_msg_id="2nd")
    assert len(wechat_emulator.sent_messages(FOLLOWER)) == 3


# --- the delivery status ----------------------------------------------------------------


@pytest.fixture
def callback(live_server: Any, wechat_emulator: WeChatEmulator) -> WeChatEmulator:
    """The emulator pushing its events to the live server's callback."""
    wechat_emulator.state().callback_url = f"{live_server.url}/wechat/callback/default/"
    return wechat_emulator


@pytest.mark.parametrize(
    ("wechat_status", "status"),
    [
        ("success", TemplateMessage.Status.DELIVERED),
        ("failed:user block", TemplateMessage.Status.BLOCKED),
        ("failed: system failed", TemplateMessage.Status.SYSTEM_FAILED),
    ],
)
def test_the_job_finish_event_sets_the_status(
    callback: WeChatEmulator, handlers: Registry, wechat_status: str, status: str
) -> None:
    template = synced()
    callback.state().template_job_status = wechat_status
    message = send_template_message("default", FOLLOWER, template.template_id, DATA)
    pushed = callback.wait_for_push("TEMPLATESENDJOBFINISH")
    assert pushed.ok, pushed.error
    assert str(pushed.message["MsgID"]) == message.msgid
    message.refresh_from_db()
    assert message.status == status
    assert message.finished_at is not None
    assert message.error == ""


def test_the_status_is_set_whatever_handler_answers_the_event(
    callback: WeChatEmulator, handlers: Registry
) -> None:
    @handler(event="TEMPLATESENDJOBFINISH")
    def site_handler(message: Any, **kwargs: Any) -> str:
        return "noted"

    @handler
    def catch_all(message: Any, **kwargs: Any) -> str:
        return "anything"

    template = synced()
    message = send_template_message("default", FOLLOWER, template.template_id, DATA)
    pushed = callback.wait_for_push("TEMPLATESENDJOBFINISH")
    assert pushed.content == "noted"
    message.refresh_from_db()
    assert message.status == TemplateMessage.Status.DELIVERED


def test_the_setting_turns_the_status_receiver_off(
    callback: WeChatEmulator, handlers: Registry, settings: Any
) -> None:
    settings.WECHAT = {**settings.WECHAT, "TRACK_TEMPLATE_STATUS": False}
    template = synced()
    message = send_template_message("default", FOLLOWER, template.template_id, DATA)
    assert callback.wait_for_push("TEMPLATESENDJOBFINISH").ok
    message.refresh_from_db()
    assert message.status == TemplateMessage.Status.SENT
    assert message.finished_at is None


def test_an_event_for_no_recorded_message_is_answered_and_logged(
    callback: WeChatEmulator, handlers: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    pushed_event = {
        "MsgType": "event",
        "Event": "TEMPLATESENDJOBFINISH",
        "MsgID": "200163836",
        "Status": "success",
    }
    with caplog.at_level(logging.INFO, logger="django_wechat"):
        result = callback.push(str(callback.state().callback_url), pushed_event)
    assert result.ok
    assert any("which no recorded message has" in r.getMessage() for r in caplog.records)


def test_wechat_statuses_are_read_whatever_their_spacing() -> None:
    assert status_of("failed: system failed") == TemplateMessage.Status.SYSTEM_FAILED
    assert status_of("failed:system failed") == TemplateMessage.Status.SYSTEM_FAILED
    assert status_of("failed:user block") == TemplateMessage.Status.BLOCKED
    assert status_of("Success") == TemplateMessage.Status.DELIVERED
    assert status_of("failed: something new") is None


def test_an_undocumented_status_is_kept_as_the_error(
    callback: WeChatEmulator, handlers: Registry
) -> None:
    template = synced()
    callback.state().template_job_status = "failed: something new"
    message = send_template_message("default", FOLLOWER, template.template_id, DATA)
    callback.wait_for_push("TEMPLATESENDJOBFINISH")
    message.refresh_from_db()
    assert (message.status, message.error) == ("system_failed", "failed: something new")


def test_a_status_write_that_fails_is_logged(
    callback: WeChatEmulator, handlers: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    @handler(event="TEMPLATESENDJOBFINISH")
    def site_handler(message: Any, **kwargs: Any) -> str:
        return "still answered"

    template = synced()
    message = send_template_message("default", FOLLOWER, template.template_id, DATA)

    def refuse_updates(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith("UPDATE") and "django_wechat_templatemessage" in sql:
            raise OperationalError("disk I/O error")  # as Django raises the driver's
        return execute(sql, params, many, context)

    with caplog.at_level(logging.ERROR), connection.execute_wrapper(refuse_updates):
        pushed = callback.wait_for_push("TEMPLATESENDJOBFINISH")
    assert pushed.content == "still answered"
    assert any("Could not record the status" in r.getMessage() for r in caplog.records)
    message.refresh_from_db()
    assert message.status == TemplateMessage.Status.SENT


def test_the_control_api_points_the_job_events_at_a_callback(
    live_server: Any, wechat_emulator: WeChatEmulator, handlers: Registry
) -> None:
    # What a test in another process (or `make demo`) does over HTTP.
    url = f"{live_server.url}/wechat/callback/default/"
    answer = control(
        wechat_emulator, "template_events", {"url": url, "status": "failed:user block"}
    )
    assert answer.json() == {"ok": True}
    assert wechat_emulator.state().callback_url == url
    refused = control(wechat_emulator, "template_events", {"url": "https://example.com/cb"})
    assert refused.status_code == 400
    assert "loopback" in refused.text
    template = synced()
    message = send_template_message("default", FOLLOWER, template.template_id, DATA)
    wechat_emulator.wait_for_push("TEMPLATESENDJOBFINISH")
    message.refresh_from_db()
    assert message.status == TemplateMessage.Status.BLOCKED
    # No URL: no more events.
    control(wechat_emulator, "template_events", {"url": None})
    assert wechat_emulator.state().callback_url is None
