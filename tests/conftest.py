"""Shared fixtures: a real redis-server on a free loopback port, and a cache alias on it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.redis_support import REDIS_MISSING, RedisServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """Start a throw-away redis-server on 127.0.0.1 and yield its URL.

    Without a redis-server binary the test is skipped with a loud notice, except under
    ``CI=true``, where a missing server fails the run.
    """
    server = RedisServer()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of the test's own, to stop or stall (:class:`RedisServer`)."""
    server = RedisServer()
    try:
        yield server
    finally:
        server.stop()


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
        from django_wechat.cache import settle

        # A reply still waiting to go out (up to 50 ms) would land after the clearing,
        # in the next test's Redis.
        settle()
        caches["redis"].clear()
        caches["redis"].close()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the settings' language: a request through LocaleMiddleware
    (a page asked for in Chinese) leaves its language active in the thread after it."""
    from django.utils import translation

    yield
    translation.deactivate()


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


@pytest.fixture(params=["locmem", "redis"])
def cache_alias(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """WECHAT["CACHE"] on a fresh local-memory cache (one process), or on django-redis and
    a real redis-server."""
    from django.core.cache import caches

    if request.param == "redis":
        yield request.getfixturevalue("redis_cache")
        return
    settings.CACHES = {
        **settings.CACHES,
        "locmem": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"wechat-{time.monotonic_ns()}",
        },
    }
    settings.WECHAT = {**settings.WECHAT, "CACHE": "locmem"}
    yield "locmem"
    caches["locmem"].clear()
