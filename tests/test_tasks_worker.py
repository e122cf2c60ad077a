"""Deferred handlers on a real worker: the demo site, its ``manage.py db_worker``
(django-tasks-db) and the emulator, each its own process or thread, sharing one SQLite
file as a deployment shares its database."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from django_wechat.conf import get_account
from django_wechat.testing.emulator import WeChatEmulator
from tests.browser import browser_page, log_in_to_admin
from tests.demo_support import db_worker, emulator_env, manage, runserver, wait_for

FOLLOWER = "o-demo-follower-1"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WeChatEmulator, str, Any]]:
    """The emulator, the demo's callback URL and its environment, with a worker running."""
    db: Path = tmp_path_factory.mktemp("tasks-worker") / "db.sqlite3"
    account = get_account()
    with WeChatEmulator([account]) as emulator:
        env = emulator_env(db, emulator.url, account)
        env["DEMO_SLOW_SECONDS"] = "1"
        manage("migrate", "--noinput", env=env)
        manage("createcachetable", env=env)
        manage("demo_setup", env=env)
        with runserver(env) as url, db_worker(env) as worker:
            yield emulator, url + "/wechat/callback/default/", env
            assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""


def shell(env: Any, code: str) -> Any:
    """Run ``code`` in the demo (``manage.py shell``); it prints JSON, returned parsed."""
    return json.loads(manage("shell", "-c", code, env=env).stdout.strip().splitlines()[-1])


def task_results(env: Any) -> list[dict[str, Any]]:
    return shell(  # type: ignore[no-any-return]
        env,
        "import json; from django_tasks_db.models import DBTaskResult as R; "
        "print(json.dumps(list(R.objects.filter(task_path__contains='deferred_reply')"
        ".order_by('enqueued_at').values('status', 'args_kwargs', 'return_value'))))",
    )


def customer_texts(emulator: WeChatEmulator, content: str) -> list[dict[str, Any]]:
    return [
        m
        for m in emulator.sent_messages(FOLLOWER)
        if m["kind"] == "custom" and content in m.get("text", {}).get("content", "")
    ]


def test_a_slow_reply_arrives_once_through_customer_service(
    demo: tuple[WeChatEmulator, str, Any],
) -> None:
    emulator, url, env = demo
    msg_id = 7_001_000_001
    start = time.monotonic()
    first = emulator.push(url, {"MsgType": "text", "Content": "slow", "MsgId": msg_id})
    answered = time.monotonic() - start
    # The callback answers "success" at once, although the handler takes a second.
    assert first.ok, first.error
    assert first.body == "success"
    assert answered < 1.0
    # WeChat delivers the same message again (its retries): nothing new is enqueued.
    for _ in range(2):
        again = emulator.push(url, {"MsgType": "text", "Content": "slow", "MsgId": msg_id})
        assert again.body == "success"

    sent = wait_for(lambda: customer_texts(emulator, "that took 1 seconds"))
    assert len(sent) == 1
    assert len(emulator.calls("cgi-bin/message/custom/typing")) >= 1
    typing = emulator.calls("cgi-bin/message/custom/typing")[0]
    send = list(emulator.calls("cgi-bin/message/custom/send"))[-1]
    assert typing.time <= send.time

    results = wait_for(
        lambda: [r for r in task_results(env) if r["status"] == "SUCCESSFUL"] or None
    )
    assert len(task_results(env)) == 1  # WeChat's retries enqueued nothing
    assert results[0]["return_value"] == "sent"

    # The backend runs the task again (a retry, with the same arguments): nothing is sent.
    args = results[0]["args_kwargs"]["args"]
    shell(
        env,
        "import json; from django_wechat.tasks import deferred_reply; "
        f"print(json.dumps(deferred_reply.enqueue(*{args!r}).id))",
    )
    retried = wait_for(
        lambda: [r for r in task_results(env) if r["status"] == "SUCCESSFUL"][1:] or None
    )
    assert retried[0]["return_value"] == "sent"
    time.sleep(0.3)
    assert len(customer_texts(emulator, "that took 1 seconds")) == 1


def test_a_plain_handler_still_answers_in_the_callback(
    demo: tuple[WeChatEmulator, str, Any],
) -> None:
    emulator, url, _env = demo
    result = emulator.push_text(url, "hello")
    assert result.ok, result.error
    assert result.content is not None
    assert "django_wechat" in result.content


def test_the_demo_page_is_up(demo: tuple[WeChatEmulator, str, Any]) -> None:
    _emulator, url, _env = demo
    assert requests.get(url.replace("/wechat/callback/default/", "/"), timeout=5).status_code == 200


def test_the_demo_page_shows_the_slow_reply_arriving(
    demo: tuple[WeChatEmulator, str, Any],
) -> None:
    emulator, url, _env = demo
    site = url.replace("/wechat/callback/default/", "")
    before = emulator.count("cgi-bin/message/custom/send")
    with browser_page() as page:
        log_in_to_admin(page, site)
        page.goto(site + "/slow/")
        page.click("#send-slow")
        page.wait_for_load_state()
        assert "answered “success”" in page.content()
        # The page refreshes itself until the worker has sent the reply.
        page.wait_for_selector("#deferred tr:nth-child(2) .state:text('sent')", timeout=20_000)
    assert emulator.count("cgi-bin/message/custom/send") == before + 1


def test_the_broadcast_admin_page_shows_progress_in_a_browser(
    demo: tuple[WeChatEmulator, str, Any],
) -> None:
    emulator, url, env = demo
    site = url.replace("/wechat/callback/default/", "")
    manage(
        "shell",
        "-c",
        "from django_wechat.models import WeChatUser as U; [U.objects.get_or_create("
        "account='default', openid=f'o-demo-follower-{i}', defaults={'subscribed': True}) "
        "for i in range(1, 6)]",
        env=env,
    )
    seen = []
    with browser_page() as page:
        log_in_to_admin(page, site)
        emulator.fail("delay", api="cgi-bin/message/custom/send", delay=1.0, times=5)
        manage(
            "wechat_broadcast", "--text", "进度", "--batch-size", "1", "--concurrency", "1", env=env
        )
        deadline = time.monotonic() + 30
        row = ""
        while time.monotonic() < deadline:
            page.goto(site + "/admin/django_wechat/broadcast/")
            bar = page.locator("progress.broadcast-progress").first
            seen.append((int(bar.get_attribute("value") or 0), int(bar.get_attribute("max") or 0)))
            row = page.locator("#result_list tbody tr").first.inner_text().lower()
            # The last send is counted a moment before its lane marks the job done.
            if seen[-1] == (5, 5) and "done" in row:
                break
            time.sleep(0.2)
        assert seen[-1] == (5, 5)
        counts = page.locator(".broadcast-counts").first.inner_text()
        assert "5 / 0 / 0 / 0" in counts, shell(
            env,
            "import json; from django_wechat.models import BroadcastRecipient as R; "
            "print(json.dumps(list(R.objects.values_list('openid', 'state', 'errcode'))))",
        )
        assert "done" in row
    assert seen[0][0] < 5  # the page showed it under way
    assert [v for v, _ in seen] == sorted(v for v, _ in seen)
