"""Token refresh under a cold start, ours against wechatpy's, and the cost of a cached-token call.

Run from the repository root (needs redis-server and the test extras)::

    .venv/bin/python bench/tokens.py [--quick]

1. A fleet of 8 processes x 8 threads, started at once with an empty cache, each makes one
   API call (``cgi-bin/user/info``) against the WeChat emulator, with the token in a
   real redis-server: django_wechat (django-redis cache) and wechatpy 1.8.18's WeChatClient
   (RedisStorage). Printed: token fetches and failed calls, with WeChat's five-minute
   overlap of old and new tokens, and with it switched off (``strict_token_rotation``).
   wechatpy retries a refused token without limit, so each of its calls is bounded in time
   (``--bound``, 20 s by default); a call still refetching then counts as failed.
   ``cgi-bin/token`` answers after ``--latency`` (100 ms by default): on loopback a fetch
   is so quick that few workers ever see an empty cache, unlike against WeChat itself.
2. The cost of one API call with a cached token against a bare ``requests`` call to the
   same emulator endpoint, in the same process.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _workers import setup_wechatpy  # noqa: E402

from tests.client_workers import setup_client  # noqa: E402
from tests.fleet import configure_django, run_fleet  # noqa: E402

APP_ID = "wx00000000000be001"
SECRET = "bench-secret-not-real"
API = "cgi-bin/user/info"
PARAMS = {"openid": "o-demo-follower-1", "lang": "zh_CN"}


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is needed: apt-get install -y redis-server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("redis-server did not start")


def error_kinds(errors: list[str]) -> str:
    kinds = collections.Counter(e.split(":", 1)[0] for e in errors)
    return ", ".join(f"{n} {k}" for k, n in kinds.most_common()) or "-"


def cold_start(emulator, redis_url, wechat, *, processes, threads, bound, latency, repeat) -> None:  # type: ignore[no-untyped-def]
    print(
        f"\n== Cold start: {processes} processes x {threads} threads, one call each; "
        f"cgi-bin/token answers after {latency * 1000:.0f} ms =="
    )
    print(
        f"{'client':<28}{'rotation':<10}{'fetches':>9}{'failed':>8}{'calls':>7}{'secs':>8}  errors"
    )
    runs = [
        (strict, name)
        for strict in (False, True)
        for name in ("django_wechat", "wechatpy 1.8.18")
        for _ in range(repeat)
    ]
    for strict, name in runs:
        emulator.reset()
        emulator.strict_token_rotation = strict
        if latency > 0:
            emulator.fail("delay", api="cgi-bin/token", delay=latency, times=10**9)
        prefix = f"bench-{name.split()[0]}-{strict}-{time.monotonic_ns()}"
        if name == "django_wechat":
            result = run_fleet(
                "tests.client_workers.call_api",
                processes=processes,
                threads=threads,
                setup=setup_client,
                setup_args=(redis_url, prefix, wechat, {}),
                call_seconds=bound,
            )
        else:
            result = run_fleet(
                "_workers.wechatpy_call",
                processes=processes,
                threads=threads,
                setup=setup_wechatpy,
                setup_args=(redis_url, prefix, emulator.url, APP_ID, SECRET),
                call_seconds=bound,
            )
        print(
            f"{name:<28}{'strict' if strict else '5-min':<10}"
            f"{emulator.count('cgi-bin/token'):>9}{result.failed:>8}"
            f"{emulator.count(API):>7}{result.seconds:>8.1f}  {error_kinds(result.errors)}"
        )
    print(
        f"(wechatpy's calls are bounded at {bound:.0f} s each: past it, its next token fetch "
        "raises GaveUp and the call counts as failed.)"
    )


def call_cost(emulator, *, n: int) -> None:  # type: ignore[no-untyped-def]
    import requests

    from django_wechat.client import WeChatClient

    print(f"\n== Cost of one call with a cached token ({n} calls each, one thread) ==")
    emulator.reset()
    session = requests.Session()
    rows = []
    for label, alias in (("django-redis cache", "redis"), ("local-memory cache", "default")):
        client = WeChatClient("default", cache_alias=alias)
        token = client.access_token
        client.get(API, params=PARAMS)
        # Interleave rounds of each, so a noisy neighbour on the machine hits both alike.
        spent = {"ours": 0.0, "bare": 0.0}
        rounds = 10
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in range(n // rounds):
                client.get(API, params=PARAMS)
            spent["ours"] += time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(n // rounds):
                session.get(
                    f"{emulator.url}/{API}",
                    params={**PARAMS, "access_token": token},
                    timeout=5,
                ).json()
            spent["bare"] += time.perf_counter() - started
        done = rounds * (n // rounds)
        ours, bare = done / spent["ours"], done / spent["bare"]
        rows.append((label, ours, bare))
    print(f"{'token cache':<22}{'client calls/s':>16}{'bare requests/s':>17}{'ratio':>8}")
    for label, ours, bare in rows:
        print(f"{label:<22}{ours:>16.0f}{bare:>17.0f}{ours / bare:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--bound", type=float, default=20.0, help="seconds per wechatpy call")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each cold start")
    parser.add_argument("--calls", type=int, default=2000, help="calls for the cost figures")
    parser.add_argument(
        "--latency",
        default="0,0.1",
        help="seconds cgi-bin/token takes to answer, comma-separated (one table each)",
    )
    parser.add_argument("--quick", action="store_true", help="--bound 5 --calls 300")
    args = parser.parse_args()
    if args.quick:
        args.bound, args.calls = 5.0, 300
    redis_proc, redis_url = start_redis()
    try:
        from django_wechat.conf import Account

        account = Account(name="default", app_id=APP_ID, app_secret=SECRET, token="benchtoken")
        from django_wechat.testing.emulator import WeChatEmulator

        with WeChatEmulator([account]) as emulator:
            wechat = {
                "ACCOUNTS": {
                    "default": {
                        "APP_ID": APP_ID,
                        "APP_SECRET": SECRET,
                        "TOKEN": "benchtoken",
                        "ENCRYPT_MODE": "plain",
                    }
                },
                "API_BASE_URL": emulator.url,
                "OAUTH_BASE_URL": emulator.url,
            }
            configure_django(redis_url, f"bench-parent-{os.getpid()}", wechat)
            print(
                f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, emulator {emulator.url}"
            )
            for latency in (float(x) for x in args.latency.split(",")):
                cold_start(
                    emulator,
                    redis_url,
                    wechat,
                    processes=args.processes,
                    threads=args.threads,
                    bound=args.bound,
                    latency=latency,
                    repeat=args.repeat,
                )
            call_cost(emulator, n=args.calls)
    finally:
        redis_proc.terminate()
        redis_proc.wait(timeout=10)


if __name__ == "__main__":
    main()
