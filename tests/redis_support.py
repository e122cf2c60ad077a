"""A throw-away redis-server on a free loopback port: for the fixtures in conftest.py, for
tests that stop or stall one of their own, and for the reliability suite."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

REDIS_MISSING = (
    "redis-server is not installed, so the Redis tests were SKIPPED. "
    "Install it (apt-get install -y redis-server) to run them."
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (just now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_binary() -> str:
    """The redis-server binary; without one the test is skipped with a loud notice, except
    under ``CI=true``, where a missing server fails the run."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(REDIS_MISSING + " Under CI=true this is a failure.")
        pytest.skip(REDIS_MISSING)
    return binary


def start_redis(binary: str, port: int, workdir: str) -> subprocess.Popen[bytes]:
    """Start redis-server on 127.0.0.1:``port`` without persistence; return once it
    answers ``PING`` (the test fails if it does not within 10 s)."""
    args = [binary, "--port", str(port), "--bind", "127.0.0.1"]
    args += ["--save", "", "--appendonly", "no", "--dir", workdir]
    proc = subprocess.Popen(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.05)


class RedisServer:
    """A redis-server process without persistence; :meth:`stop`, :meth:`pause` and
    :meth:`resume` stage the faults a production Redis has."""

    def __init__(self) -> None:
        self.workdir = tempfile.mkdtemp(prefix="wechat-redis-")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = start_redis(redis_binary(), self.port, self.workdir)

    def pause(self) -> None:
        """SIGSTOP: the server keeps its connections and answers nothing (a hung Redis)."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Terminate the server and remove its directory."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a paused server cannot act on SIGTERM
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)
