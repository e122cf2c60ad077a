"""Run the demo site (testproject) as `make demo` does: migrate, demo_setup, runserver."""

from __future__ import annotations

import os
import pty
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from django_wechat.conf import Account, AccountKind, get_account
from django_wechat.testing.emulator import WeChatEmulator

ROOT = Path(__file__).resolve().parent.parent
TESTPROJECT = ROOT / "testproject"


def demo_env(db: Path, **extra: str) -> dict[str, str]:
    """The environment of a demo process with its own SQLite file ``db``."""
    return {
        **os.environ,
        "DEMO_DB": str(db),
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


#: The demo's website app and mini program (testproject/settings.py's defaults).
DEMO_WEB = Account("web", "wxd0000000000000b1", "demo-web-secret", kind=AccountKind.WEBSITE)
DEMO_MINI = Account("mini", "wxd0000000000000c1", "demo-mini-secret", kind=AccountKind.MINIPROGRAM)


def emulator_env(db: Path, emulator_url: str, account: Account, **extra: str) -> dict[str, str]:
    """A demo process's environment pointing it at an emulator with ``account`` (and the
    demo's website app and mini program)."""
    return demo_env(
        db,
        WECHAT_EMULATOR_URL=emulator_url,
        WECHAT_APP_ID=account.app_id,
        WECHAT_APP_SECRET=account.app_secret,
        WECHAT_TOKEN=account.token,
        WECHAT_ENCODING_AES_KEY=account.encoding_aes_key,
        **extra,
    )


def manage(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """``manage.py <args>`` of the demo; raises when it fails."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=TESTPROJECT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def wait_for(condition: Callable[[], Any], timeout: float = 30) -> Any:
    """Ask ``condition`` every 50 ms until it answers something true, and return that; an
    AssertionError after ``timeout`` seconds (for the demo's processes to get somewhere)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{condition} stayed false for {timeout} s")


def on_a_terminal(args: list[str], env: Mapping[str, str], timeout: float = 60) -> tuple[int, str]:
    """``manage.py <args>`` of the demo with a pseudo-terminal for its output (as a person
    runs it in a shell): its exit status and what it drew. Killed after ``timeout``
    seconds (an AssertionError), so a command that never ends cannot hang the suite."""
    controller, terminal = pty.openpty()
    command = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=TESTPROJECT,
        env={**env, "TERM": "xterm-256color", "COLUMNS": "120"},
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                command.kill()
                raise AssertionError(f"manage.py {' '.join(args)} ran over {timeout} s")
            readable, _, _ = select.select([controller], [], [], left)
            if not readable:
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(controller)
    return command.wait(timeout=10), output.decode("utf-8", "replace")


@contextmanager
def runserver(env: Mapping[str, str]) -> Iterator[str]:
    """The demo's runserver on a free loopback port; yields its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=TESTPROJECT,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            # The first page a fresh runserver renders can take seconds on a loaded machine.
            requests.get(url + "/admin/login/", timeout=10)
            break
        except requests.RequestException:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(server.stderr.read().decode() if server.stderr else "") from None
            time.sleep(0.1)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def demo_with_emulator(
    db: Path, *, website_login: bool = False, followers: int = 5
) -> Iterator[tuple[WeChatEmulator, str]]:
    """An emulator with ``followers`` demo followers per account, and the demo site
    (migrated, demo_setup run, a runserver) pointed at it with the test account's
    credentials: yields the emulator and the site's URL. The website QR login of
    @wechat_login_required pages is on with ``website_login``."""
    account = get_account()
    with WeChatEmulator([account, DEMO_WEB, DEMO_MINI], followers=followers) as emulator:
        env = emulator_env(
            db, emulator.url, account, DEMO_WEBSITE_LOGIN="1" if website_login else "0"
        )
        manage("migrate", "--noinput", env=env)
        manage("createcachetable", env=env)
        manage("demo_setup", env=env)
        with runserver(env) as url:
            yield emulator, url


@contextmanager
def db_worker(env: Mapping[str, str], *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """The demo's task worker (``manage.py db_worker``, django-tasks-db) as a process;
    stopped (SIGTERM, then SIGKILL) when the block ends."""
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--no-reload",
            *args,
        ],
        cwd=TESTPROJECT,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
