"""The reliability suite's harness: a served site, the faults, WeChat's delivery, the counts.

The site is the bench's (``bench.wsgi``, ``bench.settings``) with
:mod:`tests.reliability_settings` on top: gunicorn with 2 sync workers on 127.0.0.1, its
WeChat cache a django-redis cache (with socket timeouts) on a redis-server of its own
(:class:`Redis`), which a test may kill and restart (without persistence) or stall
(``SIGSTOP`` … ``SIGCONT``). The handler writes each run to a file
(:mod:`tests.reliability_site`), so a run counts even when its worker is SIGKILLed.

WeChat as :class:`Traffic` plays it (PROTOCOL.md B3): each message is delivered up to
:data:`ATTEMPTS` times; an attempt without an HTTP 200 within :data:`DEADLINE` seconds
(WeChat cuts the connection then) is followed by the next one :data:`RETRY_AFTER` seconds
after it began (also when it failed sooner: a refused or dropped connection); a retry
sends the same bytes. A 200 ends the delivery, whatever it carries: ``success`` included,
which WeChat takes as "no reply". Time is not compressed: the site's own timings (the
dispatcher's 4 s wait, a claim's lifetime) are sized against WeChat's 5 s, so a shorter
client deadline would test another protocol.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from django_wechat.testing import (
    CallbackRequest,
    callback_request,
    read_reply,
    verification_request,
)
from tests.redis_support import free_port, redis_binary, start_redis

ROOT = Path(__file__).resolve().parent.parent

#: Seconds WeChat waits for an answer before it cuts the connection.
DEADLINE = 5.0
#: Seconds between the starts of two attempts at one message.
RETRY_AFTER = 5.0
#: Deliveries of one message at most.
ATTEMPTS = 3
#: An answer slower than this counts against recovery (a healthy one takes milliseconds).
PROMPT = 1.0
#: Around a fault, the seconds in which a request may still meet it (in flight when it
#: began, or held by a socket timeout): a message is "clear of the fault" only outside.
MARGIN = 1.0

#: The environment variable naming the file the site's handler writes its runs to.
RUNS_ENV = "RELIABILITY_RUNS"

MODES = ("safe", "plain")
_ACCOUNTS = {"safe": "default", "plain": "plain"}
_msg_ids = itertools.count(10**15 + secrets.randbelow(10**14))


# --- the servers ---------------------------------------------------------------------------


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process we started: SIGTERM, and SIGKILL if it is still there after 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Redis:
    """A redis-server on a loopback port of its own, which stays the same across restarts."""

    def __init__(self, workdir: Path) -> None:
        self.binary = redis_binary()
        self.port = free_port()
        self.workdir = str(workdir)
        self.proc = start_redis(self.binary, self.port, self.workdir)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def kill(self) -> None:
        """SIGKILL it (no persistence: everything it held is gone)."""
        self.proc.kill()
        self.proc.wait()

    def restart(self) -> None:
        """Start it again, empty, on the same port; return once it answers."""
        self.proc = start_redis(self.binary, self.port, self.workdir)

    def stall(self) -> None:
        """SIGSTOP it: connections are still accepted, nothing is answered."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.resume()
            stop(self.proc)


