"""Routing an inbound message to the ``@handler`` that answers it, exactly once.

WeChat waits 5 seconds for a callback's answer; without one it cuts the connection and
delivers the same message again, three times in all (PROTOCOL.md B3). Across a fleet of
workers each delivery may land on another process, so "run once" needs the shared cache:

1. The message's de-duplication key (``MsgId``; for events, which have none,
   ``FromUserName`` + ``CreateTime`` + ``Event`` + ``EventKey``, as WeChat's docs say to
   de-duplicate them) is claimed with the cache's atomic ``add()``.
2. The process that wins the claim sends :data:`~django_wechat.signals.message_received`,
   runs the first matching handler, renders its reply and stores the rendered plaintext
   under the key, for longer than WeChat's retry window *and* the callback's timestamp
   tolerance, so a retry or a replay inside that window gets the same reply and no handler
   runs twice.
3. A delivery that finds the key claimed but not yet answered waits a bounded time for the
   reply, then answers ``success`` (WeChat's "no reply"), never WeChat's error page.
4. A handler that raises releases its claim: a later retry runs it again. So a handler
   runs exactly once when it succeeds and at least once when it fails.

Replies are stored unencrypted: each delivery carries its own nonce and timestamp, so the
view encrypts the stored reply for the request it answers.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, Unpack, overload

from django.core.cache import caches
from django.utils.translation import gettext as _

from .cache import delete_if_equal
from .conf import Account, wechat_settings
from .exceptions import InvalidSignature
from .replies import create_reply
from .signals import message_received

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache
    from django.http import HttpRequest

    from .messages import BaseMessage

__all__ = [
    "Dispatcher",
    "Handler",
    "Registry",
    "bind_signature",
    "dedup_key",
    "dispatch",
    "handler",
    "registry",
    "signature_key_prefix",
]

logger = logging.getLogger("django_wechat.dispatch")

#: What a callback answers when there is nothing to say (message-push.html: "success" or
#: an empty body; either stops WeChat's retries and shows the follower nothing).
SUCCESS = "success"

HandlerFunc = Callable[..., Any]


def _as_set(value: str | Iterable[str] | None, *, lower: bool = False) -> frozenset[str] | None:
    if value is None:
        return None
    values = [value] if isinstance(value, str) else list(value)
    return frozenset(v.lower() if lower else v for v in values)


@dataclass(frozen=True)
class Handler:
    """One registered handler and the filters a message must pass to reach it.

    Every filter left as ``None`` matches anything; the filters given combine with AND.
    """

    func: HandlerFunc
    #: Message types (``MsgType``, lower case), e.g. ``{"text"}``.
    types: frozenset[str] | None = None
    #: Event names, lower case (WeChat sends ``CLICK`` and ``subscribe`` alike).
    events: frozenset[str] | None = None
    #: Exact ``EventKey`` values.
    keys: frozenset[str] | None = None
    #: A regular expression searched in a text message's ``Content``.
    content: re.Pattern[str] | None = None
    #: Account names (keys of ``WECHAT["ACCOUNTS"]``).
    accounts: frozenset[str] | None = None
    #: Higher runs first; equal priorities keep registration order.
    priority: int = 0
    order: int = field(default=0, compare=False)

    @property
    def name(self) -> str:
        """The handler function's dotted name, for logs."""
        module = getattr(self.func, "__module__", "?")
        return f"{module}.{getattr(self.func, '__qualname__', repr(self.func))}"

    def matches(self, message: BaseMessage, account: str) -> bool:
        """True when ``message``, sent to the account named ``account``, passes every filter."""
        if self.accounts is not None and account not in self.accounts:
            return False
        if self.types is not None and message.type not in self.types:
            return False
        if self.events is not None:
            event = getattr(message, "event", None)
            if not isinstance(event, str) or event.lower() not in self.events:
                return False
        if self.keys is not None and getattr(message, "key", None) not in self.keys:
            return False
        if self.content is not None:
            content = getattr(message, "content", None)
            if not isinstance(content, str) or self.content.search(content) is None:
                return False
        return True


