"""django_wechat's cache primitives on django-redis: one command each, on a connection the
thread keeps.

:mod:`django_wechat.cache` hands its primitives (claim, store, extend, delete a key that
names its owner) to this module when the cache is a django-redis cache on one server.
They skip redis-py's command API on purpose: under a served load, a command's way through
it (taking a connection from the pool and checking it for unread data, the retry
wrapper, the argument shims) cost more CPU than the round trip itself, and the callback
makes one such call per message (``bench/callback.py --wrk``; docs/production.rst).
Instead:

- each thread takes one connection from the cache's pool and keeps it; it goes back to
  the pool when the thread ends, and a forked child leaves its parent's alone;
- a claim is ``SET key value NX PX ms GET``: one command that sets the key or returns
  what it holds (Redis 7.0+). An older server refuses the options together, and then a
  Lua script does the same, for the rest of the process;
- a stored reply's ``SET`` is not sent at once: it goes out in one write with the
  thread's next command on that connection (the next message's claim, under load), or
  within :data:`FLUSH_AFTER` seconds from a thread that sends what has waited.
  Redis then wakes once per message instead of twice, which is most of what the served
  callback gains (the claim still holds the message meanwhile, and a retry that finds
  it waits for the reply);
- when a kept connection fails, or is reconnected under us (django-redis'
  ``CLOSE_CONNECTION`` disconnects the whole pool), the stores sent on it without an
  answer read are sent again on the new socket (the flusher reads the answers it waits
  for, so a socket Redis closed shows), and a command that failed because the connection
  was closed while it sat idle (Redis restarted, an idle timeout) is sent once more.
  Every command here may safely run twice: a claim recognises its own value.

Values are encoded and keys made by django-redis's client, as ``cache.get()`` reads them.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
import weakref
from collections import deque
from typing import Any

__all__ = ["FLUSH_AFTER", "claim", "delete_if_equal", "extend_if_equal", "settle", "store"]

logger = logging.getLogger("django_wechat.cache")

#: Delete KEYS[1] if it holds ARGV[1], in one step on the server.
_COMPARE_AND_DELETE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""
#: Reset KEYS[1]'s expiry to ARGV[2] milliseconds if it holds ARGV[1]: 1 if it did.
_COMPARE_AND_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
#: ``SET KEYS[1] ARGV[1] NX PX ARGV[2] GET`` for servers before Redis 7.0.
_SET_NX_GET = """
local held = redis.call('get', KEYS[1])
if held then
    return held
