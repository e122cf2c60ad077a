"""Follower sync: ``sync_followers`` against the one-call-at-a-time, row-at-a-time way.

    .venv/bin/python bench/followers.py [--followers 100000] [--small 20000]
        [--baseline-followers N] [--workers 4] [--latency 0.05]

The emulator (in this process) holds the followers, generated on demand, and adds
``--latency`` seconds to every call. Each run is a fresh process on a fresh SQLite file
(in /dev/shm when there is one), so its peak memory is its own:

- **fast**: ``sync_followers(full=True, workers=N)``, at ``--followers`` and at ``--small``
  (peak memory should not grow with the number of followers);
- **baseline**: what wechat-django does: one user/get page, then one batchget call after
  another, and ``get_or_create`` + ``save()`` for each follower.

Prints followers/s, wall time, API calls, database statements and the peak memory growth
of each run, the latency floor (calls / workers x latency) and 1,000,000 extrapolated from
the measured rates. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APIS = ("cgi-bin/user/get", "cgi-bin/user/info/batchget", "cgi-bin/tags/get")


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --- one run, in its own process ------------------------------------------------------------


def child(mode: str, url: str, db: str, workers: int) -> dict[str, Any]:
    """Set Django up on ``db``, pointed at the emulator ``url``, and sync once."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django
    from django.conf import settings

    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db}}
    settings.WECHAT = {**settings.WECHAT, "API_BASE_URL": url}
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if mode == "migrate":  # its own process, so that its peak is not the sync's
        call_command("migrate", verbosity=0)
        return {}
    statements = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[0] += 1
        return execute(sql, params, many, context)

    from django_wechat.models import WeChatUser

    WeChatUser.objects.exists()  # the connection opened before the peak is read
    before = _peak_kib()
    start = time.perf_counter()
    with connection.execute_wrapper(count):
        if mode == "fast":
            from django_wechat.sync.followers import sync_followers

            result = sync_followers("default", full=True, workers=workers)
            assert result.finished, result.message
        else:
            baseline("default")
    wall = time.perf_counter() - start
    return {
        "rows": WeChatUser.objects.count(),
        "wall": wall,
        "statements": statements[0],
        "peak_growth_kib": _peak_kib() - before,
    }


def baseline(account: str) -> None:
    """One page, one profile call, one row after another (wechat-django's sync)."""
    from django_wechat.client import get_client
    from django_wechat.models import WeChatUser

    client = get_client(account)
    next_openid: str | None = None
    while True:
        page = client.user.get_followers(next_openid)
        openids = [o for o in (page.get("data") or {}).get("openid") or [] if o]
        for start in range(0, len(openids), 100):
            for profile in client.user.get_batch(openids[start : start + 100]):
                user, _ = WeChatUser.objects.get_or_create(
                    account=account, openid=profile["openid"]
                )
                user.update_profile(profile)
                user.save()
        next_openid = page.get("next_openid") or None
        if not openids or not next_openid:
            return


# --- the parent: the emulator, the runs, the table ------------------------------------------


def run(emulator: Any, mode: str, followers: int, workers: int, latency: float) -> dict[str, Any]:
    emulator.reset()
    emulator.generate_followers(followers)
    emulator.fail("delay", times=10**9, delay=latency)
    shm = Path("/dev/shm")  # noqa: S108 - a private TemporaryDirectory inside it
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
        for step in ("migrate", mode):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    step,
                    "--url",
                    emulator.url,
                    "--db",
                    str(Path(tmp) / "db.sqlite3"),
                    "--workers",
                    str(workers),
                ],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    figures["calls"] = sum(emulator.count(api) for api in APIS)
    figures["followers"] = followers
    figures["rate"] = followers / figures["wall"]
    assert figures["rows"] == followers, figures
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--baseline-followers", type=int, default=None)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--child", choices=("migrate", "fast", "baseline"))
    parser.add_argument("--url")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.db, args.workers)))
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django_wechat.conf import get_account
    from django_wechat.testing.emulator import WeChatEmulator

    with WeChatEmulator([get_account("default")], followers=0) as emulator:
        n, w, lat = args.followers, args.workers, args.latency
        print(f"{n:,} followers, {lat * 1000:.0f} ms added to every call, {w} workers\n")
        fast = run(emulator, "fast", n, w, lat)
        small = run(emulator, "fast", args.small, w, lat)
        base = run(emulator, "baseline", args.baseline_followers or n, 1, lat)

    rows = [("sync_followers", fast), (f"  at {args.small:,}", small), ("baseline", base)]
    print(
        f"{'':18}{'followers':>10}{'wall s':>9}{'followers/s':>13}{'API calls':>11}"
        f"{'statements':>12}{'peak MiB':>10}"
    )
    for name, f in rows:
        print(
            f"{name:18}{f['followers']:>10,}{f['wall']:>9.1f}{f['rate']:>13,.0f}"
            f"{f['calls']:>11,}{f['statements']:>12,}{f['peak_growth_kib'] / 1024:>10.1f}"
        )
    sync_calls = math.ceil(n / 10_000) + 1 + math.ceil(n / 100)  # pages, the empty one, batches
    floor = sync_calls / w * lat
    print(
        f"\nspeed-up over the baseline: {fast['rate'] / base['rate']:.1f}x"
        f"\nlatency floor ({sync_calls:,} calls / {w} workers x {lat * 1000:.0f} ms): "
        f"{floor:.1f} s; sync_followers took {fast['wall'] / floor:.2f}x the floor"
        f"\npeak memory growth: {small['peak_growth_kib'] / 1024:.1f} MiB at {args.small:,}, "
        f"{fast['peak_growth_kib'] / 1024:.1f} MiB at {n:,}"
    )
    million = 1_000_000
    print(
        f"\n1,000,000 followers, extrapolated: sync_followers {million / fast['rate'] / 60:.1f} min"
        f" ({math.ceil(million / 10_000)} user/get calls of the 500 a day, "
        f"{math.ceil(million / 100):,} batchget calls), "
        f"baseline {million / base['rate'] / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
