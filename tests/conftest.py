"""Shared fixtures: a real redis-server on a free loopback port, and a cache alias on it."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator

import pytest

from tests.redis_support import REDIS_MISSING, free_port, redis_binary, start_redis


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """Start a throw-away redis-server on 127.0.0.1 and yield its URL.

    Without a redis-server binary the test is skipped with a loud notice, except under
    ``CI=true``, where a missing server fails the run.
    """
    binary = redis_binary()
    workdir = tempfile.mkdtemp(prefix="wechat-redis-")
    port = free_port()
    proc = start_redis(binary, port, workdir)
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