class Filters(TypedDict, total=False):
    """The filters :func:`handler` and :meth:`Registry.register` take."""

    type: str | Iterable[str] | None
    event: str | Iterable[str] | None
    key: str | Iterable[str] | None
    content: str | re.Pattern[str] | None
    account: str | Iterable[str] | None
    priority: int


class Registry:
    """The ordered list of handlers; :data:`registry` is the one ``@handler`` fills.

    Thread-safe for registration; matching reads an immutable snapshot.
    """

    def __init__(self) -> None:
        self._handlers: tuple[Handler, ...] = ()
        # For each message type seen, the handlers that can take it (their type filter is
        # empty or names it), in order: a message is checked against those only. Replaced
        # with the handlers; a match racing a change fills the old dict, which is dropped.
        self._by_type: dict[str, tuple[Handler, ...]] = {}
        self._lock = threading.Lock()
        self._counter = 0

    def _set(self, handlers: tuple[Handler, ...]) -> None:
        # Under self._lock. _handlers first: a match that sees the new (empty) index then
        # also sees the new handlers; one that still holds the old index fills only that.
        self._handlers = handlers
        self._by_type = {}

    def __iter__(self) -> Iterator[Handler]:
        return iter(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)

    def register(self, func: HandlerFunc, **filters: Unpack[Filters]) -> Handler:
        """Add ``func`` with these filters (those of :func:`handler`); return its entry."""
        if not callable(func):
            raise TypeError(f"A WeChat handler must be callable, not {func!r}.")
        if inspect.iscoroutinefunction(func):
            raise TypeError(
                f"{func.__qualname__} is async; WeChat handlers are called synchronously "
                "within the 5-second deadline. Make it a plain function."
            )
        content = filters.get("content")
        with self._lock:
            self._counter += 1
            entry = Handler(
                func=func,
                types=_as_set(filters.get("type"), lower=True),
                events=_as_set(filters.get("event"), lower=True),
                keys=_as_set(filters.get("key")),
                content=re.compile(content) if isinstance(content, str) else content,
                accounts=_as_set(filters.get("account")),
                priority=filters.get("priority") or 0,
                order=self._counter,
            )
            self._set(tuple(sorted((*self._handlers, entry), key=lambda h: (-h.priority, h.order))))
        return entry

    def unregister(self, func: HandlerFunc | Handler) -> None:
        """Remove every registration of ``func`` (a function or a :class:`Handler`)."""
        with self._lock:
            self._set(tuple(h for h in self._handlers if h is not func and h.func is not func))

    def clear(self) -> None:
        """Remove every handler."""
        with self._lock:
            self._set(())

    def match(self, message: BaseMessage, account: str) -> Handler | None:
        """The first handler, by priority then registration order, that ``message`` passes."""
        by_type = self._by_type
        candidates = by_type.get(message.type)
        if candidates is None:
            candidates = by_type[message.type] = tuple(
                h for h in self._handlers if h.types is None or message.type in h.types
            )
        for entry in candidates:
            if entry.matches(message, account):
                return entry
        return None

    @contextmanager
    def isolated(self, *, keep: bool = False) -> Iterator[Registry]:
        """Run a block with its own handlers, restoring the previous ones afterwards.

        Handlers registered inside the block are forgotten when it ends. With
        ``keep=True`` the block starts with a copy of the current handlers, else empty::

            with registry.isolated():
                @handler(type="text")
                def echo(message, **kwargs):
                    return message.content
                ...  # only echo answers here
        """
        with self._lock:
            saved = self._handlers
            if not keep:
                self._set(())
        try:
            yield self
        finally:
            with self._lock:
                self._set(saved)


#: The registry that :func:`handler` registers into and the callback consults.
registry = Registry()


@overload
def handler(func: HandlerFunc, /) -> HandlerFunc: ...