class Site:
    """gunicorn, 2 sync workers, serving the reliability site on a loopback port."""

    def __init__(self, redis_url: str, workdir: Path) -> None:
        self.port = free_port()
        self.runs_file = workdir / "runs.jsonl"
        self.log_file = workdir / "gunicorn.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.reliability_settings",
            "BENCH_REDIS_URL": redis_url,
            RUNS_ENV: str(self.runs_file),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        args = [sys.executable, "-m", "gunicorn", "bench.wsgi:application"]
        args += ["--workers", "2", "--bind", f"127.0.0.1:{self.port}"]
        args += ["--log-level", "warning", "--graceful-timeout", "3"]
        with self.log_file.open("wb") as log:
            # A session of its own: at the end, its whole group (the workers) is stopped.
            self.proc = subprocess.Popen(
                args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            self._wait_ready()
        except BaseException:
            self.close()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while len(self.workers()) < 2 or not self._listening():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not start: {self.log()}")
            time.sleep(0.1)
        # Each worker loads the URLconf (and so the handler) on its first request.
        probes = [threading.Thread(target=self.verify) for _ in range(4)]
        for probe in probes:
            probe.start()
        for probe in probes:
            probe.join()

    def _listening(self) -> bool:
        try:
            with contextlib.closing(http.client.HTTPConnection("127.0.0.1", self.port, 1)) as c:
                c.connect()
        except OSError:
            return False
        return True

    def verify(self) -> None:
        """A URL verification (GET) of the safe-mode account, which must answer 200."""
        request = verification_request(account="default", url=callback_path("safe"))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", request.url)
            response = conn.getresponse()
            assert response.status == 200, (response.status, response.read()[:200])
        finally:
            conn.close()

    def workers(self) -> set[int]:
        """The pids of gunicorn's live workers (its master's children)."""
        pids = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == self.proc.pid and state != "Z":
                pids.add(int(entry.name))
        return pids

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")[-4000:]

    def logged(self, level: str) -> list[str]:
        """The lines django_wechat logged at ``level`` (``ERROR``, ``WARNING``) so far."""
        lines = self.log_file.read_text(errors="replace").splitlines()
        return [line for line in lines if line.startswith(f"{level} django_wechat")]

    def close(self) -> None:
        stop(self.proc)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def served(workdir: Path) -> Iterator[tuple[Redis, Site]]:
    """A redis-server and the site on it; both stopped at the end, whatever happened."""
    redis = Redis(workdir)
    try:
        site = Site(redis.url, workdir)
        try:
            yield redis, site
        finally:
            site.close()
    finally:
        redis.close()


# --- WeChat's deliveries -------------------------------------------------------------------


def callback_path(mode: str) -> str:
    """The callback's path for the account in ``mode``, as the site mounts it."""
    return f"/wechat/callback/{_ACCOUNTS[mode]}/"


@dataclass
class Attempt:
    """One delivery attempt: when it was sent and answered (monotonic), and the answer."""

    number: int
    sent: float
    answered: float
    #: The HTTP status; None when nothing came within the deadline or the connection broke.
    status: int | None
    body: bytes = b""

    def overlaps(self, start: float, end: float) -> bool:
        return self.sent <= end and self.answered >= start


@dataclass
class Delivery:
    """One message (or one forged request) and every attempt at it."""

    request: CallbackRequest
    msg_id: str
    mode: str
    #: Seconds after the traffic's start at which the first attempt is sent.
    at: float
    forged: bool = False
    attempts: list[Attempt] = field(default_factory=list)

    def outcome(self, attempt: Attempt) -> str:
        """``reply`` (this message's reply), ``success``, ``503``, ``other`` (any other
        status), ``none`` (no answer) or ``wrong`` (a 200 carrying anything else)."""
        if attempt.status is None:
            return "none"
        if attempt.status != 200:
            return "503" if attempt.status == 503 else "other"
        reply = read_reply(attempt.body, account=_ACCOUNTS[self.mode])
        if not reply.xml:
            return "success"
        return "reply" if reply.content == f"handled {self.msg_id}" else "wrong"

    @property
    def answered_with_reply(self) -> bool:
        return any(self.outcome(a) == "reply" for a in self.attempts)

    def clear_of(self, start: float, end: float, margin: float = MARGIN) -> bool:
        """No attempt at this message came within ``margin`` of the fault from ``start``
        to ``end``."""
        return not any(a.overlaps(start - margin, end + margin) for a in self.attempts)


def message(mode: str, text: str) -> tuple[CallbackRequest, str]:
    """A new text message for the account in ``mode``, and its MsgId."""
    msg_id = str(next(_msg_ids))
    request = callback_request(
        text=text, account=_ACCOUNTS[mode], url=callback_path(mode), MsgId=msg_id
    )
    return request, msg_id


def post(port: int, request: CallbackRequest) -> tuple[int | None, bytes]:
    """POST ``request`` as WeChat does: the answer, or None after :data:`DEADLINE`."""
    deadline = time.monotonic() + DEADLINE
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    try:
        conn.request("POST", request.url, body=request.body, headers={"Content-Type": "text/xml"})
        assert conn.sock is not None
        conn.sock.settimeout(max(0.001, deadline - time.monotonic()))
        response = conn.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException):
        return None, b""
    finally:
        conn.close()
    if time.monotonic() > deadline:
        return None, b""
    return response.status, body


