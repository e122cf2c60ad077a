"""How fast the callback answers: the full view against the bare protocol path.

In-process (the default), through Django's WSGI handler with the test settings' middleware:

- ``bare``: the protocol alone for one encrypted text message: signature, msg_signature,
  decrypt, parse, reply, encrypt (no Django request, no de-duplication);
- ``empty``: an empty Django view receiving the same POST (what Django itself costs);
- ``view``: the callback view doing it all: the same work plus the de-duplication claim
  and stored reply in the cache, the signal and the handler lookup;
- ``retry``: the view answering a retry from the stored reply;
- ``interleaved``: the empty view then the bare path for each request in turn, each half
  timed apart: the same code as ``bare`` and ``empty``, but alternating as it does inside
  the view, so the cost of the alternation itself (CPU caches, branch predictors) shows.

The view's own overhead is ``view / (bare + empty)`` in time per request; the aim is 1.3x
at most. Every message has its own MsgId, so the view really runs the handler each time,
and the benchmark's cache is big enough that a retry is really answered from the cache.
``--stages`` adds the time of each stage inside the view; ``--no-gc`` turns the garbage
collector off while timing (a control for the alternation figures).

With ``--wrk``: served by one gunicorn (2 sync workers) on loopback with a real
redis-server as the cache, loaded by wrk (``-t2 -c8``) with distinct safe-mode text
messages, three legs alternated ``--rounds`` times (3), ``--duration`` seconds each (10):
the callback (``ours``), the hand-written wechatpy glue (``glue``: ``check_signature``,
``WeChatCrypto``, ``parse_message``, ``create_reply``, no de-duplication) and an empty
Django view (``empty``), all in ``bench/urls.py``. Prints requests/s and p50/p99 per leg
and round, the ratios, and the machine's load before and after. ``--cache unix``
connects the cache to redis-server over a unix socket instead of loopback TCP (what a
worker on Redis's own host can do); ``--cache locmem`` gives each worker a local-memory
cache, a control that shows what the callback costs without the Redis round trip. Needs
``pip install -e ".[bench]"`` and ``apt-get install wrk``.

Run from the repository root::

    .venv/bin/python bench/callback.py [-n 500] [--rounds 20] [--stages] [--no-gc]
    .venv/bin/python bench/callback.py --wrk [--duration 10] [--rounds 3] [--connections 8]
        [--cache tcp|unix|locmem]
"""

from __future__ import annotations

import argparse
import gc
import io
import itertools
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import caches  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402

from django_wechat import crypto  # noqa: E402
from django_wechat.conf import get_account, wechat_settings  # noqa: E402
from django_wechat.messages import parse_message  # noqa: E402
from django_wechat.replies import create_reply  # noqa: E402
from django_wechat.testing import CallbackRequest, callback_request, read_reply  # noqa: E402

CALLBACK = "/wechat/callback/default/"
EMPTY = "/bench/empty/default/"

# Every message built in this process has its own MsgId: a "new message" is never, by
# accident, a retry of one built for another round or for the warm-up.
_msg_ids = itertools.count(10**15)


def build(count: int, path: str = CALLBACK) -> list[CallbackRequest]:
    """``count`` encrypted text messages, each with its own MsgId."""
    return [
        callback_request(text=f"你好 {i}", MsgId=str(next(_msg_ids)), url=path)
        for i in range(count)
    ]