end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
"""

#: The scripts' SHA1 digests, once each is loaded.
_scripts: dict[str, str] = {}
#: The pools whose server refused ``SET ... NX GET`` (before Redis 7.0).
_without_set_get: set[int] = set()

#: How long, in seconds, a stored reply may wait for a command to go out with before the
#: flushing thread sends it alone. Far shorter than a claim's lease (3 s), which holds the
#: message meanwhile.
FLUSH_AFTER = 0.05
#: How many times a stored reply is sent before it is given up (and logged).
_SENDS = 2

#: A store waiting to go out or to be answered: the command, the key, how often sent.
_Store = tuple[tuple[Any, ...], str, int]


class _Kept:
    """A connection a thread took from a pool, with its stores not yet sent or answered.

    Its lock is held by whoever writes to the connection: the owning thread, or the
    flushing thread sending stores that waited too long.
    """

    __slots__ = (
        "__weakref__",
        "connection",
        "deferred",
        "lock",
        "pid",
        "pool",
        "since",
        "unread",
        "used",
    )

    def __init__(self, pool: Any) -> None:
        self.pid = os.getpid()
        self.pool = pool
        self.connection = pool.get_connection()
        # Someone else may close it (django-redis' CLOSE_CONNECTION disconnects the whole
        # pool): redis-py then reconnects by itself, and the answers we wait for are gone.
        self.connection.register_connect_callback(self.connected)
        self.lock = threading.Lock()
        #: Stores not sent yet, and since when the oldest has waited (time.monotonic()).
        self.deferred: list[_Store] = []
        self.since = 0.0
        #: Stores sent whose answers are still on the socket, in order.
        self.unread: deque[_Store] = deque()
        #: Whether a command went through since it (re)connected: a failure may then be a
        #: socket closed while it sat idle.
        self.used = False

    def send(self, *commands: tuple[Any, ...]) -> None:
        """Write the deferred stores and ``commands`` to the socket in one go.

        The stores count as unread before the write: if it fails, the caller's
        :meth:`reset` finds them there and sends them again.
        """
        self.connection.connect()  # a no-op when connected; else connected() runs first
        sending, self.deferred = self.deferred, []
        self.unread.extend((command, key, sends + 1) for command, key, sends in sending)
        batch = [command for command, _key, _sends in sending] + list(commands)
        # No PING health check in between: it would read our answers as its own.
        if len(batch) == 1:
            self.connection.send_command(*batch[0], check_health=False)
        elif batch:
            packed = self.connection.pack_commands(batch)
            self.connection.send_packed_command(packed, check_health=False)

    def connected(self, connection: Any) -> None:
        """redis-py (re)connected the socket: answers still unread on the old one are
        lost, so their stores go out again."""
        self.used = False
        if self.unread:
            self.deferred = [*self.unread, *self.deferred]
            self.unread.clear()
            self.since = time.monotonic()
            _flusher.wake()

    def read_unread(self) -> None:
        """Read the answers to the stores sent, which come before any later command's."""
        from redis.exceptions import ResponseError

        while self.unread:
            key = self.unread[0][1]
            try:
                self.connection.read_response()
            except ResponseError:
                logger.error("Redis refused to store the reply under %s.", key, exc_info=True)
            self.unread.popleft()

    def reset(self) -> None:
        """After a failure: close the socket (the next command opens a new one) and send
        the stores it may have lost again, unless they were sent :data:`_SENDS` times."""
        self.connection.disconnect()
        self.used = False
        again = []
        for command, key, sends in self.unread:
            if sends >= _SENDS:
                logger.error("Redis did not store the reply under %s.", key)
            else:
                again.append((command, key, sends))
        if again and not self.deferred:
            self.since = time.monotonic()
        self.deferred = again + self.deferred
        self.unread.clear()
        if self.deferred:
            _flusher.wake()

    def flush(self, *, read: bool) -> None:
        """Send the deferred stores (and read every answer if ``read``); once more on a new
        connection if that fails. The caller holds the lock."""
        for _attempt in range(_SENDS):
            try:
                if self.deferred:
                    self.send()
                if read:
                    self.read_unread()
                return
            except Exception:
                logger.warning("Sending the stored replies to Redis failed.", exc_info=True)
                self.reset()
            except BaseException:
                self.reset()  # an interruption mid-answer: the socket is out of step
                raise
        for _command, key, _sends in self.deferred:
            logger.error("Redis did not store the reply under %s.", key)
        self.deferred = []

    def give_back(self) -> None:
        """Send what waits, then return the connection to its pool."""
        with self.lock:
            self.flush(read=True)
            if self.unread:
                # Answers still on the socket would reach the pool's next user.
                self.connection.disconnect()
                self.unread.clear()
            self.connection.deregister_connect_callback(self.connected)
            self.pool.release(self.connection)

    def __del__(self) -> None:
        # The thread ended. In a forked child the connection is the parent's.
        if self.pid == os.getpid() and hasattr(self, "connection"):
            # A pool torn down at exit has nothing left to take it back.
            with contextlib.suppress(Exception):
                self.give_back()


class _Connections(threading.local):
    """This thread's kept connections, by pool."""

    def __init__(self) -> None:
        self.by_pool: dict[int, _Kept] = {}


_connections = _Connections()


class _Flusher:
    """One daemon thread per process: sends each store within :data:`FLUSH_AFTER`.

    It looks every half of that while stores keep coming, and sleeps on an event when
    none waits, so an idle process has no thread waking up.
    """

    def __init__(self) -> None:
        self._watched: weakref.WeakSet[_Kept] = weakref.WeakSet()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()

    def watch(self, kept: _Kept) -> None:
        """Look after ``kept``, which has a store waiting."""
        if kept not in self._watched:
            with self._lock:
                self._watched.add(kept)
        self.wake()
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="django_wechat reply flusher", daemon=True
                    )
                    self._thread.start()

    def wake(self) -> None:
        """A store waits: make sure the thread looks (only an Event, no lock taken)."""
        if not self._wake.is_set():
            self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(FLUSH_AFTER / 2)
            self._wake.clear()
            try:
                # Waited half of FLUSH_AFTER here, and at most half before this look. The
                # answers are read too: a socket Redis closed shows only when reading.
                self.flush(older_than=FLUSH_AFTER / 2, read=True)
                with self._lock:
                    waiting = any(kept.deferred for kept in self._watched)
            except Exception:
                logger.exception("The reply flusher failed; it goes on.")
                waiting = True
            if waiting:
                self._wake.set()  # look again soon

    def flush(self, *, older_than: float = 0.0, read: bool = False) -> None:
        """Send the stores of every thread that waited ``older_than`` seconds or more;
        with ``read``, also wait for Redis's answers to all each connection sent."""
        with self._lock:
            watched = list(self._watched)
        now = time.monotonic()
        for kept in watched:
            if not (kept.deferred or (read and kept.unread)) or now - kept.since < older_than:
                continue
            # A thread busy on its connection sends what waits with its own command.
            if kept.lock.acquire(blocking=older_than == 0.0):
                try:
                    kept.flush(read=read)
                finally:
                    kept.lock.release()

    def forget(self) -> None:
        # In a forked child: the parent's thread, and its locks' state, are not ours.
        self._watched = weakref.WeakSet()
        self._thread = None
        self._wake = threading.Event()
        self._lock = threading.Lock()


