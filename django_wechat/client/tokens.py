"""Single-flight refresh of the access_token and the JS-SDK tickets, shared through Django's cache.

Fetching a new access_token from ``cgi-bin/token`` invalidates the previous one (after a
five-minute overlap, https://developers.weixin.qq.com/doc/oplatform/developers/dev/AccessToken.html),
so every process of a site must share one token, and only one of them may refresh it:

1. read the cache; a hit is the whole cost of a call's token;
2. on a miss, take a lock with the cache's atomic ``add()`` (with a TTL, so a holder that
   dies cannot block the fleet for longer than the TTL), **re-check** the cache (another
   process may have refreshed while we waited for the lock), fetch, store with a TTL
   safely shorter than ``expires_in``, release the lock on every path;
3. everyone else polls the cache, with backoff, for a bounded time, taking the lock
   themselves if it is freed or expires without a value appearing, and raises
   :class:`~django_wechat.exceptions.TokenUnavailable` when the time is up.

A token that WeChat refused (40001 / 40014 / 42001) is passed back as ``stale``: under
the lock, the cached value is deleted only if it is still that token (compare, then
delete), so a token another process just fetched is never thrown away.

Every cache call goes through :func:`django_wechat.cache.call`, so a cache that fails
raises :class:`~django_wechat.exceptions.CacheUnavailable`, never the backend's own error.

This module does no HTTP: the fetch is a callable that :mod:`django_wechat.client.client` provides.
"""

from __future__ import annotations

import inspect
import logging
import math
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import BaseCache
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from .. import cache as wcache
from ..cache import TICKET_TYPES as TICKET_TYPES  # what client/base.py reads as tokens.TICKET_TYPES
from ..cache import credential_key, delete_if_equal, failure_key, lock_key
from ..conf import Account
from ..exceptions import APIError, ImproperlyConfigured, TokenUnavailable

logger = logging.getLogger("django_wechat.client")

#: What a fetch returns: the value and its lifetime in seconds (WeChat's ``expires_in``).
Fetched = tuple[str, float]


@dataclass(frozen=True)
class TokenPolicy:
    """How long the refresh lock lives and how long a caller waits for another's refresh.

    ``lock_ttl`` must exceed the longest fetch (the client's
    :meth:`~django_wechat.client.RetryPolicy.longest`: each attempt's connect and read
    timeouts, plus the pauses); ``wait`` must exceed ``lock_ttl`` so that waiters outlive a
    dead lock holder and one of them takes over. Waiters poll the cache every
    ``poll_min`` to ``poll_max`` seconds.
    """

    lock_ttl: float = 20.0
    wait: float = 30.0
    poll_min: float = 0.005
    poll_max: float = 0.05
    #: After WeChat refuses a fetch (a wrong AppSecret, an IP not on the whitelist ...),
    #: callers raise the same error for this many seconds instead of each asking again:
    #: a fleet with a bad secret must not hammer cgi-bin/token. 0 turns this off.
    failure_ttl: float = 5.0

    def __post_init__(self) -> None:
        if self.wait <= self.lock_ttl:
            raise ValueError("TokenPolicy.wait must be longer than TokenPolicy.lock_ttl")


def cache_ttl(expires_in: float) -> float:
    """The seconds to keep a credential that WeChat says lives ``expires_in`` seconds.

    Ten per cent of its life is given up, at least 60 s and at most 10 minutes (so a
    7200 s token is kept 6600 s), and never less than half of it: clocks drift, the
    fetch took time, and a call made with a token in its last second fails.
    """
    margin = min(600.0, max(60.0, expires_in / 10))
    return max(expires_in / 2, expires_in - margin)


@dataclass(frozen=True)
class Credential:
    """What the cache holds: the value and when WeChat says it expires (epoch seconds)."""

    value: str = field(repr=False)  # a token or ticket: kept out of reprs and reports
    expires_at: float

    def remaining(self) -> float:
        """Seconds until WeChat's expiry (negative once past)."""
        return self.expires_at - time.time()


def read(cache: BaseCache, key: str) -> Credential | None:
    """The cached credential under ``key``, or None."""
    raw: Any = wcache.call(cache.get, key)
    if isinstance(raw, dict) and isinstance(raw.get("value"), str) and raw["value"]:
        return Credential(raw["value"], float(raw.get("expires_at", 0)))
    return None