class Traffic:
    """Messages delivered to the site as WeChat does, each on a thread of its own."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.deliveries: list[Delivery] = []
        self.t0 = 0.0
        self._threads: list[threading.Thread] = []

    def add(self, mode: str, text: str, *, at: float) -> Delivery:
        request, msg_id = message(mode, text)
        delivery = Delivery(request, msg_id, mode, at)
        self.deliveries.append(delivery)
        return delivery

    def steady(self, *, seconds: float, rate: float, start: float = 0.0) -> list[Delivery]:
        """Distinct messages, ``rate`` a second for ``seconds``, safe and plain in turn."""
        count = int(seconds * rate)
        return [self.add(MODES[i % 2], f"message {i}", at=start + i / rate) for i in range(count)]

    def forge(self, genuine: Delivery, *, at: float) -> Delivery:
        """A plain-mode forgery: ``genuine``'s signed URL carrying another message's body."""
        assert genuine.mode == "plain"
        other, msg_id = message("plain", "forged")
        request = replace(genuine.request, body=other.body, message=other.message)
        delivery = Delivery(request, msg_id, "plain", at, forged=True)
        self.deliveries.append(delivery)
        return delivery

    def start(self) -> None:
        self.t0 = time.monotonic() + 0.2
        self._threads = [
            threading.Thread(target=self._deliver, args=(d,), daemon=True) for d in self.deliveries
        ]
        for thread in self._threads:
            thread.start()

    def wait_until(self, offset: float) -> float:
        """Sleep until ``offset`` seconds after the start; return the monotonic time."""
        _sleep_until(self.t0 + offset)
        return time.monotonic()

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=ATTEMPTS * RETRY_AFTER + DEADLINE + 30)
        assert not any(t.is_alive() for t in self._threads), "a delivery never finished"

    def run(self) -> None:
        self.start()
        self.join()

    def _deliver(self, delivery: Delivery) -> None:
        # A forger sends once; WeChat retries.
        for number in range(1, 2 if delivery.forged else ATTEMPTS + 1):
            _sleep_until(self.t0 + delivery.at + (number - 1) * RETRY_AFTER)
            sent = time.monotonic()
            status, body = post(self.port, delivery.request)
            delivery.attempts.append(Attempt(number, sent, time.monotonic(), status, body))
            if status == 200:
                return


def _sleep_until(moment: float) -> None:
    pause = moment - time.monotonic()
    if pause > 0:
        time.sleep(pause)


# --- the handler's runs --------------------------------------------------------------------


@dataclass
class Runs:
    """One message's handler runs: the pid and time of each start, and of each end."""

    starts: list[tuple[int, float]] = field(default_factory=list)
    ends: list[tuple[int, float]] = field(default_factory=list)


def read_runs(site: Site) -> dict[str, Runs]:
    """Every run the site's handler wrote down, by MsgId."""
    runs: dict[str, Runs] = {}
    if not site.runs_file.exists():
        return runs
    for line in site.runs_file.read_text().splitlines():
        entry = json.loads(line)
        record = runs.setdefault(entry["id"], Runs())
        (record.starts if entry["event"] == "start" else record.ends).append(
            (entry["pid"], entry["at"])
        )
    return runs


