"""Deferred handlers on RQ: the demo with ``TASKS`` on django-tasks-rq, two
``rqworker`` processes on a real redis-server. Only the setting differs from the database
backend's test (tests/test_tasks_worker.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django_tasks_rq  # noqa: F401  (the RQ backend these tests run; in the test extra)
import pytest

from django_wechat.conf import get_account
from django_wechat.testing.emulator import WeChatEmulator
from tests.demo_support import TESTPROJECT, emulator_env, manage, runserver

pytestmark = pytest.mark.redis

FOLLOWER = "o-demo-follower-1"


@pytest.fixture
def rq_demo(tmp_path: Path, redis_server: str) -> Iterator[tuple[WeChatEmulator, str]]:
    account = get_account()
    with WeChatEmulator([account]) as emulator:
        env = emulator_env(tmp_path / "db.sqlite3", emulator.url, account)
        env.update(DEMO_SLOW_SECONDS="1", DEMO_TASKS_REDIS=redis_server)
        manage("migrate", "--noinput", env=env)
        manage("createcachetable", env=env)
        workers = [
            subprocess.Popen(
                [sys.executable, "manage.py", "rqworker", "--job-class", "django_tasks_rq.Job"],
                cwd=TESTPROJECT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        try:
            with runserver(env) as url:
                yield emulator, url + "/wechat/callback/default/"
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=10)


def test_two_rq_workers_send_a_slow_reply_once(rq_demo: tuple[WeChatEmulator, str]) -> None:
    emulator, url = rq_demo
    for n in range(3):  # the message, then WeChat's two retries of it
        result = emulator.push(url, {"MsgType": "text", "Content": "slow", "MsgId": 424242})
        assert result.body == "success", (n, result.error)
    # A second, different message: the other worker can take it at the same time.
    emulator.push(url, {"MsgType": "text", "Content": "slow down", "MsgId": 434343})

    def texts() -> list[Any]:
        return [m for m in emulator.sent_messages(FOLLOWER) if m["kind"] == "custom"]

    deadline = time.monotonic() + 40
    while len(texts()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # a duplicate would have arrived by now
    assert len(texts()) == 2
    assert all("that took 1 seconds" in m["text"]["content"] for m in texts())
