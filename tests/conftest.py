"""Shared fixtures: a real redis-server on a free loopback port, and a cache alias on it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest

REDIS_MISSING = (
    "redis-server is not installed, so the Redis tests were SKIPPED. "
    "Install it (apt-get install -y redis-server) to run them."
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """Start a throw-away redis-server on 127.0.0.1 and yield its URL.

    Without a redis-server binary the test is skipped with a loud notice, except under
    ``CI=true``, where a missing server fails the run.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(REDIS_MISSING + " Under CI=true this is a failure.")
        pytest.skip(REDIS_MISSING)
    workdir = tempfile.mkdtemp(prefix="wechat-redis-")
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def redis_cache(redis_server: str, settings: pytest.FixtureRequest) -> Iterator[str]:
    """Make ``WECHAT["CACHE"]`` a django-redis cache on the test redis-server; yield its alias."""
    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "redis": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_server,
            "KEY_PREFIX": f"test-{os.getpid()}-{time.monotonic_ns()}",
        },
    }
    settings.WECHAT = {**settings.WECHAT, "CACHE": "redis"}
    try:
        yield "redis"
    finally:
        caches["redis"].clear()
        caches["redis"].close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [
        r for r in terminalreporter.stats.get("skipped", []) if REDIS_MISSING in str(r.longrepr)
    ]
    if skipped:
        terminalreporter.section("Redis", sep="!", red=True, bold=True)
        terminalreporter.line(f"{len(skipped)} tests: {REDIS_MISSING}", red=True, bold=True)


@pytest.fixture
def handlers() -> Iterator[object]:
    """An empty ``@handler`` registry for one test; the site's handlers come back after."""
    from django_wechat.testing import isolated_handlers

    with isolated_handlers() as isolated:
        yield isolated


@pytest.fixture
def counted(handlers: object) -> list[str]:
    """A text handler that records each run and answers with a per-run number."""
    from django_wechat import handler

    runs: list[str] = []

    @handler(type="text")
    def count(message: Any, **kwargs: Any) -> str:
        runs.append(message.content)
        return f"run {len(runs)}: {message.content}"

    return runs
