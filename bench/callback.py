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
and round, the ratios, and the machine's load before and after; on Linux also where the
machine's time went in each run, per request: the gunicorn workers' CPU, redis-server's,
wrk's, and the share of the machine left idle (from /proc). ``--cache unix``
connects the cache to redis-server over a unix socket instead of loopback TCP (what a
worker on Redis's own host can do); ``--cache locmem`` gives each worker a local-memory
cache, a control that shows what the callback costs without the Redis round trip;
``--workers`` sets gunicorn's sync workers (2). Needs
``pip install -e ".[bench]"`` and ``apt-get install wrk``.

With ``--round-trip``: what one claim costs the thread that waits for it, against a
redis-server on loopback with nothing else running: the wall and CPU time per call of a
claim through django_wechat (``cache.claim`` on a django-redis cache), the same
``SET ... NX PX GET`` through redis-py's ``Connection``, and through a bare socket, with
redis-py's default 5 s socket timeout and blocking. Set against the served figures, it
separates what the client's code costs from what waiting costs under load.

Run from the repository root::

    .venv/bin/python bench/callback.py [-n 500] [--rounds 20] [--stages] [--no-gc]
    .venv/bin/python bench/callback.py --wrk [--duration 10] [--rounds 3] [--connections 8]
        [--cache tcp|unix|locmem] [--workers 2]
    .venv/bin/python bench/callback.py --round-trip [-n 10000] [--rounds 5]
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


def redis_server_args(port: int, workdir: Path) -> list[str]:
    """redis-server on 127.0.0.1:``port``, without persistence, its files in ``workdir``."""
    return [
        *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
        *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
    ]


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
def process(
    args: list[str], port: int, what: str, **kwargs: Any
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, **kwargs)
    try:
        wait_for(port, proc, what)
        yield proc
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


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the live processes ``pids`` have used (Linux's /proc)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone (a worker restarted): its time is not counted
        total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total


def with_children(pid: int) -> list[int]:
    """``pid`` and the processes it started (gunicorn's workers), from /proc."""
    found = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def machine_times() -> tuple[float, float]:
    """Seconds of CPU time the machine has had, all CPUs summed, and how many were idle."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(ticks) / _TICKS, (ticks[3] + ticks[4]) / _TICKS  # idle + iowait


class CpuMeter:
    """Where the machine's time goes during one wrk run, per request served: the web
    workers' CPU, redis-server's, wrk's, and the share of the machine left idle. Without
    /proc (not Linux) it measures nothing, and the figures are left out."""

    def __init__(self, web: list[int], redis: list[int]) -> None:
        self.web, self.redis = web, redis
        self.available = Path("/proc/stat").exists()

    @contextmanager
    def run(self) -> Iterator[dict[str, float]]:
        figures: dict[str, float] = {}
        if not self.available:
            yield figures
            return
        web, redis = cpu_seconds(self.web), cpu_seconds(self.redis)
        wrk = _children_cpu()
        total, idle = machine_times()
        yield figures
        total_after, idle_after = machine_times()
        figures.update(
            web=cpu_seconds(self.web) - web,
            redis=cpu_seconds(self.redis) - redis,
            wrk=_children_cpu() - wrk,  # wrk has exited and been waited for by now
            idle=(idle_after - idle) / max(total_after - total, 1e-9),
        )


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def per_request(result: dict[str, float]) -> dict[str, float]:
    """A measured run's CPU figures in µs per request served, and its idle share."""
    per = 1e6 / max(result["requests"], 1)
    return {key: result[key] * per for key in ("web", "redis", "wrk")} | {"idle": result["idle"]}


def cpu_text(figures: dict[str, float]) -> str:
    """``figures`` (from :func:`per_request`, or their medians) as one line's text."""
    return (
        f"workers {figures['web']:4.0f} µs, redis-server {figures['redis']:3.0f} µs, "
        f"wrk {figures['wrk']:3.0f} µs; machine idle {100 * figures['idle']:4.1f}%"
    )


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
    # Warm every worker on every leg (imports such as django_redis happen on first use),
    # so no leg's first round pays for them.
    with http.Session() as session:
        for request in build(100):
            for path, _label in LEGS.values():
                url = f"http://127.0.0.1:{port}{path}?{urlencode(request.query)}"
                assert session.post(url, data=request.body, timeout=10).status_code == 200


def uptime() -> str:
    """The machine's load averages (1, 5, 15 minutes), as uptime prints them."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def with_wrk(
    duration: int,
    connections: int,
    pool: int,
    rounds: int,
    cache: str = "tcp",
    workers: int = 2,
) -> None:
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
    redis_args = redis_server_args(redis_port, workdir)
    if cache == "unix":
        redis_args += ["--unixsocket", str(socket_path)]
    web_args = [
        gunicorn,
        "bench.wsgi:application",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{web_port}",
    ]
    web_args += ["--log-level", "warning", "--backlog", "2048"]
    script = workdir / "callback.lua"
    script.write_text(WRK_SCRIPT)
    print(f"machine before: {uptime()}; {os.cpu_count()} CPUs")
    results: dict[str, list[dict[str, float]]] = {name: [] for name in LEGS}
    with (
        process(redis_args, redis_port, "redis-server") as redis_server,
        process(web_args, web_port, "gunicorn", env=env, cwd=ROOT) as web_server,
    ):
        check_legs(web_port)
        meter = CpuMeter(with_children(web_server.pid), [redis_server.pid])
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
                with meter.run() as cpu:
                    result = run_wrk(web_port, script, pool_file, duration, connections)
                result.update(cpu)
                results[name].append(result)
                print(
                    f"  round {round_ + 1} {name:<5} {result['rps']:>8,.0f} req/s  "
                    f"p50 {result['p50']:5.2f} ms  p99 {result['p99']:5.2f} ms  "
                    f"({result['requests']:,} requests, {result['non2xx']} non-2xx, "
                    f"{result['socket_errors']} socket errors; {pool:,} messages built "
                    f"in {built:.1f} s)"
                )
                if cpu:
                    print("    CPU per request: " + cpu_text(per_request(result)))
                if name == "ours" and result["requests"] > pool:
                    print(f"    note: {result['requests'] - pool:,} were repeats (retries)")
    shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"served by gunicorn ({workers} sync workers), the cache {CACHE_CHOICES[cache]}, "
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
    if meter.available:
        print("  where the machine's time went, per request (median over the rounds):")
        for name in LEGS:
            figures = [per_request(r) for r in results[name]]
            median = {key: statistics.median(f[key] for f in figures) for key in figures[0]}
            print(f"    {name:<5} " + cpu_text(median))
    for one, other in (("ours", "glue"), ("ours", "empty"), ("glue", "empty")):
        ratios = [a["rps"] / b["rps"] for a, b in zip(results[one], results[other], strict=True)]
        p99s = [a["p99"] / b["p99"] for a, b in zip(results[one], results[other], strict=True)]
        print(
            f"  {one} / {other:<6} throughput per round: "
            + ", ".join(f"{r:.2f}x" for r in ratios)
            + f"  (median {statistics.median(ratios):.2f}x); p99 "
            + ", ".join(f"{r:.2f}x" for r in p99s)
        )


def round_trip(n: int, rounds: int) -> None:
    import redis
    from django_redis.cache import RedisCache

    from django_wechat import cache as wcache

    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed")
    workdir = Path(tempfile.mkdtemp(prefix="wechat-bench-"))
    port = free_port()
    redis_args = redis_server_args(port, workdir)
    value = "pending:bench:1"

    def ours(round_: int) -> None:
        cache = RedisCache(f"redis://127.0.0.1:{port}/0", {})
        for i in range(n):
            wcache.call(wcache.claim, cache, f"ours:{round_}:{i}", value, 3.0)

    def redis_py(round_: int) -> None:
        connection = redis.Connection(host="127.0.0.1", port=port)
        for i in range(n):
            key = f"redis-py:{round_}:{i}"
            connection.send_command("SET", key, value, "NX", "PX", 3000, "GET", check_health=False)
            connection.read_response()
        connection.disconnect()

    def bare(timeout: float | None) -> Callable[[int], None]:
        def run(round_: int) -> None:
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(timeout)
                answer = bytearray(1024)
                for i in range(n):
                    key = f"bare:{timeout}:{round_}:{i}".encode()
                    sock.sendall(
                        b"*7\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                        b"$2\r\nNX\r\n$2\r\nPX\r\n$4\r\n3000\r\n$3\r\nGET\r\n"
                        % (len(key), key, len(value), value.encode())
                    )
                    sock.recv_into(answer)  # "$-1\r\n": the key was free

        return run

    ways: list[tuple[str, Callable[[int], None]]] = [
        ("django_wechat's claim (django-redis cache)", ours),
        ("redis-py Connection, SET NX PX GET", redis_py),
        ("bare socket, 5 s timeout (redis-py's default)", bare(5.0)),
        ("bare socket, blocking", bare(None)),
    ]
    best: dict[str, tuple[float, float]] = {}
    with process(redis_args, port, "redis-server"):
        for round_ in range(rounds + 1):  # the first round warms up, and is not counted
            for label, run in ways:
                wall, cpu = time.perf_counter(), time.thread_time()
                run(round_)
                figures = ((time.perf_counter() - wall) / n, (time.thread_time() - cpu) / n)
                if round_ and (label not in best or figures[1] < best[label][1]):
                    best[label] = figures
    shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"one claim against redis-server on loopback, {n:,} calls x {rounds} rounds (best round):"
    )
    baseline = best[ways[-1][0]][1]
    for label, (wall, cpu) in best.items():
        print(
            f"  {label:<48} wall {wall * 1e6:6.1f} µs  CPU {cpu * 1e6:6.1f} µs  "
            f"({cpu / baseline:.2f}x the blocking socket's CPU)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-n", type=int, default=None, help="requests per round (500; with --round-trip 10,000)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="rounds (default 20; with --wrk 3; with --round-trip 5)",
    )
    parser.add_argument("--stages", action="store_true", help="also time each stage")
    parser.add_argument(
        "--no-gc", action="store_true", help="garbage collector off while timing (a control)"
    )
    parser.add_argument("--wrk", action="store_true", help="gunicorn + redis + wrk instead")
    parser.add_argument(
        "--round-trip", action="store_true", help="what one claim on Redis costs, three ways"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk leg")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn's sync workers for --wrk (2; the issue's setting)",
    )
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
    if args.round_trip:
        round_trip(args.n or 10_000, args.rounds or 5)
    elif args.wrk:
        with_wrk(
            args.duration,
            args.connections,
            args.pool,
            args.rounds or 3,
            args.cache,
            args.workers,
        )
    else:
        if args.no_gc:
            gc.disable()
        in_process(args.n or 500, args.rounds or 20, args.stages)


if __name__ == "__main__":
    main()
