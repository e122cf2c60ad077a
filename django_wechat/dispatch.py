"""Answering each inbound message exactly once: the claim, the wait, the stored reply.

Which ``@handler`` answers is :mod:`django_wechat.handlers`' choice; what is checked
before a message gets here is :mod:`django_wechat.request_checks`'.

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

import itertools
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from django.core.cache import caches

from . import cache as wcache
from .conf import Account, wechat_settings
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
        return wcache.callback_ttl()

    def dispatch(self, message: BaseMessage, account: Account, request: HttpRequest) -> str:
        """Answer ``message``: the rendered reply XML (plaintext), or ``"success"``."""
        key = dedup_key(message, account)
        try:
            cache = caches[wechat_settings.CACHE]
            return self._claim_or_wait(cache, key, message, account, request)
        except wcache.CacheFailed as exc:
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
        if wcache.call(cache.add, key, token, timeout=self.claim_timeout):
            return self._handle(message, account, request, key=key, cache=cache, token=token)
        deadline = time.monotonic() + self.wait_timeout
        pause = self.poll_interval
        while True:
            stored = wcache.call(cache.get, key)
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
            if wcache.call(cache.add, key, token, timeout=self.claim_timeout):
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
                wcache.call(cache.set, key, _REPLY + rendered, timeout=self.reply_timeout())
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
