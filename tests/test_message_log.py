"""The inbound message log (``WECHAT["LOG_MESSAGES"]``), through the emulator's pushes to a
live callback: on and off, a write that fails on a table that is gone (the follower still
gets the answer), the admin's read-only list with the follower linked, and
``wechat_purge_messages``."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from django_wechat.handlers import Registry, handler
from django_wechat.models import InboundMessage, WeChatUser
from django_wechat.testing.emulator import WeChatEmulator

pytestmark = pytest.mark.django_db

FOLLOWER = "o-demo-follower-2"
CHANGELIST = "/admin/django_wechat/inboundmessage/"


@pytest.fixture
def site(live_server: Any, wechat_emulator: WeChatEmulator, handlers: Registry) -> str:
    @handler(content="你好")
    def greet(message: Any, account: Any, **kwargs: Any) -> str:
        # Database work after the log's write: it must still work when that write failed.
        WeChatUser.objects.get_or_create(account=account.name, openid=message.source)
        return "您好！"

    return f"{live_server.url}/wechat/callback/default/"


@pytest.fixture
def logging_on(settings: Any) -> None:
    settings.WECHAT = {**settings.WECHAT, "LOG_MESSAGES": True}


def test_the_log_is_off_by_default(site: str, wechat_emulator: WeChatEmulator) -> None:
    assert wechat_emulator.push_text(site, "你好", openid=FOLLOWER).content == "您好！"
    assert InboundMessage.objects.count() == 0


def test_every_message_and_event_is_logged(
    site: str, wechat_emulator: WeChatEmulator, logging_on: None
) -> None:
    text = wechat_emulator.push_text(site, "你好", openid=FOLLOWER)
    assert text.content == "您好！"
    assert wechat_emulator.push_event(site, "CLICK", key="V1001_GOOD", openid=FOLLOWER).ok
    event, message = InboundMessage.objects.order_by("-pk")
    assert (message.account, message.openid, message.msg_type) == ("default", FOLLOWER, "text")
    assert message.summary == "你好"
    assert message.msg_id == str(text.message["MsgId"])
    assert message.raw["Content"] == "你好"
    assert "Encrypt" not in message.raw  # the default account is in safe mode
    assert message.created_at.timestamp() == text.message["CreateTime"]
    assert (event.msg_type, event.event, event.summary, event.msg_id) == (
        "event",
        "click",
        "V1001_GOOD",
        "",
    )


def test_a_failed_write_is_logged_and_the_follower_gets_the_answer(
    site: str,
    wechat_emulator: WeChatEmulator,
    logging_on: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A real failure: the log's table is gone (a migration not run, a table dropped).
    with connection.schema_editor() as editor:
        editor.delete_model(InboundMessage)
    try:
        with caplog.at_level(logging.ERROR, logger="django_wechat"):
            result = wechat_emulator.push_text(site, "你好", openid=FOLLOWER)
    finally:
        with connection.schema_editor() as editor:
            editor.create_model(InboundMessage)
    assert result.ok, result.error
    assert result.content == "您好！"
    (record,) = [r for r in caplog.records if "Could not log the text message" in r.getMessage()]
    assert record.exc_info is not None
    assert "no such table" in str(record.exc_info[1])
    # The handler's own database work went on after the failed write.
    assert WeChatUser.objects.filter(openid=FOLLOWER).exists()


def test_the_admin_lists_the_log_read_only_with_the_follower_linked(
    site: str, wechat_emulator: WeChatEmulator, logging_on: None, admin_client: Client
) -> None:
    user = WeChatUser.objects.create(account="default", openid=FOLLOWER, nickname="小王")
    wechat_emulator.push_text(site, "你好", openid=FOLLOWER)
    wechat_emulator.push_text(site, "在吗", openid="o-demo-follower-3")
    page = admin_client.get(CHANGELIST).content.decode()
    assert f'<a href="/admin/django_wechat/wechatuser/{user.pk}/change/">小王</a>' in page
    assert "o-demo-follower-3" in page
    assert "在吗" in page
    assert "/admin/django_wechat/inboundmessage/add/" not in page
    message = InboundMessage.objects.get(openid=FOLLOWER)
    detail = admin_client.get(f"{CHANGELIST}{message.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # nothing to save: read-only
    assert admin_client.post(f"{CHANGELIST}{message.pk}/delete/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}?msg_type__exact=text").status_code == 200


def purge(*args: str) -> str:
    out = io.StringIO()
    call_command("wechat_purge_messages", *args, stdout=out)
    return out.getvalue()


def test_purge_deletes_what_is_older_than_the_days_given() -> None:
    now = timezone.now()
    for days in (0, 3, 10):
        message = InboundMessage.objects.create(
            account="default", openid=FOLLOWER, msg_type="text", created_at=now
        )
        InboundMessage.objects.filter(pk=message.pk).update(
            received_at=now - timedelta(days=days, minutes=1)
        )
    assert "Deleted 1 inbound messages older than 7 days." in purge("--older-than", "7")
    assert InboundMessage.objects.count() == 2
    assert "Deleted 0 inbound messages" in purge("--older-than", "2", "--account", "other")
    assert "Deleted 2 inbound messages" in purge("--older-than", "0")
    with pytest.raises(CommandError, match="0 or more"):
        purge("--older-than", "-1")


@pytest.mark.parametrize("name", ["LOG_MESSAGES", "TRACK_TEMPLATE_STATUS"])
def test_the_switches_must_be_booleans(settings: Any, name: str) -> None:
    from django.core.checks import run_checks
    from django.test import override_settings

    def problems(value: Any) -> list[Any]:
        with override_settings(WECHAT={**settings.WECHAT, name: value}):
            return [m for m in run_checks(tags=["wechat"]) if m.id != "wechat.W001"]

    assert problems(True) == []
    assert problems(False) == []
    (problem,) = problems("yes")
    assert problem.id == "wechat.E010"
    assert f"WECHAT['{name}'] must be True or False, not 'yes'." in problem.msg