def wait_for_start(site: Site, msg_id: str, timeout: float) -> int:
    """The pid of the worker running the handler for ``msg_id``, once it has started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = read_runs(site).get(msg_id)
        if runs and runs.starts:
            return runs.starts[0][0]
        time.sleep(0.02)
    raise AssertionError(f"the handler never started on {msg_id}: {site.log()}")


# --- the counts ----------------------------------------------------------------------------


@dataclass
class Row:
    """What one scenario did to the messages of one mode."""

    scenario: str
    mode: str
    messages: int
    attempts: int
    outcomes: Counter[str]
    #: Messages by the number of times their handler started: 0, 1, 2 or more.
    started: tuple[int, int, int]
    #: Messages whose handler never completed a run, and those it completed more than once.
    never: int
    duplicates: int
    forged: int
    forged_runs: int
    recovery: float | None
    #: Errors django_wechat logged during the scenario (both modes: a cache call that
    #: failed, a handler that raised).
    errors: int

    HEADER = (
        f"{'scenario':<15}{'mode':<6}{'msgs':>5}{'tries':>6}{'reply':>6}{'succ':>5}"
        f"{'503':>5}{'other':>6}{'none':>5}{'wrong':>6}   {'runs 0/1/2+':<12}{'never':>6}{'dup':>4}"
        f"{'forged':>7}{'ran':>4}{'errs':>5}  recovery"
    )

    def line(self) -> str:
        o = self.outcomes
        runs = "/".join(str(n) for n in self.started)
        recovery = "-" if self.recovery is None else f"{self.recovery:.2f} s"
        return (
            f"{self.scenario:<15}{self.mode:<6}{self.messages:>5}{self.attempts:>6}"
            f"{o['reply']:>6}{o['success']:>5}{o['503']:>5}{o['other']:>6}{o['none']:>5}"
            f"{o['wrong']:>6}"
            f"   {runs:<12}{self.never:>6}{self.duplicates:>4}{self.forged:>7}"
            f"{self.forged_runs:>4}{self.errors:>5}  {recovery}"
        )


def count(
    scenario: str,
    mode: str,
    deliveries: Iterable[Delivery],
    runs: dict[str, Runs],
    recovery: float | None,
    errors: int,
) -> Row:
    """The counts for the deliveries of ``mode`` (forgeries counted apart)."""
    mine = [d for d in deliveries if d.mode == mode]
    genuine = [d for d in mine if not d.forged]
    forged = [d for d in mine if d.forged]
    outcomes: Counter[str] = Counter(
        d.outcome(a) for d in genuine for a in d.attempts
    )  # fmt: skip
    started = Counter(min(len(runs.get(d.msg_id, Runs()).starts), 2) for d in genuine)
    ends = [len(runs.get(d.msg_id, Runs()).ends) for d in genuine]
    return Row(
        scenario=scenario,
        mode=mode,
        messages=len(genuine),
        attempts=sum(len(d.attempts) for d in genuine),
        outcomes=outcomes,
        started=(started[0], started[1], started[2]),
        never=sum(1 for n in ends if n == 0),
        duplicates=sum(1 for n in ends if n > 1),
        forged=len(forged),
        forged_runs=sum(len(runs.get(d.msg_id, Runs()).starts) for d in forged),
        recovery=recovery,
        errors=errors,
    )


def recovery_after(deliveries: Iterable[Delivery], fault_end: float) -> float:
    """Seconds from ``fault_end`` to the last answer after it that was not a prompt 200
    (refused, none, or slower than :data:`PROMPT`); 0 when every answer after it was."""
    late = [
        a.answered
        for d in deliveries
        if not d.forged
        for a in d.attempts
        if a.answered >= fault_end and (a.status != 200 or a.answered - a.sent > PROMPT)
    ]
    return max(late) - fault_end if late else 0.0


def table(rows: Iterable[Row]) -> str:
    return "\n".join([Row.HEADER, *(row.line() for row in rows)])