@overload
def handler(
    func: None = None, /, **filters: Unpack[Filters]
) -> Callable[[HandlerFunc], HandlerFunc]: ...


def handler(
    func: HandlerFunc | None = None,
    /,
    *,
    type: str | Iterable[str] | None = None,
    event: str | Iterable[str] | None = None,
    key: str | Iterable[str] | None = None,
    content: str | re.Pattern[str] | None = None,
    account: str | Iterable[str] | None = None,
    priority: int = 0,
) -> HandlerFunc | Callable[[HandlerFunc], HandlerFunc]:
    """Register a function that answers inbound messages.

    ::

        @handler(type="text", content=r"^hi")       # a regex searched in the text
        def greet(message, **kwargs):
            return "Hello!"                          # a text reply

        @handler(event="click", key="V1001_GOOD")   # event names ignore case
        def liked(message, *, account, request, **kwargs):
            return [{"title": "Thanks", "url": "https://example.com"}]

    Filters: ``type`` (``MsgType``), ``event``, ``key`` (``EventKey``, exact),
    ``content`` (regex, ``re.search``), ``account`` (account names); each also takes a
    list of alternatives. Given filters must all match. The first matching handler in
    registration order answers; a higher ``priority`` goes first.

    The function is called as ``func(message, account=Account, request=HttpRequest)``
    (accept ``**kwargs`` for arguments added later) and returns a reply
    (:class:`~django_wechat.replies.BaseReply`), a ``str`` (a text reply), a list of
    article dicts (a news reply) or ``None`` (no reply). The function is returned
    unchanged, so it can still be called directly in tests.
    """
    filters: Filters = {
        "type": type,
        "event": event,
        "key": key,
        "content": content,
        "account": account,
        "priority": priority,
    }

    def decorator(f: HandlerFunc) -> HandlerFunc:
        registry.register(f, **filters)
        return f

    if func is not None:
        return decorator(func)
    return decorator


def dedup_key(message: BaseMessage, account: Account) -> str:
    """The cache key under which one message's claim and reply live.

    Scoped by the account's AppID. Messages carry a ``MsgId``; events do not, and WeChat's
    docs say to de-duplicate them by ``FromUserName`` + ``CreateTime``; the event and its
    key are added so two different events from one follower in one second stay distinct.
    """
    msg_id = getattr(message, "id", None)
    if msg_id:
        # Job-finish events carry a MsgID of their own numbering: with the type and event
        # in the key, it can't collide with a message's MsgId.
        identity = "\x00".join(
            ("id", str(message.type), str(getattr(message, "event", "") or ""), str(msg_id))
        )
    else:
        identity = "\x00".join(
            (
                "ev",
                str(message.source or ""),
                str(message.timestamp),
                str(getattr(message, "event", "") or ""),
                str(getattr(message, "key", "") or ""),
            )
        )
    digest = hashlib.blake2b(identity.encode(), digest_size=16).hexdigest()
    return dedup_key_prefix(account) + digest


def dedup_key_prefix(account: Account) -> str:
    """What every :func:`dedup_key` of ``account`` starts with. The keys themselves hash
    the message, so they cannot be listed; a cache that can match keys by prefix (local
    memory, Redis) can still find them all."""
    return f"wechat:callback:{account.app_id}:"


def signature_key_prefix(account: Account) -> str:
    """What every key :func:`bind_signature` writes for ``account`` starts with.

    Keyed by a digest of the callback token rather than the AppID: two accounts that share
    a token share their signatures too, so a URL seen for one binds it for both.
    """
    digest = hashlib.blake2b(account.token.encode(), digest_size=8).hexdigest()
    return f"wechat:signature:{digest}:"


#: What :func:`bind_signature` stores for a signature first seen on a URL verification
#: (GET): no POST body may follow it.
VERIFICATION = "verify"


