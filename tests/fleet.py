"""A fleet of worker processes x threads hitting one API at once, for the token tests and bench.

Each process is started with a ``spawn`` context (a fresh interpreter, as gunicorn's
workers on separate machines would be), configures Django on its own with the same
django-redis cache and the emulator's URL, waits on a barrier shared by every thread of
every process, then makes its calls. What each call did comes back in a queue.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FleetResult:
    """What the fleet did: per-call outcomes and how long the whole run took."""

    ok: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: ``time.time()`` when the first call began and the last one ended.
    started_at: float = 0.0
    ended_at: float = 0.0


def configure_django(redis_url: str, key_prefix: str, wechat: dict[str, Any]) -> None:
    """Set up Django in a fresh worker process: a django-redis cache and ``WECHAT``."""
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="fleet",
        USE_TZ=True,
        INSTALLED_APPS=["django_wechat"],
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "redis": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": key_prefix,
            },
        },
        WECHAT={**wechat, "CACHE": "redis"},
        SILENCED_SYSTEM_CHECKS=["wechat.W001"],
    )
    django.setup()


def _worker(
    call: str,
    setup: Callable[..., Any] | None,
    setup_args: tuple[Any, ...],
    threads: int,
    barrier: Any,
    results: Any,
    call_seconds: float,
) -> None:
    try:
        context = setup(*setup_args) if setup is not None else None
    except BaseException:
        results.put(("error", "setup: " + traceback.format_exc(), 0.0, 0.0))
        barrier.abort()
        return
    func = _import(call)

    def one() -> None:
        try:
            barrier.wait(timeout=120)
        except threading.BrokenBarrierError:
            results.put(("error", "barrier broken", 0.0, 0.0))
            return
        began = time.time()
        try:
            func(context, began + call_seconds)
        except BaseException as exc:
            results.put(("error", f"{type(exc).__name__}: {exc}", began, time.time()))
        else:
            results.put(("ok", "", began, time.time()))

    pool = [threading.Thread(target=one) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def _import(path: str) -> Callable[..., Any]:
    from django.utils.module_loading import import_string

    func: Callable[..., Any] = import_string(path)
    return func


def run_fleet(
    call: str,
    *,
    processes: int = 8,
    threads: int = 8,
    setup: Callable[..., Any] | None = None,
    setup_args: tuple[Any, ...] = (),
    call_seconds: float = 60.0,
) -> FleetResult:
    """Run ``call`` (a dotted path to ``f(context, deadline)``) once in every thread.

    ``setup(*setup_args)`` runs first in each process and returns the ``context``
    handed to each call; ``deadline`` (``time.time()``, ``call_seconds`` after the
    barrier opened) lets a call bound what would otherwise go on (wechatpy's unbounded
    retry loop).
    """
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes * threads)
    results = ctx.Queue()
    workers = []
    for _ in range(processes):
        proc = ctx.Process(
            target=_worker,
            args=(call, setup, setup_args, threads, barrier, results, call_seconds),
        )
        proc.start()
        workers.append(proc)
    outcome = FleetResult()
    spans: list[tuple[float, float]] = []
    for _ in range(processes * threads):
        kind, detail, began, ended = results.get(timeout=call_seconds + 180)
        if began:
            spans.append((began, ended))
        if kind == "ok":
            outcome.ok += 1
        else:
            outcome.failed += 1
            outcome.errors.append(detail)
            if detail.startswith("setup:"):
                break
    for proc in workers:
        proc.join(timeout=60)
        if proc.is_alive():
            proc.kill()
    if spans:
        outcome.started_at = min(b for b, _ in spans)
        outcome.ended_at = max(e for _, e in spans)
        outcome.seconds = outcome.ended_at - outcome.started_at
    return outcome
