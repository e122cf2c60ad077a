"""Answering each inbound message exactly once: the claim, the wait, the stored reply.

Which ``@handler`` answers is :mod:`django_wechat.handlers`' choice; what is checked
before a message gets here is :mod:`django_wechat.request_checks`'.

WeChat waits 5 seconds for a callback's answer; without one it cuts the connection and
delivers the same message again, three times in all (PROTOCOL.md B3). Across a fleet of
workers each delivery may land on another process, so "run once" needs the shared cache:

1. The message's de-duplication key (``MsgId``; for events, which have none,
   ``FromUserName`` + ``CreateTime`` + ``Event`` + ``EventKey``, as WeChat's docs say to
   de-duplicate them) is claimed atomically (:func:`django_wechat.cache.claim`: on Redis
   one command that also returns what a claimed key holds, so a retry costs one round
   trip).
2. The claim is a *lease*: it lives :attr:`Dispatcher.claim_timeout` seconds (3), less
   than the 5 s between WeChat's deliveries, and a thread of the process renews it every
   :attr:`Dispatcher.renew_interval` (1 s) while the handler runs (:class:`_Renewer`). A
   worker that dies mid-handler (killed on gunicorn's timeout, out of memory, a deploy)
   stops renewing, its claim expires, and WeChat's next delivery runs the handler; a live
   handler, however slow, keeps its claim, so no retry runs it a second time.
3. The process that wins the claim sends :data:`~django_wechat.signals.message_received`,
   runs the first matching handler, renders its reply and stores the rendered plaintext
   under the key, for longer than WeChat's retry window *and* the callback's timestamp
   tolerance, so a retry or a replay inside that window gets the same reply and no handler
   runs twice.
4. A delivery that finds the key claimed but not yet answered waits a bounded time for the
   reply (taking the claim over if it expires meanwhile), then answers ``success``
   (WeChat's "no reply"), never WeChat's error page.
5. A handler that raises releases its claim: a later retry runs it again. So a handler
   runs exactly once when it succeeds and at least once when it fails.
6. When the cache fails, ``WECHAT["CACHE_FAILURE"]`` decides: ``"refuse"`` (the default)
   answers 503 (:class:`~django_wechat.exceptions.CallbackUnavailable`) and WeChat
   delivers the message again; ``"answer"`` runs the handler without de-duplication.
   Plain mode always refuses: without the cache its signature cannot be bound to the body
   (:func:`django_wechat.request_checks.bind_signature`).

Replies are stored unencrypted: each delivery carries its own nonce and timestamp, so the
view encrypts the stored reply for the request it answers.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from django.core.cache import caches
from django.utils.translation import gettext as _

from . import cache as wcache
from .conf import Account, CacheFailurePolicy, EncryptMode, wechat_settings
from .exceptions import CallbackUnavailable
from .handlers import Handler, Registry, registry
from .replies import SUCCESS, create_reply
from .signals import message_received

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache
    from django.http import HttpRequest

    from .messages import BaseMessage

__all__ = ["Dispatcher", "dispatch"]

logger = logging.getLogger("django_wechat.dispatch")


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
    return wcache.claim_key(account, identity)


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


class _Renewer:
    """Renews the claims of the handlers still running in this process: one daemon thread.

    :meth:`hold` and :meth:`drop` are a dict operation under a lock, so a handler that
    answers within ``renew_interval`` costs no cache call and no thread switch. The thread
    starts at the first claim (again in a forked child, where it does not exist), looks
    every quarter of the shortest renewal interval held for claims due, and renews each
    with :func:`django_wechat.cache.extend_if_equal` in its own cache connection. If a
    renewal finds the claim gone or taken (the process stalled longer than the lease, or
    the cache lost it) it is logged: the guarantee against a second run is gone for that
    message.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: token -> [cache alias, key, lease, interval, when it is next due]
        self._held: dict[str, list[Any]] = {}
        self._thread: threading.Thread | None = None

    def hold(self, token: str, alias: str, key: str, lease: float, interval: float) -> None:
        """Renew ``key`` (claimed with ``token``) every ``interval`` seconds until dropped."""
        with self._lock:
            self._held[token] = [alias, key, lease, interval, time.monotonic() + interval]
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="django_wechat claim renewer", daemon=True
                )
                self._thread.start()

    def drop(self, token: str) -> None:
        """Stop renewing the claim held with ``token`` (no error if it is not held)."""
        with self._lock:
            self._held.pop(token, None)

    def _run(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                due = [
                    (token, list(entry)) for token, entry in self._held.items() if entry[4] <= now
                ]
                shortest = min((entry[3] for entry in self._held.values()), default=1.0)
            for token, (alias, key, lease, interval, _due) in due:
                try:
                    kept = wcache.call(wcache.extend_if_equal, caches[alias], key, token, lease)
                except wcache.CacheFailed as exc:
                    # Tried again at the next interval: the lease may outlast the failure.
                    kept = True
                    logger.error(
                        "Could not renew the claim on %s (%s).", key, type(exc.__cause__).__name__
                    )
                with self._lock:
                    if token not in self._held:
                        continue  # answered meanwhile: the reply replaced the claim
                    if kept:
                        self._held[token][4] = time.monotonic() + interval
                        continue
                    del self._held[token]  # lost for good: nothing left to renew
                logger.warning(
                    "The claim on %s lapsed while its handler was still running; "
                    "a retry of this message may run the handler again.",
                    key,
                )
            time.sleep(max(shortest / 4, 0.01))


#: The one renewer of this process.
renewer = _Renewer()


class Dispatcher:
    """Runs the handler for each message once, with the de-duplication described above.

    The timing attributes may be changed on an instance (tests shorten them).
    """

    #: How long a claim lives unless renewed, in seconds: the lease. Shorter than the 5 s
    #: between WeChat's deliveries, so when the process that claimed a message dies, its
    #: claim has expired (or expires while the retry waits) and the retry runs the handler.
    claim_timeout: float = 3.0
    #: How often the claim of a handler still running is renewed, in seconds. A live
    #: handler loses its claim only if renewing fails for ``claim_timeout`` minus this.
    renew_interval: float = 1.0
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
        return wcache.callback_ttl()

    def dispatch(self, message: BaseMessage, account: Account, request: HttpRequest) -> str:
        """Answer ``message``: the rendered reply XML (plaintext), or ``"success"``.

        Raises :class:`~django_wechat.exceptions.CallbackUnavailable` (the view answers
        503) when the cache fails and ``WECHAT["CACHE_FAILURE"]`` says to refuse.
        """
        key = dedup_key(message, account)
        alias = wechat_settings.CACHE
        try:
            cache = caches[alias]
            return self._claim_or_wait(cache, alias, key, message, account, request)
        except wcache.CacheFailed as exc:
            return self._without_cache(exc, key, message, account, request)

    def _without_cache(
        self,
        exc: wcache.CacheFailed,
        key: str,
        message: BaseMessage,
        account: Account,
        request: HttpRequest,
    ) -> str:
        # The cache cannot say whether this message was handled: refusing costs a retry
        # from WeChat, answering may run a handler twice (a retry, a replayed request).
        refuse = (
            account.encrypt_mode is EncryptMode.PLAIN
            or wechat_settings.CACHE_FAILURE is CacheFailurePolicy.REFUSE
        )
        logger.error(
            "The WeChat cache %r failed (%s); %s %s.",
            wechat_settings.CACHE,
            type(exc.__cause__).__name__,
            "refusing (503)" if refuse else "handling without de-duplication",
            key,
            exc_info=exc.__cause__,
        )
        if refuse:
            raise CallbackUnavailable(
                _("The WeChat cache is unavailable; WeChat will deliver the message again.")
            ) from exc
        return self._handle(message, account, request)

    def _claim_or_wait(
        self,
        cache: BaseCache,
        alias: str,
        key: str,
        message: BaseMessage,
        account: Account,
        request: HttpRequest,
    ) -> str:
        token = f"{_PENDING}{_PROCESS}:{next(_claims)}"
        claimed, stored = wcache.call(wcache.claim, cache, key, token, self.claim_timeout)
        deadline = time.monotonic() + self.wait_timeout
        pause = self.poll_interval
        while not claimed:
            if isinstance(stored, str) and stored.startswith(_REPLY):
                logger.info("WeChat delivered %s again; answering with the stored reply.", key)
                return stored[len(_REPLY) :]
            # Claimed and not answered yet (or released in between: the next claim decides).
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
            # Takes the claim over if its owner released it or died (its lease expired).
            claimed, stored = wcache.call(wcache.claim, cache, key, token, self.claim_timeout)
        renewer.hold(token, alias, key, self.claim_timeout, self.renew_interval)
        try:
            return self._handle(message, account, request, key=key, cache=cache, token=token)
        finally:
            # Reached after the reply is stored or the claim released (both inside
            # _handle): renewing stops once the claim no longer needs to outlive anything.
            renewer.drop(token)

    def _handle(
        self,
        message: BaseMessage,
        account: Account,
        request: HttpRequest,
        *,
        key: str | None = None,
        cache: BaseCache | None = None,
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
        # --- issue 15: a defer=True handler is enqueued, not run; "success" is its answer.
        if entry is not None and entry.defer:
            return self._defer(entry, message, account, key=key, cache=cache, token=token)
        # --- end issue 15
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
                renewer.drop(token)
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
            renewer.drop(token)  # the reply replaces the claim: nothing left to renew
            try:
                # On Redis sent with this thread's next command or within 50 ms
                # (cache.store): the claim covers a retry until the reply lands (well
                # inside its lease), and this answer goes out now.
                wcache.call(wcache.store, cache, key, _REPLY + rendered, self.reply_timeout())
            except wcache.CacheFailed as exc:
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

    def _defer(
        self,
        entry: Handler,
        message: BaseMessage,
        account: Account,
        *,
        key: str | None,
        cache: BaseCache | None,
        token: str,
    ) -> str:
        """Enqueue a ``defer=True`` handler (issue 15) and store ``success`` as the reply,
        so WeChat's retries get it at once; a failed enqueue releases the claim."""
        from . import tasks

        try:
            tasks.enqueue_deferred(entry, message, account, key or dedup_key(message, account))
        except Exception:
            logger.exception(
                "Could not enqueue deferred WeChat handler %s for account %r; a retry of "
                "this message will try again.",
                entry.name,
                account.name,
            )
            if cache is not None and key is not None:
                self._release(cache, key, token)
            return SUCCESS
        if cache is not None and key is not None:
            try:
                wcache.call(cache.set, key, _REPLY + SUCCESS, timeout=self.reply_timeout())
            except wcache.CacheFailed:
                logger.error("Could not store the reply to %s.", key)
        return SUCCESS

    @staticmethod
    def _release(cache: BaseCache, key: str, token: str) -> None:
        try:
            # Only our own claim: if it expired and another delivery claimed the key
            # meanwhile, that claim is theirs to keep.
            wcache.call(wcache.delete_if_equal, cache, key, token)
        except wcache.CacheFailed:
            logger.error("Could not release the claim on %s; it expires by itself.", key)


#: The dispatcher the callback view uses.
dispatcher = Dispatcher()


def dispatch(message: BaseMessage, account: Account, request: HttpRequest) -> str:
    """Answer ``message`` through the default :class:`Dispatcher` (see its ``dispatch``)."""
    return dispatcher.dispatch(message, account, request)
