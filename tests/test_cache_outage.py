"""While the cache fails: plain mode refuses (no forgery path), encrypted modes follow
WECHAT["CACHE_FAILURE"]; a real redis-server killed and restarted without persistence."""

from __future__ import annotations

import dataclasses
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.test import Client

from django_wechat.testing import callback_request, read_reply, verification_request


class FailingCache(BaseCache):
    """A cache whose every call raises, as a client does when its server is away."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the cache server is away")

    add = get = set = touch = delete = clear = get_many = _fail


class RedisProcess:
    """A private redis-server on a fixed loopback port, to kill and start again."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        # No persistence: a restart forgets every key, as a cache's Redis often does.
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.workdir)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None


@pytest.fixture
def own_redis(settings: Any, tmp_path: Path) -> Iterator[RedisProcess]:
    """WECHAT["CACHE"] on a redis-server of this test's own, which it may kill."""
    server = RedisProcess(tmp_path)
    server.start()
    settings.CACHES = {
        **settings.CACHES,
        "own": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    settings.WECHAT = {**settings.WECHAT, "CACHE": "own"}
    try:
        yield server
    finally:
        caches["own"].close()
        if server.proc is not None:
            server.kill()


@pytest.fixture(params=["failing backend", "killed redis-server"])
def broken_cache(request: pytest.FixtureRequest, settings: Any) -> Iterator[None]:
    """WECHAT["CACHE"] failing: a backend that raises, or a real redis-server killed."""
    if request.param == "killed redis-server":
        request.getfixturevalue("own_redis").kill()
        yield
        return
    settings.CACHES = {
        **settings.CACHES,
        "failing": {"BACKEND": "tests.test_cache_outage.FailingCache"},
    }
    settings.WECHAT = {**settings.WECHAT, "CACHE": "failing"}
    yield


@pytest.mark.parametrize("policy", ["refuse", "answer"])
def test_plain_mode_is_refused_while_the_cache_fails(
    broken_cache: None, counted: list[str], settings: Any, policy: str
) -> None:
    # Without the cache a plain signature cannot be bound to its body: answering would
    # let a signed URL seen once (an access log) carry any body to a handler.
    settings.WECHAT = {**settings.WECHAT, "CACHE_FAILURE": policy}
    seen = callback_request(text="legit", account="plain")
    other = callback_request(text="forged", account="plain")
    forged = dataclasses.replace(seen, body=other.body, message=other.message)
    for request in (seen, forged, forged):
        response = request.send(Client())
        assert response.status_code == 503
        assert "WeChat will deliver the message again" in response.content.decode()
    # The console's URL check too: its signature would be left unbound.
    assert verification_request(account="plain").send(Client()).status_code == 503
    assert counted == []


@pytest.mark.parametrize("name", ["default", "compatible"])
def test_encrypted_modes_are_refused_by_default(
    broken_cache: None, counted: list[str], name: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A captured request replayed three times must not run its handler three times.
    captured = callback_request(text="once", account=name)
    for _ in range(3):
        assert captured.send(Client()).status_code == 503
    assert counted == []
    assert "refusing (503)" in caplog.text


@pytest.mark.parametrize("name", ["default", "compatible"])
def test_encrypted_modes_answer_without_deduplication_when_told_to(
    broken_cache: None, counted: list[str], settings: Any, name: str
) -> None:
    settings.WECHAT = {**settings.WECHAT, "CACHE_FAILURE": "answer"}
    captured = callback_request(text="again", account=name)
    replies = [read_reply(captured.send(Client())).content for _ in range(3)]
    # At least once: the documented price of answering while the cache is down.
    assert replies == ["run 1: again", "run 2: again", "run 3: again"]


def test_wechat_s_retry_after_redis_returns_runs_the_handler_once(
    own_redis: RedisProcess, counted: list[str]
) -> None:
    first = callback_request(text="outage")
    own_redis.kill()
    assert first.send(Client()).status_code == 503
    own_redis.start()
    # WeChat's retries (a new timestamp and nonce each): the first runs the handler, the
    # next is answered from the stored reply.
    for _ in range(2):
        assert read_reply(callback_request(first.message).send(Client())).content == (
            "run 1: outage"
        )
    assert counted == ["outage"]
    # Each claim is one SET (NX GET) on the new server: no script to load first.
    stats = caches["own"].client.get_client(write=True).info("commandstats")  # type: ignore[attr-defined]
    assert stats["cmdstat_set"]["calls"] >= 2
    assert not any(name.startswith(("cmdstat_eval", "cmdstat_script")) for name in stats)


@pytest.mark.parametrize("name", ["default", "plain"])
def test_a_redis_restart_without_persistence_forgets_what_it_vouched_for(
    own_redis: RedisProcess, counted: list[str], name: str
) -> None:
    # What holds (docs/callback.rst): a restart that loses the keys loses the stored
    # replies and the plain signatures' bindings, so a request captured inside the
    # timestamp window runs its handler once more; once, since the new keys vouch again.
    captured = callback_request(text="captured", account=name)
    assert read_reply(captured.send(Client())).content == "run 1: captured"
    assert read_reply(captured.send(Client())).content == "run 1: captured"
    own_redis.kill()
    own_redis.start()
    for _ in range(2):
        assert read_reply(captured.send(Client())).content == "run 2: captured"
    assert counted == ["captured", "captured"]
