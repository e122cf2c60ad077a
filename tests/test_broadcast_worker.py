"""A broadcast on real workers (the demo's ``manage.py db_worker``): one worker killed
with SIGKILL mid-job, another started, ``--resume``: every follower messaged once, none
skipped without a trace."""

from __future__ import annotations

import collections
import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from django_wechat.conf import get_account
from django_wechat.testing.emulator import WeChatEmulator
from tests.demo_support import (
    TESTPROJECT,
    db_worker,
    emulator_env,
    manage,
    on_a_terminal,
    wait_for,
)

FOLLOWERS = 120
SEND = "cgi-bin/message/custom/send"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[WeChatEmulator, dict[str, str]]]:
    account = get_account()
    with WeChatEmulator([account], followers=FOLLOWERS) as emulator:
        env = emulator_env(tmp_path / "db.sqlite3", emulator.url, account)
        manage("migrate", "--noinput", env=env)
        manage("createcachetable", env=env)
        manage(
            "shell",
            "-c",
            "from django_wechat.models import WeChatUser as U; U.objects.bulk_create("
            f"U(account='default', openid=f'o-demo-follower-{{i}}', subscribed=True) "
            f"for i in range(1, {FOLLOWERS + 1}))",
            env=env,
        )
        yield emulator, env


def states(env: dict[str, str], pk: int) -> dict[str, str]:
    out = manage(
        "shell",
        "-c",
        "import json; from django_wechat.models import BroadcastRecipient as R; "
        f"rows = R.objects.filter(broadcast_id={pk}).values_list('openid', 'state'); "
        "print(json.dumps(dict(rows)))",
        env=env,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_worker_killed_mid_broadcast_and_a_resume_message_everyone_once(
    site: tuple[WeChatEmulator, dict[str, str]],
) -> None:
    emulator, env = site
    # 100 ms a call: with 8 sends in flight per lane the job lasts long enough to be killed.
    emulator.fail("delay", api=SEND, delay=0.1, times=10 * FOLLOWERS)
    with db_worker(env) as worker:
        started = manage(
            "wechat_broadcast",
            "--text",
            "限时优惠",
            "--batch-size",
            "10",
            "--concurrency",
            "2",
            env=env,
        ).stdout
        pk = int(re.search(r"Broadcast (\d+) started: 120 followers", started).group(1))  # type: ignore[union-attr]
        wait_for(lambda: emulator.count(SEND) >= 30, timeout=60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    sent_before = emulator.count(SEND)
    assert sent_before < FOLLOWERS  # killed mid-job
    with db_worker(env):
        assert "resumed" in manage("wechat_broadcast", "--resume", str(pk), env=env).stdout
        wait_for(
            lambda: "done" in manage("wechat_broadcast", "--status", str(pk), env=env).stdout,
            timeout=60,
        )
    delivered = collections.Counter(m["touser"] for m in emulator.sent_messages())
    assert max(delivered.values()) == 1  # nobody twice
    final = states(env, pk)
    # Everyone sent, but for the sends in flight at the kill (at most 8 per lane, the
    # default BROADCAST_SENDS_PER_LANE), which stay "sending" (counted as failed: a
    # customer-service text is never sent twice).
    unknown = {o for o, s in final.items() if s == "sending"}
    assert len(unknown) <= 2 * 8
    assert {o for o, s in final.items() if s == "sent"} == set(delivered) - unknown
    assert set(delivered) | unknown == set(final)
    assert len(final) == FOLLOWERS


def test_wait_follows_a_broadcast_the_worker_sends(
    site: tuple[WeChatEmulator, dict[str, str]],
) -> None:
    emulator, env = site
    emulator.fail("delay", api=SEND, delay=0.02, times=10 * FOLLOWERS)
    with db_worker(env):
        run = subprocess.run(
            [sys.executable, "manage.py", "wechat_broadcast", "--text", "等你", "--wait"],
            cwd=TESTPROJECT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].endswith(f"started: {FOLLOWERS} followers.")
    assert f"{FOLLOWERS}/{FOLLOWERS} messages" in run.stdout  # the plain lines, off a terminal
    assert f"done: 100% — sent {FOLLOWERS}, failed 0, blocked 0, remaining 0" in lines[-1]
    assert emulator.count(SEND) == FOLLOWERS


def test_wait_draws_a_bar_on_a_terminal(site: tuple[WeChatEmulator, dict[str, str]]) -> None:
    emulator, env = site
    emulator.fail("delay", api=SEND, delay=0.02, times=10 * FOLLOWERS)
    with db_worker(env):
        status, text = on_a_terminal(["wechat_broadcast", "--text", "等你", "--wait"], env)
    assert status == 0, text
    assert f"{FOLLOWERS}/{FOLLOWERS}" in text
    assert "━" in text  # rich's bar
    assert " messages (" not in text  # not the plain lines
    assert "done: 100%" in text