def environ(request: CallbackRequest, path: str | None = None) -> dict[str, Any]:
    """The WSGI environ of ``request`` (without ``wsgi.input``, added per call)."""
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path or request.path,
        "QUERY_STRING": urlencode(request.query),
        "CONTENT_TYPE": "text/xml",
        "CONTENT_LENGTH": str(len(request.body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def bare(requests: list[CallbackRequest]) -> Callable[[], None]:
    """The protocol path alone, as a function of no arguments that handles every request."""
    account = get_account()
    box = crypto.WeChatCrypto.from_account(account)

    def run() -> None:
        for request in requests:
            query = request.query
            crypto.check_signature(
                account.token, query["signature"], query["timestamp"], query["nonce"]
            )
            decrypted = box.decrypt_envelope(
                request.body, query["msg_signature"], query["timestamp"], query["nonce"]
            )
            message = parse_message(decrypted.xml)
            reply = create_reply("echo: " + message.content, message).render()  # type: ignore[attr-defined]
            decrypted.crypto.encrypt_message(reply, query["nonce"])

    return run


def through_django(
    app: WSGIHandler, requests: list[CallbackRequest], path: str | None = None
) -> Callable[[], None]:
    """Every request through Django's WSGI handler (``path`` overrides the URL).

    The environs are built before the clock starts, so the empty view and the callback
    pay exactly the same harness cost: a dict copy and a fresh ``wsgi.input`` each.
    """
    prepared = [(environ(request, path), request.body) for request in requests]
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)

    def run() -> None:
        for base, body in prepared:
            statuses.clear()
            env = dict(base)
            env["wsgi.input"] = io.BytesIO(body)
            answer = b"".join(app(env, start_response))
            if not statuses[0].startswith("200") or not answer:
                raise SystemExit(f"{base['PATH_INFO']} answered {statuses[0]}: {answer[:200]!r}")

    return run


def interleaved(
    app: WSGIHandler, requests: list[CallbackRequest], clock: dict[str, float]
) -> Callable[[], None]:
    """Per request, the empty view then the bare path, each half timed on its own.

    This tests the claim that the view pays for running Django's code and the protocol's
    code alternately (each evicting the other from the CPU's caches): ``clock`` receives
    the seconds spent in each half, to compare with the same code in a tight loop.
    """
    pairs = [(through_django(app, [r], EMPTY), bare([r])) for r in requests]
    clock_ = time.perf_counter

    def run() -> None:
        in_empty = in_bare = 0.0
        for one_empty, one_bare in pairs:
            t0 = clock_()
            one_empty()
            t1 = clock_()
            one_bare()
            t2 = clock_()
            in_empty += t1 - t0
            in_bare += t2 - t1
        clock["empty"] = in_empty
        clock["bare"] = in_bare

    return run


def timed(run: Callable[[], None], n: int) -> float:
    """Seconds per request for one run of ``n`` requests."""
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) / n


def in_process(n: int, rounds: int, stages: bool) -> None:
    app = WSGIHandler()
    cache = caches[wechat_settings.CACHE]
    # Warm up (imports, URL resolver, cipher cache) and check the view really answers.
    through_django(app, build(50))()
    through_django(app, build(50, EMPTY), EMPTY)()
    bare(build(50))()
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)

    sample = callback_request(text="check")
    env = {**environ(sample), "wsgi.input": io.BytesIO(sample.body)}
    body = b"".join(app(env, start_response))
    reply = read_reply(body, account="default")
    assert reply.encrypted, reply
    assert reply.content == "echo: check", reply
    cache.clear()

    # The variants take turns within each round, so a burst of load from elsewhere on the
    # machine (the bench shares its CPUs) hits them alike; each variant's best round is
    # reported. Fresh messages per round, built before the clock starts.
    names = ("bare", "empty", "interleaved", "view", "retry")
    timings: dict[str, float] = dict.fromkeys(names, float("inf"))
    halves: dict[str, float] = {"empty": float("inf"), "bare": float("inf")}
    for _ in range(rounds):
        batch = build(n)
        clock: dict[str, float] = {}
        runs = {
            "bare": bare(batch),
            "empty": through_django(app, batch, EMPTY),
            "interleaved": interleaved(app, batch, clock),
            "view": through_django(app, batch),
            # Every message of the batch was just answered: sending it again is a retry.
            "retry": through_django(app, batch),
        }
        for name, run in runs.items():
            timings[name] = min(timings[name], timed(run, n))
        for half in halves:
            halves[half] = min(halves[half], clock[half] / n)
        # The cache holds only this round's messages: every round starts alike.
        cache.clear()

    print(f"callback benchmark, in process: {n} requests x {rounds} rounds (best round)")
    gc_state = "on" if gc.isenabled() else "off"
    print(f"  cache: {cache.__class__.__name__}; Python {sys.version.split()[0]}; gc {gc_state}")
    labels = {
        "bare": "bare protocol path (verify, decrypt, parse, reply, encrypt)",
        "empty": "empty Django view, same POST",
        "view": "full callback view, new message each time",
        "retry": "full callback view, a retry (stored reply)",
        "interleaved": "empty view then bare path, alternating per request",
    }
    for name, label in labels.items():
        per = timings[name]
        print(f"  {label:<62} {1 / per:>9,.0f} req/s  {per * 1e6:>7.1f} µs/req")
    apart = timings["bare"] + timings["empty"]
    print(f"  view / (bare + empty)  = {timings['view'] / apart:.2f}x   (aim: <= 1.30x)")
    print("  the same code alternating per request instead of in tight loops:")
    for half in ("bare", "empty"):
        grown = halves[half] / timings[half]
        print(
            f"    {half:<6} {halves[half] * 1e6:7.1f} µs/req alternating vs "
            f"{timings[half] * 1e6:7.1f} in a loop ({grown:.2f}x)"
        )
    print(f"  view / interleaved     = {timings['view'] / timings['interleaved']:.2f}x")
    if stages:
        stage_breakdown(app, n, rounds)


