"""A claim is a lease: a worker killed mid-handler loses no message, and a live slow
handler is never run twice (on local memory, a file cache and a real Redis)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from django_wechat import cache as wcache
from django_wechat import handler
from django_wechat.dispatch import dispatcher
from django_wechat.handlers import Registry
from django_wechat.testing import callback_request, read_reply

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["redis", "filebased"])
def shared_cache(
    request: pytest.FixtureRequest, settings: Any, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """A cache another process shares, as WECHAT["CACHE"]: yields its CACHES entry."""
    if request.param == "redis":
        alias = request.getfixturevalue("redis_cache")
        yield dict(settings.CACHES[alias])
        return
    config = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(tmp_path / "cache"),
    }
    settings.CACHES = {**settings.CACHES, "files": config}
    settings.WECHAT = {**settings.WECHAT, "CACHE": "files"}
    yield config


def start_worker(request: Any, cache: dict[str, Any], **timing: float) -> subprocess.Popen[str]:
    """A process delivering ``request`` whose handler blocks; returns once the handler runs."""
    config = {"cache": cache, "url": request.url, "body": request.body.decode(), **timing}
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.lease_worker", json.dumps(config)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    line = worker.stdout.readline()
    assert line.strip() == "handler started", line
    return worker


def kill(worker: subprocess.Popen[str]) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)


def test_a_worker_killed_mid_handler_loses_no_message(
    shared_cache: dict[str, Any], counted: list[str]
) -> None:
    # gunicorn's timeout, the OOM killer, a deploy: the handler's process dies without
    # answering. Its claim (3 s, the default) must not outlive WeChat's next delivery.
    first = callback_request(text="killed")
    worker = start_worker(first, shared_cache)
    try:
        time.sleep(0.2)
    finally:
        kill(worker)
    sent = time.monotonic()
    retry = callback_request(first.message).send(Client())
    waited = time.monotonic() - sent
    assert read_reply(retry).content == "run 1: killed"
    assert counted == ["killed"]
    # Within WeChat's 5 s: the retry waited for the dead worker's lease, not longer.
    assert waited < 4
    # The retry's reply is the stored one from now on.
    assert read_reply(callback_request(first.message).send(Client())).content == "run 1: killed"
    assert counted == ["killed"]


def test_a_live_worker_keeps_its_claim_past_the_lease(
    shared_cache: dict[str, Any], counted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Across processes: the worker's handler outlives its lease several times over, and
    # a retry in between still finds the claim renewed.
    timing = {"claim_timeout": 0.6, "renew_interval": 0.2}
    for name, value in timing.items():
        monkeypatch.setattr(dispatcher, name, value, raising=False)
    monkeypatch.setattr(dispatcher, "wait_timeout", 0.3)
    first = callback_request(text="alive")
    worker = start_worker(first, shared_cache, **timing)
    try:
        time.sleep(1.5)
        assert callback_request(first.message).send(Client()).content == b"success"
        assert counted == []
    finally:
        kill(worker)
    monkeypatch.setattr(dispatcher, "wait_timeout", 4.0)
    # Dead now: its claim lapses within the lease and the next delivery runs the handler.
    assert read_reply(callback_request(first.message).send(Client())).content == "run 1: alive"


def test_a_slow_live_handler_is_not_run_twice_by_concurrent_retries(
    cache_alias: str, handlers: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatcher, "claim_timeout", 0.6)
    monkeypatch.setattr(dispatcher, "renew_interval", 0.2, raising=False)
    runs: list[str] = []

    @handler(type="text")
    def slow(message: Any, **kwargs: Any) -> str:
        runs.append(message.content)
        time.sleep(2.0)  # more than three leases
        return "slow but once"

    first = callback_request(text="slow")
    answers: list[Any] = []

    def deliver(request: Any) -> None:
        answers.append(request.send(Client()))

    threads = [threading.Thread(target=deliver, args=(first,))]
    threads[0].start()
    for _ in range(5):  # WeChat's retries, and more, while the handler runs
        time.sleep(0.3)
        thread = threading.Thread(target=deliver, args=(callback_request(first.message),))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(15)
    assert runs == ["slow"]
    assert [read_reply(answer).content for answer in answers] == ["slow but once"] * 6


def test_extend_if_equal_extends_only_its_own_claim(cache_alias: str) -> None:
    cache = caches[cache_alias]
    key = "django_wechat:test:lease"
    assert wcache.claim(cache, key, "mine", 0.3) == (True, None)
    assert wcache.claim(cache, key, "theirs", 0.3) == (False, "mine")
    assert wcache.extend_if_equal(cache, key, "mine", 1.0)
    assert not wcache.extend_if_equal(cache, key, "theirs", 1.0)
    time.sleep(0.5)
    assert cache.get(key) == "mine"  # extended past its first 0.3 s
    wcache.delete_if_equal(cache, key, "theirs")
    assert cache.get(key) == "mine"
    wcache.delete_if_equal(cache, key, "mine")
    assert cache.get(key) is None
    assert not wcache.extend_if_equal(cache, key, "mine", 1.0)


def test_a_lapsed_lease_is_logged(
    cache_alias: str, handlers: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    # If the claim vanishes while the handler runs (the cache evicted or lost it), the
    # renewer says so: that message may run twice.
    from django_wechat.dispatch import dedup_key
    from django_wechat.messages import parse_message

    first = callback_request(text="lapsed")
    key = dedup_key(parse_message(first.message), first.account)

    @handler(type="text")
    def slow(message: Any, **kwargs: Any) -> str:
        caches[cache_alias].delete(key)
        time.sleep(0.5)
        return "done"

    dispatcher_timing = {"claim_timeout": 0.6, "renew_interval": 0.1}
    saved = {name: getattr(dispatcher, name) for name in dispatcher_timing}
    for name, value in dispatcher_timing.items():
        setattr(dispatcher, name, value)
    try:
        assert read_reply(first.send(Client())).content == "done"
    finally:
        for name, value in saved.items():
            setattr(dispatcher, name, value)
    # Once: a claim lost for good is not renewed (nor reported) again.
    assert caplog.text.count("lapsed while its handler was still running") == 1
