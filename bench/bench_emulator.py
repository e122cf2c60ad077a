"""How fast the WeChat emulator answers cgi-bin/token, and whether its rules hold under load.

    .venv/bin/python bench/bench_emulator.py [--seconds 3] [--processes 8] [--threads 8]

1. Threads in this process, each with its own keep-alive session, fetch tokens from
   the emulator, then from a bare ThreadingHTTPServer that answers a constant JSON
   (the baseline: the same HTTP stack without the emulator's rules). Prints requests/s
   and the ratio.
2. The client's load shape: PROCESSES x THREADS clients fetch tokens at once with strict
   rotation on; prints requests/s, and checks that every call was answered and that
   exactly one token is still valid afterwards.

Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django_wechat.conf import Account
from django_wechat.testing.emulator import WeChatEmulator

ACCOUNT = Account(
    name="default", app_id="wx00000000000be002", app_secret="bench-secret", token="benchtoken"
)
PARAMS = {"grant_type": "client_credential", "appid": ACCOUNT.app_id, "secret": ACCOUNT.app_secret}


class _Baseline(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = json.dumps({"access_token": "x" * 144, "expires_in": 7200}).encode()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _hammer(url: str, seconds: float, threads: int) -> tuple[int, int, list[str]]:
    """Fetch tokens from ``threads`` threads for ``seconds``; (answered, failed, tokens)."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    counts = [0, 0]
    tokens: list[str] = []

    def worker() -> None:
        ok = bad = 0
        last = ""
        with requests.Session() as session:
            while time.monotonic() < stop:
                try:
                    answer = session.get(url, params=PARAMS, timeout=10).json()
                    last = answer["access_token"]
                    ok += 1
                except (requests.RequestException, ValueError, KeyError):
                    bad += 1
        with lock:
            counts[0] += ok
            counts[1] += bad
            tokens.append(last)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return counts[0], counts[1], tokens


def _process(args: tuple[str, float, int]) -> tuple[int, int, list[str]]:
    return _hammer(*args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8)
    options = parser.parse_args()
    threads = options.processes * options.threads

    with WeChatEmulator([ACCOUNT]) as emulator:
        answered, failed, _ = _hammer(f"{emulator.url}/cgi-bin/token", options.seconds, threads)
    emulator_rate = answered / options.seconds

    baseline = ThreadingHTTPServer(("127.0.0.1", 0), _Baseline)
    baseline.daemon_threads = True
    baseline.request_queue_size = 1024
    threading.Thread(target=baseline.serve_forever, args=(0.05,), daemon=True).start()
    base_answered, _, _ = _hammer(
        f"http://127.0.0.1:{baseline.server_address[1]}/cgi-bin/token", options.seconds, threads
    )
    baseline.shutdown()
    baseline.server_close()
    base_rate = base_answered / options.seconds

    print(f"1. {threads} threads in one process, {options.seconds:g} s each:")
    print(f"   emulator cgi-bin/token  {emulator_rate:8.0f} req/s  ({failed} failed)")
    print(f"   bare ThreadingHTTPServer {base_rate:7.0f} req/s")
    print(f"   emulator / baseline      {emulator_rate / base_rate:7.2f}")

    with WeChatEmulator([ACCOUNT]) as emulator:
        emulator.strict_token_rotation = True
        url = f"{emulator.url}/cgi-bin/token"
        context = multiprocessing.get_context("spawn")
        started = time.monotonic()
        with context.Pool(options.processes) as pool:
            results = pool.map(
                _process, [(url, options.seconds, options.threads)] * options.processes
            )
        elapsed = time.monotonic() - started
        answered = sum(r[0] for r in results)
        failed = sum(r[1] for r in results)
        last_tokens = [t for r in results for t in r[2] if t]
        valid = sum(
            requests.get(
                f"{emulator.url}/cgi-bin/ticket/getticket",
                params={"access_token": t, "type": "jsapi"},
                timeout=10,
            ).json()["errcode"]
            == 0
            for t in last_tokens
        )
        logged = emulator.count("cgi-bin/token")
    print(
        f"2. {options.processes} processes x {options.threads} threads, strict rotation, "
        f"{options.seconds:g} s:"
    )
    print(f"   answered {answered}, failed {failed}, logged {logged}")
    print(f"   {answered / options.seconds:.0f} req/s over the run ({elapsed:.1f} s with start-up)")
    print(f"   tokens still valid among the clients' last ones: {valid} (rule: exactly 1)")


if __name__ == "__main__":
    main()