# Where a request's time goes inside the view: each of these is wrapped with a timer
# (the wrappers add about 0.1 µs a call; the total is the unwrapped view's).
def _stage_targets() -> list[tuple[Any, str, str]]:
    from django.core.handlers.base import BaseHandler
    from django.http import HttpRequest

    from django_wechat import dispatch, handlers, request_checks, views
    from django_wechat import xml as wxml
    from django_wechat.signals import message_received

    cache = caches[wechat_settings.CACHE]
    return [
        (BaseHandler, "get_response", "Django: request, middleware, URL, response"),
        (views.CallbackView, "dispatch", "  callback view (account, method, refusals)"),
        (request_checks, "query_values", "    query string"),
        (crypto, "check_signature", "    signature"),
        (HttpRequest, "read", "    read body"),
        (crypto.WeChatCrypto, "decrypt_envelope", "    decrypt (envelope XML, msg_signature)"),
        (wxml, "parse", "    parse XML (envelope and message)"),
        (views, "parse_message", "    message object"),
        (views, "dispatch", "    dispatch (de-duplication, handler, reply)"),
        (dispatch, "dedup_key", "      de-duplication key"),
        (type(caches), "__getitem__", "      caches[alias]"),
        (type(cache), "add", "      cache.add (claim)"),
        (type(cache), "set", "      cache.set (store reply)"),
        (message_received, "send_robust", "      message_received signal"),
        (handlers.Registry, "match", "      handler lookup"),
        (dispatch, "create_reply", "      handler's reply rendered"),
        (crypto.WeChatCrypto, "encrypt_message", "    encrypt reply"),
        (views, "HttpResponse", "    HttpResponse"),
    ]


def stage_breakdown(app: WSGIHandler, n: int, rounds: int) -> None:
    spent: dict[str, float] = {}
    clock = time.perf_counter

    def timer(func: Callable[..., Any], label: str) -> Callable[..., Any]:
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            started = clock()
            try:
                return func(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + clock() - started

        return timed_call

    targets = _stage_targets()
    # (owner, name, original or None when the attribute came from the owner's class)
    saved = [(owner, name, vars(owner).get(name)) for owner, name, _label in targets]
    best: dict[str, float] = {}
    try:
        for owner, name, label in targets:
            setattr(owner, name, timer(getattr(owner, name), label))
        for _ in range(rounds):
            run = through_django(app, build(n))
            spent.clear()
            run()
            for label, seconds in spent.items():
                best[label] = min(best.get(label, float("inf")), seconds / n)
            caches[wechat_settings.CACHE].clear()
    finally:
        for owner, name, original in saved:
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
    print("  full view, per stage (best round; nested stages are part of the one above):")
    for _owner, _name, label in targets:
        print(f"    {label:<50} {best.get(label, 0.0) * 1e6:7.1f} µs")


# --- gunicorn + wrk + redis -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on {port}")


@contextmanager
def process(args: list[str], port: int, what: str, **kwargs: Any) -> Iterator[None]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, **kwargs)
    try:
        wait_for(port, proc, what)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