_flusher = _Flusher()
# A worker that exits (gunicorn's graceful stop, max_requests) sends what waits.
atexit.register(_flusher.flush)


def _forget_connections() -> None:
    global _connections
    # The parent's connections live on in the parent; the child opens its own.
    _connections = _Connections()
    _flusher.forget()


os.register_at_fork(after_in_child=_forget_connections)


def _pool(client: Any) -> Any:
    return client.get_client(write=True).connection_pool


def _kept(pool: Any) -> _Kept:
    kept = _connections.by_pool.get(id(pool))
    if kept is None or kept.pool is not pool:
        kept = _connections.by_pool[id(pool)] = _Kept(pool)
    return kept


def settle() -> None:
    """Send every thread's waiting stores now, and wait for Redis's answers to them.

    The owner of a connection reads from it only under its lock, so any thread may.
    """
    _flusher.flush(read=True)
    for kept in list(_connections.by_pool.values()):
        with kept.lock:
            kept.flush(read=True)


def _execute(client: Any, *args: Any) -> Any:
    """Send one command (after the stores waiting) on this thread's connection to
    ``client``'s server; its answer."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import ResponseError

    kept = _kept(_pool(client))
    with kept.lock:
        for retry_stale in (True, False):
            was_used = kept.used
            try:
                kept.send(args)
                kept.read_unread()
                answer = kept.connection.read_response()
            except ResponseError:
                kept.used = True  # the server's answer: the connection is fine
                raise
            except BaseException as exc:
                # A timeout or an interruption leaves answers on the socket: the
                # connection is done for either way.
                kept.reset()
                if retry_stale and was_used and isinstance(exc, RedisConnectionError):
                    continue  # closed while it sat idle: once more on a new connection
                raise
            kept.used = True
            return answer
    raise AssertionError("unreachable")  # pragma: no cover


def _script(client: Any, script: str, key: Any, *args: Any) -> Any:
    from redis.exceptions import NoScriptError

    sha = _scripts.get(script)
    if sha is None:
        sha = _scripts[script] = _as_text(_execute(client, "SCRIPT", "LOAD", script))
    try:
        return _execute(client, "EVALSHA", sha, 1, key, *args)
    except NoScriptError:  # the server restarted, or its script cache was flushed
        _execute(client, "SCRIPT", "LOAD", script)  # the same digest again
        return _execute(client, "EVALSHA", sha, 1, key, *args)


def _as_text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def claim(client: Any, key: str, value: Any, milliseconds: int) -> tuple[bool, Any]:
    """Set ``key`` to ``value`` for ``milliseconds`` unless it is set: ``(True, None)``
    when it was, else ``(False, what it holds)``. One command."""
    from redis.exceptions import ResponseError

    redis_key = client.make_key(key)
    encoded = client.encode(value)
    pool = _pool(client)
    if id(pool) in _without_set_get:
        held = _script(client, _SET_NX_GET, redis_key, encoded, milliseconds)
    else:
        try:
            held = _execute(client, "SET", redis_key, encoded, "NX", "PX", milliseconds, "GET")
        except ResponseError as exc:
            if "syntax" not in str(exc).lower():
                raise
            _without_set_get.add(id(pool))  # before Redis 7.0: NX and GET don't go together
            held = _script(client, _SET_NX_GET, redis_key, encoded, milliseconds)
    # The key holding our own value means a first attempt set it and its answer was lost.
    if held is None or held == encoded:
        return True, None
    return False, client.decode(held)


def store(client: Any, key: str, value: Any, milliseconds: int) -> None:
    """``SET key value PX milliseconds``, sent with the thread's next command on the
    connection, or within :data:`FLUSH_AFTER` seconds, or by :func:`settle`."""
    command = ("SET", client.make_key(key), client.encode(value), "PX", milliseconds)
    kept = _kept(_pool(client))
    with kept.lock:
        if not kept.deferred:
            kept.since = time.monotonic()
        kept.deferred.append((command, key, 0))
    _flusher.watch(kept)


def extend_if_equal(client: Any, key: str, value: Any, milliseconds: int) -> bool:
    """Make ``key`` expire ``milliseconds`` from now if it holds ``value``: True if it did."""
    redis_key = client.make_key(key)
    return bool(_script(client, _COMPARE_AND_EXTEND, redis_key, client.encode(value), milliseconds))


def delete_if_equal(client: Any, key: str, value: Any) -> None:
    """Delete ``key`` if it holds ``value``, in one step on the server."""
    _script(client, _COMPARE_AND_DELETE, client.make_key(key), client.encode(value))
