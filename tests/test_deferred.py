"""``@handler(defer=True)`` in one process: the callback enqueues (Django's Tasks
framework, its DummyBackend keeping what was enqueued), and the task sends the reply
through the customer-service API of the emulator, once."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from django_wechat import handler, taskapi
from django_wechat.conf import get_account
from django_wechat.deferred import MiniProgramCard, record_key
from django_wechat.dispatch import dedup_key
from django_wechat.messages import parse_message
from django_wechat.models import DeferredReply
from django_wechat.replies import ImageReply, MusicReply, TransferCustomerServiceReply, VideoReply
from django_wechat.tasks import check_deferred_handlers, deferred_reply
from django_wechat.testing import callback_request, read_reply
from django_wechat.testing.emulator import WeChatEmulator

pytestmark = pytest.mark.django_db

FOLLOWER = "o-demo-follower-1"
# django.tasks on Django 6, the backport on 5.2: the backends' paths follow.
API = taskapi.api_name()
DUMMY = {"default": {"BACKEND": f"{API}.backends.dummy.DummyBackend"}}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def dummy_tasks(settings: Any) -> Any:
    settings.TASKS = DUMMY
    backend = taskapi.backend()
    backend.clear()
    return backend


def run_enqueued(backend: Any) -> list[Any]:
    """Run what the callback enqueued, as a worker would (each once); their results."""
    return [result.task.call(*result.args, **result.kwargs) for result in backend.results]


def test_the_callback_answers_success_and_enqueues_once(
    handlers: Any, dummy_tasks: Any, wechat_emulator: WeChatEmulator, client: Client
) -> None:
    calls: list[dict[str, Any]] = []

    @handler(type="text", defer=True)
    def slow(message: Any, **kwargs: Any) -> str:
        calls.append(kwargs)
        return f"slowly: {message.content}"

    request = callback_request(text="ask", MsgId="99887766")
    for _ in range(3):  # WeChat's delivery and its two retries
        response = request.send(client)
        assert response.status_code == 200
        assert read_reply(response).empty
    assert len(dummy_tasks.results) == 1
    assert calls == []  # nothing ran inside the request

    assert run_enqueued(dummy_tasks) == ["sent"]
    (kwargs,) = calls
    assert set(kwargs) == {"account"}  # no request: it runs outside one
    assert kwargs["account"].name == "default"
    sent = wechat_emulator.sent_messages(FOLLOWER)
    assert [m["text"]["content"] for m in sent] == ["slowly: ask"]
    assert wechat_emulator.calls("cgi-bin/message/custom/typing")[0].body == {
        "touser": FOLLOWER,
        "command": "Typing",
    }
    # The backend runs it again (a retry): the record says it was sent, nothing is sent.
    assert run_enqueued(dummy_tasks) == ["sent"]
    assert len(wechat_emulator.sent_messages(FOLLOWER)) == 1
    (record,) = DeferredReply.objects.all()
    assert (record.state, record.runs, record.openid) == ("sent", 1, FOLLOWER)


def _run_once(handlers: Any, reply: Any, fields: dict[str, Any] | None = None) -> str:
    @handler(type="text", defer=True)
    def answer(message: Any, **kwargs: Any) -> Any:
        if isinstance(reply, Exception):
            raise reply
        return reply(message) if callable(reply) else reply

    raw = {
        "ToUserName": "gh_test",
        "FromUserName": FOLLOWER,
        "CreateTime": "1700000000",
        "MsgType": "text",
        "Content": "x",
        "MsgId": str(id(reply)),
        **(fields or {}),
    }
    message = parse_message(raw)
    key = dedup_key(message, get_account())
    result: str = deferred_reply.call("default", raw, f"{__name__}._run_once.<locals>.answer", key)
    handlers.clear()
    return result


def test_every_reply_kind_has_a_customer_service_form(
    handlers: Any, wechat_emulator: WeChatEmulator
) -> None:
    from django_wechat import get_client

    media = get_client().media
    image = media.upload("image", PNG, filename="a.png")["media_id"]
    thumb = media.upload("thumb", b"\xff\xd8\xff" + b"\0" * 32, filename="t.jpg")["thumb_media_id"]
    replies = [
        "text",
        lambda m: ImageReply(message=m, media_id=image),
        lambda m: VideoReply(message=m, media_id=image, title="v"),
        lambda m: MusicReply(
            message=m,
            thumb_media_id=thumb,
            music_url="https://m/1.mp3",
            hq_music_url="https://m/hq",
        ),
        [{"title": "t", "url": "https://a/"}, {"title": "second", "url": "https://b/"}],
        MiniProgramCard(title="mp", appid="wxabc", pagepath="pages/i", thumb_media_id=thumb),
    ]
    assert [_run_once(handlers, r) for r in replies] == ["sent"] * len(replies)
    sent = wechat_emulator.sent_messages(FOLLOWER)
    assert [m["msgtype"] for m in sent] == [
        "text",
        "image",
        "video",
        "music",
        "news",
        "miniprogrampage",
    ]
    assert sent[4]["news"]["articles"][0]["title"] == "t"
    assert sent[5]["miniprogrampage"]["pagepath"] == "pages/i"


def test_a_failure_is_logged_and_the_fallback_sent(
    handlers: Any, wechat_emulator: WeChatEmulator, settings: Any, caplog: Any
) -> None:
    settings.WECHAT = {**settings.WECHAT, "DEFERRED_FALLBACK": "稍后再试"}
    with caplog.at_level(logging.ERROR, logger="django_wechat.deferred"):
        assert _run_once(handlers, RuntimeError("model down")) == "failed"
    assert "raised" in caplog.text
    assert [m["text"]["content"] for m in wechat_emulator.sent_messages(FOLLOWER)] == ["稍后再试"]
    assert "model down" in DeferredReply.objects.get().error


def test_a_failure_without_a_fallback_sends_nothing(
    handlers: Any, wechat_emulator: WeChatEmulator
) -> None:
    assert _run_once(handlers, RuntimeError("boom")) == "failed"
    assert wechat_emulator.sent_messages(FOLLOWER) == []


def test_a_reply_wechat_refuses_is_failed_not_retried(
    handlers: Any, wechat_emulator: WeChatEmulator
) -> None:
    wechat_emulator.fail("errcode", api="cgi-bin/message/custom/send", errcode=45015)
    assert _run_once(handlers, "late") == "failed"
    assert _run_once(handlers, lambda m: TransferCustomerServiceReply(message=m)) == "failed"
    assert wechat_emulator.sent_messages(FOLLOWER) == []
    assert wechat_emulator.count("cgi-bin/message/custom/send") == 1


def test_a_run_that_died_mid_handler_runs_again(
    handlers: Any, wechat_emulator: WeChatEmulator
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    raw = {
        "FromUserName": FOLLOWER,
        "ToUserName": "gh",
        "CreateTime": "1",
        "MsgType": "text",
        "Content": "x",
        "MsgId": "555",
    }
    key = dedup_key(parse_message(raw), get_account())
    DeferredReply.objects.create(
        key=record_key(key), account="default", openid=FOLLOWER, handler="h", state="running"
    )

    @handler(type="text", defer=True)
    def h(message: Any, **kwargs: Any) -> str:
        return "again"

    name = f"{__name__}.test_a_run_that_died_mid_handler_runs_again.<locals>.h"
    assert deferred_reply.call("default", raw, name, key) == "running"  # still leased
    DeferredReply.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    assert deferred_reply.call("default", raw, name, key) == "sent"
    assert len(wechat_emulator.sent_messages(FOLLOWER)) == 1


def test_checks_warn_about_a_backend_inside_the_request(handlers: Any, settings: Any) -> None:
    assert check_deferred_handlers() == []

    @handler(type="text", defer=True)
    def slow(message: Any, **kwargs: Any) -> str:
        return ""

    settings.TASKS = {"default": {"BACKEND": f"{API}.backends.immediate.ImmediateBackend"}}
    (warning,) = check_deferred_handlers()
    assert warning.id == "wechat.W150"
    assert "slow" in warning.msg
    settings.TASKS = DUMMY
    assert check_deferred_handlers() == []


def test_checks_refuse_defer_without_the_framework(
    handlers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    @handler(type="text", defer=True)
    def slow(message: Any, **kwargs: Any) -> str:
        return ""

    monkeypatch.setattr(taskapi, "_API", None)
    (error,) = check_deferred_handlers()
    assert error.id == "wechat.E150"
    with pytest.raises(taskapi.ImproperlyConfigured, match="Tasks framework"):
        taskapi.task()(slow).enqueue()