WRK_SCRIPT = r"""
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  local nthreads = tonumber(args[2])
  reqs = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == tid then
      local target, body = line:match("([^\t]*)\t(.*)")
      reqs[#reqs + 1] = wrk.format("POST", target, {["Content-Type"] = "text/xml"}, body)
    end
    i = i + 1
  end
  idx = 0
end

function request()
  idx = idx + 1
  if idx > #reqs then
    idx = 1
  end
  return reqs[idx]
end

function done(summary, latency, requests)
  io.write(string.format("WRK p50_us=%d p99_us=%d requests=%d\n",
    latency:percentile(50), latency:percentile(99), summary.requests))
end
"""


#: Where the served callback's cache lives (``--cache``).
CACHE_CHOICES = {
    "tcp": "redis-server over loopback TCP",
    "unix": "redis-server over a unix socket",
    "locmem": "each worker's local memory (no de-duplication across workers: a control)",
}

#: The legs of the served run: the path each is served at, and what it is.
LEGS = {
    "ours": (CALLBACK, "django_wechat's callback (exactly once, {cache})"),
    "glue": ("/bench/glue/default/", "hand-written wechatpy glue (no de-duplication)"),
    "empty": (EMPTY, "empty Django view"),
}


def run_wrk(
    port: int, script: Path, pool_file: Path, duration: int, connections: int
) -> dict[str, float]:
    """One wrk run over the requests in ``pool_file``: requests/s, p50/p99 (ms), counts."""
    threads = 2
    out = subprocess.run(
        [
            *("wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s"),
            *("--latency", "-s", str(script), f"http://127.0.0.1:{port}", "--"),
            *(str(pool_file), str(threads)),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    marks = re.search(r"WRK p50_us=(\d+) p99_us=(\d+) requests=(\d+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if not rps or not marks:
        raise SystemExit("could not read wrk's output:\n" + out)
    return {
        "rps": float(rps.group(1)),
        "p50": int(marks.group(1)) / 1000,
        "p99": int(marks.group(2)) / 1000,
        "requests": int(marks.group(3)),
        "non2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
    }


def check_legs(port: int) -> None:
    """Each served leg answers a message as it should before anything is timed."""
    import requests as http

    for name, (path, _label) in LEGS.items():
        check = callback_request(text=f"check {name}", url=path)
        answer = http.post(f"http://127.0.0.1:{port}{check.url}", data=check.body, timeout=10)
        if name == "empty":
            assert answer.content == b"success", answer.content
            continue
        reply = read_reply(answer, account="default")
        assert reply.encrypted, reply
        assert reply.content == f"echo: check {name}", reply
    # Warm both workers on every leg (imports such as django_redis happen on first use),
    # so no leg's first round pays for them.
    with http.Session() as session:
        for request in build(100):
            for path, _label in LEGS.values():
                url = f"http://127.0.0.1:{port}{path}?{urlencode(request.query)}"
                assert session.post(url, data=request.body, timeout=10).status_code == 200


def uptime() -> str:
    """The machine's load averages (1, 5, 15 minutes), as uptime prints them."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def with_wrk(duration: int, connections: int, pool: int, rounds: int, cache: str = "tcp") -> None:
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
    for binary in ("wrk", "redis-server"):
        if shutil.which(binary) is None:
            raise SystemExit(f"{binary} is not installed")
    if not Path(gunicorn).exists():
        raise SystemExit('gunicorn is not installed: pip install -e ".[bench]"')
    workdir = Path(tempfile.mkdtemp(prefix="wechat-bench-"))
    redis_port, web_port = free_port(), free_port()
    socket_path = workdir / "redis.sock"
    redis_url = {
        "tcp": f"redis://127.0.0.1:{redis_port}/0",
        "unix": f"unix://{socket_path}?db=0",
        "locmem": "",  # bench.settings: each worker's own local memory
    }[cache]
    env = {
        **os.environ,
        "BENCH_REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(ROOT),
    }
    redis_args = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1"]
    redis_args += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
    if cache == "unix":
        redis_args += ["--unixsocket", str(socket_path)]
    web_args = [gunicorn, "bench.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{web_port}"]
    web_args += ["--log-level", "warning", "--backlog", "2048"]
    script = workdir / "callback.lua"
    script.write_text(WRK_SCRIPT)
    print(f"machine before: {uptime()}; {os.cpu_count()} CPUs")
    results: dict[str, list[dict[str, float]]] = {name: [] for name in LEGS}
    with (
        process(redis_args, redis_port, "redis-server"),
        process(web_args, web_port, "gunicorn", env=env, cwd=ROOT),
    ):
        check_legs(web_port)
        for round_ in range(rounds):
            # Fresh messages each round, built just before it (every timestamp stays inside
            # the 300 s tolerance; no MsgId of ours repeats, so none is a retry). The
            # baselines de-duplicate nothing: they take the same requests after ours.
            started = time.monotonic()
            requests = build(pool)
            built = time.monotonic() - started
            for name, (path, _label) in LEGS.items():
                lines = [f"{path}?{urlencode(r.query)}\t{r.body.decode()}" for r in requests]
                pool_file = workdir / f"{name}.txt"
                pool_file.write_text("\n".join(lines) + "\n")
                result = run_wrk(web_port, script, pool_file, duration, connections)
                results[name].append(result)
                print(
                    f"  round {round_ + 1} {name:<5} {result['rps']:>8,.0f} req/s  "
                    f"p50 {result['p50']:5.2f} ms  p99 {result['p99']:5.2f} ms  "
                    f"({result['requests']:,} requests, {result['non2xx']} non-2xx, "
                    f"{result['socket_errors']} socket errors; {pool:,} messages built "
                    f"in {built:.1f} s)"
                )
                if name == "ours" and result["requests"] > pool:
                    print(f"    note: {result['requests'] - pool:,} were repeats (retries)")
    shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"served by gunicorn (2 sync workers), the cache {CACHE_CHOICES[cache]}, "
        f"wrk -t2 -c{connections}, "
        f"{duration} s per leg, legs alternated {rounds} times; machine after: {uptime()}"
    )
    for name, (_path, label) in LEGS.items():
        label = label.format(cache="Redis" if cache != "locmem" else "per worker")
        runs = results[name]
        rps = [r["rps"] for r in runs]
        p99 = [r["p99"] for r in runs]
        print(
            f"  {label:<48} {min(rps):>7,.0f}-{max(rps):<7,.0f} req/s  "
            f"p50 {statistics.median(r['p50'] for r in runs):5.2f} ms  "
            f"p99 {min(p99):5.2f}-{max(p99):5.2f} ms"
        )
    for one, other in (("ours", "glue"), ("ours", "empty"), ("glue", "empty")):
        ratios = [a["rps"] / b["rps"] for a, b in zip(results[one], results[other], strict=True)]
        p99s = [a["p99"] / b["p99"] for a, b in zip(results[one], results[other], strict=True)]
        print(
            f"  {one} / {other:<6} throughput per round: "
            + ", ".join(f"{r:.2f}x" for r in ratios)
            + f"  (median {statistics.median(ratios):.2f}x); p99 "
            + ", ".join(f"{r:.2f}x" for r in p99s)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=500, help="requests per round")
    parser.add_argument(
        "--rounds", type=int, default=None, help="rounds (default 20; with --wrk 3)"
    )
    parser.add_argument("--stages", action="store_true", help="also time each stage")
    parser.add_argument(
        "--no-gc", action="store_true", help="garbage collector off while timing (a control)"
    )
    parser.add_argument("--wrk", action="store_true", help="gunicorn + redis + wrk instead")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk leg")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--pool", type=int, default=50_000, help="distinct messages per round for wrk"
    )
    parser.add_argument(
        "--cache",
        choices=sorted(CACHE_CHOICES),
        default="tcp",
        help="with --wrk: " + "; ".join(f"{k}: {v}" for k, v in CACHE_CHOICES.items()),
    )
    args = parser.parse_args()
    if args.wrk:
        with_wrk(args.duration, args.connections, args.pool, args.rounds or 3, args.cache)
    else:
        if args.no_gc:
            gc.disable()
        in_process(args.n, args.rounds or 20, args.stages)


if __name__ == "__main__":
    main()
