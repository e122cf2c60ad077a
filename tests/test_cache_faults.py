"""A hung cache must not cost WeChat's whole deadline: the check that asks for socket
timeouts (wechat.W003), and a callback against a real redis-server stalled with SIGSTOP."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.checks import Warning, run_checks
from django.test import Client, override_settings

from django_wechat import handler
from django_wechat.starter import REDIS_CACHES
from django_wechat.testing import callback_request
from tests.redis_support import RedisServer
from tests.test_checks import GOOD

TIMEOUTS = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}


def w003(backend: str, options: dict[str, Any] | None, debug: bool = False) -> list[Any]:
    cache: dict[str, Any] = {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:6379/0"}
    if options is not None:
        cache["OPTIONS"] = options
    with override_settings(
        CACHES={"default": cache},
        WECHAT={"ACCOUNTS": {"default": GOOD}},
        DEBUG=debug,
        SILENCED_SYSTEM_CHECKS=[],
    ):
        return [m for m in run_checks(tags=["wechat"]) if m.id == "wechat.W003"]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    ("options", "missing"),
    [
        (None, "SOCKET_CONNECT_TIMEOUT and SOCKET_TIMEOUT"),
        ({"SOCKET_TIMEOUT": 2}, "SOCKET_CONNECT_TIMEOUT"),
        ({"SOCKET_CONNECT_TIMEOUT": 2}, "SOCKET_TIMEOUT"),
        ({"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": None}, "SOCKET_TIMEOUT"),
    ],
)
def test_w003_a_django_redis_cache_without_socket_timeouts(
    options: dict[str, Any] | None, missing: str, debug: bool
) -> None:
    (message,) = w003("django_redis.cache.RedisCache", options, debug)
    assert isinstance(message, Warning)
    assert missing in message.msg
    assert "'default'" in message.msg
    assert REDIS_CACHES in message.hint  # the production settings wechat_init prints


def test_w003_is_quiet_with_both_timeouts_and_for_other_caches() -> None:
    assert (
        w003("django_redis.cache.RedisCache", {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2})
        == []
    )
    assert w003("django.core.cache.backends.db.DatabaseCache", None) == []
    (builtin,) = w003("django.core.cache.backends.redis.RedisCache", {"socket_timeout": 2})
    assert "socket_connect_timeout" in builtin.msg
    assert (
        w003(
            "django.core.cache.backends.redis.RedisCache",
            {"socket_timeout": 2, "socket_connect_timeout": 2},
        )
        == []
    )


def _stalled_callback(settings: Any, server: RedisServer, options: dict[str, Any] | None) -> Any:
    """Point WECHAT["CACHE"] at ``server`` (with ``options``), answer one callback to open a
    connection, SIGSTOP the server, and start a second callback in a thread."""
    cache: dict[str, Any] = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": server.url}
    if options is not None:
        cache["OPTIONS"] = options
    settings.CACHES = {**settings.CACHES, "stalled": cache}
    settings.WECHAT = {**settings.WECHAT, "CACHE": "stalled"}
    assert callback_request(text="warm-up").send(Client()).status_code == 200
    server.pause()
    done: dict[str, Any] = {}

    def deliver() -> None:
        started = time.monotonic()
        done["status"] = callback_request(text="during the stall").send(Client()).status_code
        done["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=deliver, daemon=True)
    thread.start()
    return thread, done


@pytest.mark.redis
def test_with_socket_timeouts_a_stalled_redis_still_gets_an_answer_in_time(
    settings: Any, own_redis: RedisServer, handlers: Any
) -> None:
    @handler(type="text")
    def answer(message: Any, **kwargs: Any) -> str:
        return "answered"

    thread, done = _stalled_callback(settings, own_redis, TIMEOUTS)
    thread.join(timeout=10)
    own_redis.resume()
    assert not thread.is_alive()
    # Answered (with or without de-duplication, as the cache-outage policy says) within
    # the socket timeouts, well inside WeChat's 5 seconds.
    assert done["status"] in (200, 503)
    assert done["seconds"] < 2.5, done


@pytest.mark.redis
@pytest.mark.slow
def test_without_socket_timeouts_a_stalled_redis_holds_the_callback_past_wechats_deadline(
    settings: Any, own_redis: RedisServer, handlers: Any
) -> None:
    thread, done = _stalled_callback(settings, own_redis, None)
    # django-redis' defaults hold each cache call about 5 s: as long as WeChat waits for
    # the whole answer, so this delivery is lost and WeChat's retry meets the same stall.
    thread.join(timeout=4.8)
    hung = thread.is_alive()
    own_redis.resume()
    thread.join(timeout=10)
    assert hung, done
    assert not thread.is_alive()