class SingleFlight:
    """Get-or-fetch for one credential of one account, with one fetch for the whole fleet."""

    def __init__(
        self,
        cache: BaseCache,
        account: Account,
        kind: str,
        fetch: Callable[[], Fetched],
        *,
        policy: TokenPolicy,
    ) -> None:
        self.cache = cache
        self.app_id = account.app_id
        self.key = credential_key(account, kind)
        self.lock_key = lock_key(self.key)
        self.failed_key = failure_key(self.key)
        self.fetch = fetch
        self.policy = policy
        self.what = kind.replace("ticket:", "") + (" ticket" if kind.startswith("ticket:") else "")

    @sensitive_variables()
    def get(self, *, stale: str | None = None, force: bool = False) -> Credential:
        """The current credential, fetching it (once across processes) when missing.

        ``stale`` is a value WeChat refused: it is never returned, and it is deleted from
        the cache if it is still there. ``force`` fetches anew unless another caller
        replaces the cached value while we wait for the lock.
        """
        current = read(self.cache, self.key)
        if force and current is not None:
            stale = current.value
        if current is not None and current.value != stale:
            return current
        policy = self.policy
        deadline = time.monotonic() + policy.wait
        pause = policy.poll_min
        while True:
            self._raise_recent_failure()
            owner = uuid.uuid4().hex
            if wcache.call(self.cache.add, self.lock_key, owner, timeout=policy.lock_ttl):
                try:
                    return self._fetch_locked(stale, owner)
                finally:
                    self._release(owner)
            # Someone else holds the lock: wait for the value to appear.
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TokenUnavailable(
                    _(
                        "No %(what)s for %(app_id)s after waiting %(wait)s s for another "
                        "process to fetch it; its lock (%(lock)s s) may be held by a process "
                        "that died."
                    )
                    % {
                        "what": self.what,
                        "app_id": self.app_id,
                        "wait": policy.wait,
                        "lock": policy.lock_ttl,
                    }
                )
            # Full jitter keeps a crowd of waiters from polling in lockstep.
            time.sleep(min(remaining, random.uniform(policy.poll_min, pause)))  # noqa: S311
            pause = min(policy.poll_max, pause * 2)
            current = read(self.cache, self.key)
            if current is not None and current.value != stale:
                return current

    @sensitive_variables()
    def _fetch_locked(self, stale: str | None, owner: str) -> Credential:
        # Re-check under the lock: the previous holder may have stored a value between
        # our cache miss and our add(). Without this, each waiter that gets the lock in
        # turn fetches again (and with cgi-bin/token, invalidates the others' tokens).
        current = read(self.cache, self.key)
        if current is not None and current.value != stale:
            return current
        # Likewise the previous holder's failure, recorded just before it let go.
        self._raise_recent_failure()
        if current is not None:
            # Compare, then delete: it is still the value WeChat refused, and no other
            # process can write it while we hold the lock.
            wcache.call(self.cache.delete, self.key)
        started = time.time()
        try:
            value, expires_in = self.fetch()
        except APIError as exc:
            # -1 (busy) was already retried by the client and may pass; anything else
            # WeChat refused will be refused again until someone fixes the settings.
            if exc.errcode != -1 and self.policy.failure_ttl > 0:
                wcache.call(
                    self.cache.set,
                    self.failed_key,
                    (type(exc), exc.errcode, exc.errmsg, exc.api),
                    timeout=self.policy.failure_ttl,
                )
            raise
        credential = Credential(value, started + expires_in)
        if wcache.call(self.cache.get, self.lock_key) != owner:
            # Our fetch outlived the lock and a successor took over. If it has stored its
            # value, that one is newer (with strict rotation ours is already void): keep it.
            newer = read(self.cache, self.key)
            if newer is not None and newer.value not in (stale, value):
                logger.warning(
                    "A %s fetch for %s took longer than the lock's %s s; kept the newer one",
                    self.what,
                    self.app_id,
                    self.policy.lock_ttl,
                )
                return newer
        wcache.call(
            self.cache.set,
            self.key,
            {"value": credential.value, "expires_at": credential.expires_at},
            timeout=cache_ttl(expires_in),
        )
        logger.info("Fetched a new %s for %s", self.what, self.app_id)
        return credential

    def _raise_recent_failure(self) -> None:
        failure: Any = wcache.call(self.cache.get, self.failed_key)
        if failure is None:
            return
        cls, errcode, errmsg, api = failure
        if isinstance(cls, type) and issubclass(cls, APIError):
            raise cls(errcode, errmsg, api)

    def _release(self, owner: str) -> None:
        # Delete the lock only if it is still ours: a holder slower than the lock's TTL
        # must not free the lock a successor has since taken. Off Redis the check is not
        # atomic; losing it needs a fetch as long as the lock's TTL, which the client's
        # default policy rules out.
        wcache.call(delete_if_equal, self.cache, self.lock_key, owner)


@sensitive_variables()
def call_access_token_func(account: Account) -> Fetched:
    """Ask the account's ``ACCESS_TOKEN_FUNC`` for the token another service owns.

    The callable gets the :class:`~django_wechat.conf.Account` (or no argument, if it
    takes none, like wechat-sdk's ``access_token_getfunc``) and returns
    ``(access_token, expires_at)``, ``expires_at`` as epoch seconds or an aware datetime.
    """
    try:
        func = import_string(account.access_token_func)
    except ImportError as exc:
        raise ImproperlyConfigured(
            _("WECHAT['ACCOUNTS'][%(name)r]['ACCESS_TOKEN_FUNC'] cannot be imported: %(error)s")
            % {"name": account.name, "error": exc}
        ) from None
    try:
        inspect.signature(func).bind(account)
    except TypeError:
        result = func()
    except ValueError:  # no signature to inspect (a builtin): pass the account
        result = func(account)
    else:
        result = func(account)
    try:
        token, expires_at = result
        stamp = expires_at.timestamp() if hasattr(expires_at, "timestamp") else float(expires_at)
    except (TypeError, ValueError):
        raise TokenUnavailable(
            _("%(func)s must return (access_token, expires_at), not a %(type)s.")
            % {"func": account.access_token_func, "type": type(result).__name__}
        ) from None
    expires_in = stamp - time.time()
    if not isinstance(token, str) or not token or not math.isfinite(stamp) or expires_in <= 0:
        raise TokenUnavailable(
            _("%(func)s returned no access_token, or one that has already expired.")
            % {"func": account.access_token_func}
        )
    return token, expires_in