def bind_signature(account: Account, signature: str, body: bytes | None) -> None:
    """Plain mode: refuse a signed query string that comes back with another body.

    In plain mode ``signature`` covers the token, timestamp and nonce but not the body, so
    whoever sees a callback URL (an access log, a proxy) could post any message with it
    while its timestamp is fresh. The first use of a signature is remembered for the
    timestamp window: a URL verification (``body=None``) or a body. The same signature with
    any other body is refused, while WeChat's retries (the same body) pass. A URL seen
    before WeChat itself used it can still carry a forgery once: prefer ``safe`` mode,
    whose ``msg_signature`` covers the encrypted body.
    """
    key = signature_key_prefix(account) + signature
    value = VERIFICATION if body is None else hashlib.blake2b(body, digest_size=16).hexdigest()
    try:
        cache = caches[wechat_settings.CACHE]
        if _cache_call(cache.add, key, value, timeout=_window()):
            return
        stored = _cache_call(cache.get, key)
    except _CacheDown as exc:
        logger.error(
            "The WeChat cache %r failed (%s); a plain-mode request was not bound to its signature.",
            wechat_settings.CACHE,
            type(exc.__cause__).__name__,
        )
        return
    if body is not None and stored is not None and stored != value:
        raise InvalidSignature(_("This signature was already used with a different message body."))


def _window() -> int:
    # A request is accepted while its timestamp is within TIMESTAMP_TOLERANCE of the
    # server's clock, and WeChat's clock may be off by as much either way: what is
    # remembered about a request (its signature, its reply) lives for both sides of that.
    return 2 * max(wechat_settings.TIMESTAMP_TOLERANCE, 15) + 60


_REPLY = "reply:"
_PENDING = "pending:"
# A claim's value names its owner, so only the owner releases it: random per process
# (pids repeat across machines), then a counter.
_PROCESS = os.urandom(6).hex()
_claims = itertools.count()


def _new_process_id() -> None:
    global _PROCESS
    _PROCESS = os.urandom(6).hex()


# Workers forked from a preloaded master (gunicorn --preload) get their own.
os.register_at_fork(after_in_child=_new_process_id)


