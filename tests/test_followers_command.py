"""``manage.py wechat_sync_users`` as a process (the demo project, its own SQLite file)
against the emulator over loopback HTTP: killed with SIGKILL mid-way and resumed, and its
progress bar on a terminal (a pty)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from django_wechat.conf import get_account
from django_wechat.testing.emulator import WeChatEmulator

from .demo_support import TESTPROJECT, emulator_env, manage, on_a_terminal

pytestmark = pytest.mark.slow

BATCHGET = "cgi-bin/user/info/batchget"


def progress(db: Path) -> tuple[int, str]:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT done, state FROM django_wechat_followersync").fetchone()
    return (row[0], row[1]) if row else (0, "")


def followers(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT COUNT(*), COUNT(DISTINCT openid) FROM django_wechat_wechatuser")
        count, distinct = rows.fetchone()
    return count, distinct


def test_a_sync_killed_mid_way_resumes_without_losing_or_duplicating(tmp_path: Path) -> None:
    account = get_account()
    with WeChatEmulator([account]) as emulator:
        emulator.generate_followers(3000)
        emulator.fail("delay", api=BATCHGET, times=10_000, delay=0.05)
        db = tmp_path / "db.sqlite3"
        env = emulator_env(db, emulator.url, account)
        manage("migrate", "--noinput", env=env)
        manage("createcachetable", env=env)
        sync = subprocess.Popen(
            [sys.executable, "manage.py", "wechat_sync_users", "--full", "--workers", "2"],
            cwd=TESTPROJECT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while progress(db)[0] < 1000:
            assert sync.poll() is None, sync.stderr.read() if sync.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(sync.pid, signal.SIGKILL)
        sync.wait(timeout=10)
        done, state = progress(db)
        assert 1000 <= done < 3005
        assert state == "running"  # killed: it had no chance to say anything
        written, distinct = followers(db)
        assert written == distinct
        assert written >= done

        resumed = manage("wechat_sync_users", "--full", "--workers", "2", env=env)
        assert "Resuming the sync of account default at" in resumed.stdout
        assert "Resumed the sync that had stopped. Synced 3005 followers" in resumed.stdout
        assert followers(db) == (3005, 3005)
        assert progress(db) == (3005, "done")
        with sqlite3.connect(db) as conn:
            created, unsubscribed = conn.execute(
                "SELECT created, (SELECT COUNT(*) FROM django_wechat_wechatuser "
                "WHERE subscribed = 0) FROM django_wechat_followersync"
            ).fetchone()
        assert created == 3005  # each row counted once, the killed run's batches included
        assert unsubscribed == 0


def test_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    account = get_account()
    with WeChatEmulator([account]) as emulator:
        emulator.generate_followers(2000)
        emulator.fail("delay", api=BATCHGET, times=10_000, delay=0.02)
        db = tmp_path / "db.sqlite3"
        env = emulator_env(db, emulator.url, account)
        manage("migrate", "--noinput", env=env)
        manage("createcachetable", env=env)
        status, text = on_a_terminal(["wechat_sync_users", "--workers", "2"], env)
    assert status == 0
    assert "Followers" in text
    assert "2005/2005" in text
    assert "━" in text  # rich's bar
    assert "\x1b[" in text
    assert " followers (" not in text  # not the plain lines
    assert "Synced 2005 followers" in text
