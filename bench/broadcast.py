"""Background work under load: a broadcast on 1, 2 and 4 task workers, and the callback's
answer time for a deferred handler beside a plain one.

The demo site (testproject) on its own SQLite file, its ``manage.py db_worker`` processes
(django-tasks-db) and the WeChat emulator answering every customer-service send after
``--latency`` (30 ms by default, about WeChat's own), all on loopback:

- ``broadcast``: ``--recipients`` followers (100,000 by default), one broadcast per worker
  count with as many lanes as workers; prints messages/s, the wall time and the
  duplicates (followers messaged more than once: must be 0);
- ``callback``: ``--pushes`` callbacks of a deferred handler ("slow", made instant) and
  of a plain one ("hello") pushed by the emulator to runserver; prints the answer time's
  p50 and p99 for each.

Run from the repository root (the full run took 17 minutes on two cores; try
``--recipients 2000`` first)::

    .venv/bin/python bench/broadcast.py [--recipients 100000] [--workers 1 2 4]
        [--latency 0.03] [--pushes 200]
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django_wechat.conf import get_account  # noqa: E402
from django_wechat.testing.emulator import WeChatEmulator  # noqa: E402
from tests.demo_support import db_worker, emulator_env, manage, runserver  # noqa: E402

SEND = "cgi-bin/message/custom/send"


def prepare(env: dict[str, str], recipients: int) -> None:
    manage("migrate", "--noinput", env=env)
    manage("createcachetable", env=env)
    manage(
        "shell",
        "-c",
        "from django_wechat.models import WeChatUser as U; U.objects.bulk_create(("
        "U(account='default', openid=f'o-demo-follower-{i}', subscribed=True) "
        f"for i in range(1, {recipients + 1})), batch_size=5000)",
        env=env,
    )


def broadcast(emulator: WeChatEmulator, env: dict[str, str], workers: int, n: int) -> None:
    emulator.state().sent.clear()
    emulator.fail("delay", api=SEND, delay=LATENCY, times=10 * n)
    processes = [db_worker(env) for _ in range(workers)]
    for process in processes:
        process.__enter__()
    try:
        start = time.monotonic()
        out = manage(
            "wechat_broadcast",
            "--text",
            f"bench {workers}",
            "--batch-size",
            "200",
            "--concurrency",
            str(workers),
            env=env,
        ).stdout
        pk = out.split()[1]
        while len(emulator.state().sent) < n:
            time.sleep(0.2)
            if time.monotonic() - start > 4 * 3600:
                raise SystemExit("gave up after 4 hours")
        wall = time.monotonic() - start
        while "done" not in manage("wechat_broadcast", "--status", pk, env=env).stdout:
            time.sleep(0.2)
    finally:
        for process in processes:
            process.__exit__(None, None, None)
        emulator._faults.clear()  # the delays left over
    counts = collections.Counter(m["touser"] for m in emulator.sent_messages())
    duplicates = sum(c - 1 for c in counts.values())
    print(
        f"broadcast  workers={workers}  recipients={n}  {n / wall:8.1f} messages/s  "
        f"wall {wall:7.1f} s  duplicates {duplicates}  missing {n - len(counts)}"
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def callbacks(emulator: WeChatEmulator, env: dict[str, str], pushes: int) -> None:
    with runserver({**env, "DEMO_SLOW_SECONDS": "0"}) as site, db_worker(env):
        url = site + "/wechat/callback/default/"
        for label, text in (("deferred", "slow"), ("plain", "hello")):
            times = []
            for _ in range(pushes):
                start = time.monotonic()
                result = emulator.push_text(url, text, attempts=1)
                times.append((time.monotonic() - start) * 1000)
                if not result.ok:
                    raise SystemExit(f"the callback failed: {result.error}")
            print(
                f"callback   {label:8}  p50 {statistics.median(times):6.1f} ms  "
                f"p99 {percentile(times, 0.99):6.1f} ms  ({pushes} pushes)"
            )


def main() -> None:
    global LATENCY
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument("--pushes", type=int, default=200)
    args = parser.parse_args()
    LATENCY = args.latency
    account = get_account()
    with (
        tempfile.TemporaryDirectory() as tmp,
        WeChatEmulator([account], followers=args.recipients) as emulator,
    ):
        env = emulator_env(Path(tmp) / "db.sqlite3", emulator.url, account)
        prepare(env, args.recipients)
        for workers in args.workers:
            broadcast(emulator, env, workers, args.recipients)
        callbacks(emulator, env, args.pushes)


LATENCY = 0.03

if __name__ == "__main__":
    main()
