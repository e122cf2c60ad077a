"""The handlers that answer inbound messages: ``@handler``, its filters and the registry.

A handler is a function registered with filters (message type, event, event key, a
regex on the text, accounts) and a priority; :meth:`Registry.match` finds the first one a
message passes. Running it, once per message, is :mod:`django_wechat.dispatch`'s job.
"""

from __future__ import annotations

import inspect
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, Unpack, overload

if TYPE_CHECKING:
    from .messages import BaseMessage

__all__ = ["Filters", "Handler", "HandlerFunc", "Registry", "handler", "registry"]

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
    #: Run as a task after the callback answered ``success``; the reply goes through the
    #: customer-service API (:mod:`django_wechat.deferred`).
    defer: bool = False
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
    defer: bool


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
                defer=bool(filters.get("defer")),
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
    defer: bool = False,
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

    ``defer=True`` is for a handler slower than WeChat's 5 seconds (a language model, a
    search): the callback answers ``success`` at once and the handler runs as a task on
    Django's Tasks framework (:mod:`django_wechat.tasks`), called as
    ``func(message, account=Account)`` (no ``request``: it runs outside one). What it
    returns reaches the follower as a customer-service message, exactly once; it may
    also return a :class:`~django_wechat.deferred.MiniProgramCard`.
    """
    filters: Filters = {
        "type": type,
        "event": event,
        "key": key,
        "content": content,
        "account": account,
        "priority": priority,
        "defer": defer,
    }

    def decorator(f: HandlerFunc) -> HandlerFunc:
        registry.register(f, **filters)
        return f

    if func is not None:
        return decorator(func)
    return decorator