class Dispatcher:
    """Runs the handler for each message once, with the de-duplication described above.

    The timing attributes may be changed on an instance (tests shorten them).
    """

    #: How long a claim without a reply holds, in seconds: if the process that claimed a
    #: message dies, WeChat's later retries may run the handler once this has passed.
    claim_timeout: float = 30.0
    #: How long a delivery that finds its message claimed waits for the reply before it
    #: answers ``success``; under WeChat's 5-second deadline.
    wait_timeout: float = 4.0
    #: The first and the longest pause between two looks at the cache while waiting.
    poll_interval: float = 0.005
    max_poll_interval: float = 0.1

    def __init__(self, handlers: Registry | None = None) -> None:
        self.registry = registry if handlers is None else handlers

    @staticmethod
    def reply_timeout() -> int:
        """How long a rendered reply is kept, in seconds.

        WeChat's own retries come within 15 s, but a captured request stays acceptable
        while its timestamp is within ``TIMESTAMP_TOLERANCE`` of the server's clock, early
        or late, so the reply outlives that whole window: a replay then gets the stored
        reply instead of running the handler again.
        """
        return _window()

    def dispatch(self, message: BaseMessage, account: Account, request: HttpRequest) -> str:
        """Answer ``message``: the rendered reply XML (plaintext), or ``"success"``."""
        key = dedup_key(message, account)
        try:
            cache = caches[wechat_settings.CACHE]
            return self._claim_or_wait(cache, key, message, account, request)
        except _CacheDown as exc:
            # A broken cache must not silence the account: answer without de-duplication.
            logger.error(
                "The WeChat cache %r failed (%s); handling %s without de-duplication.",
                wechat_settings.CACHE,
                type(exc.__cause__).__name__,
                key,
                exc_info=exc.__cause__,
            )
            return self._handle(message, account, request, key=None, cache=None)

    def _claim_or_wait(
        self,
        cache: BaseCache,
        key: str,
        message: BaseMessage,
        account: Account,
        request: HttpRequest,
    ) -> str:
        token = f"{_PENDING}{_PROCESS}:{next(_claims)}"
        if _cache_call(cache.add, key, token, timeout=self.claim_timeout):
            return self._handle(message, account, request, key=key, cache=cache, token=token)
        deadline = time.monotonic() + self.wait_timeout
        pause = self.poll_interval
        while True:
            stored = _cache_call(cache.get, key)
            if isinstance(stored, str) and stored.startswith(_REPLY):
                logger.info("WeChat delivered %s again; answering with the stored reply.", key)
                return stored[len(_REPLY) :]
            # Claimed and not answered yet (or released in between: the next add() decides).
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                logger.warning(
                    "WeChat delivered %s again while it was still being handled; "
                    "answered 'success' after waiting %.1f s.",
                    key,
                    self.wait_timeout,
                )
                return SUCCESS
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, self.max_poll_interval)
            if _cache_call(cache.add, key, token, timeout=self.claim_timeout):
                return self._handle(message, account, request, key=key, cache=cache, token=token)

    def _handle(
        self,
        message: BaseMessage,
        account: Account,
        request: HttpRequest,
        *,
        key: str | None,
        cache: BaseCache | None,
        token: str = "",
    ) -> str:
        for receiver, result in message_received.send_robust(
            sender=account, message=message, request=request
        ):
            if isinstance(result, Exception):
                logger.error(
                    "A message_received receiver (%s) raised; the reply is unaffected.",
                    getattr(receiver, "__qualname__", receiver),
                    exc_info=result,
                )
        entry = self.registry.match(message, account.name)
        try:
            result = self._run(entry, message, account, request)
        except Exception:
            logger.exception(
                "WeChat handler %s raised on a %r message for account %r; answered "
                "'success', and a retry of this message will run it again.",
                entry.name if entry else "?",
                message.type,
                account.name,
            )
            if cache is not None and key is not None:
                self._release(cache, key, token)
            return SUCCESS
        try:
            rendered = create_reply(result, message).render()
        except Exception:
            # The handler did its work (its side effects happened): keep the claim and
            # store "success", so WeChat's retries don't run it again.
            logger.exception(
                "The reply of WeChat handler %s to a %r message for account %r could not be "
                "rendered; answered 'success'.",
                entry.name if entry else "?",
                message.type,
                account.name,
            )
            rendered = SUCCESS
        if cache is not None and key is not None:
            try:
                _cache_call(cache.set, key, _REPLY + rendered, timeout=self.reply_timeout())
            except _CacheDown as exc:
                logger.error(
                    "Could not store the reply to %s: %s",
                    key,
                    exc.__cause__,
                    exc_info=exc.__cause__,
                )
        return rendered

    @staticmethod
    def _run(
        entry: Handler | None, message: BaseMessage, account: Account, request: HttpRequest
    ) -> Any:
        if entry is None:
            logger.debug("No WeChat handler for a %r message to %r.", message.type, account.name)
            return None
        return entry.func(message, account=account, request=request)

    @staticmethod
    def _release(cache: BaseCache, key: str, token: str) -> None:
        try:
            # Only our own claim: if it expired and another delivery claimed the key
            # meanwhile, that claim is theirs to keep.
            _cache_call(delete_if_equal, cache, key, token)
        except _CacheDown:
            logger.error("Could not release the claim on %s; it expires by itself.", key)


class _CacheDown(Exception):
    """A cache call raised; the cause is chained."""


def _cache_call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return method(*args, **kwargs)
    except Exception as exc:
        raise _CacheDown from exc


#: The dispatcher the callback view uses.
dispatcher = Dispatcher()


def dispatch(message: BaseMessage, account: Account, request: HttpRequest) -> str:
    """Answer ``message`` through the default :class:`Dispatcher` (see its ``dispatch``)."""
    return dispatcher.dispatch(message, account, request)
