"""Every key django_wechat keeps in Django's cache, and the primitives it needs beyond
Django's cache API.

All keys start with :data:`PREFIX` and are built here, so this module is the one place
that knows them:

- ``django_wechat:access_token:<source>:<app_id>:<digest>`` and
  ``django_wechat:ticket:<type>:<app_id>:<digest>``: an account's credentials (the
  digest is of the AppSecret, so a rotated secret starts empty), each with a ``:lock``
  and a ``:failed`` key beside it (:func:`credential_key`, :func:`lock_key`,
  :func:`failure_key`);
- ``django_wechat:callback:<app_id>:<digest>``: one message's de-duplication claim and
  stored reply (:func:`claim_key`);
- ``django_wechat:signature:<token digest>:<signature>``: a plain-mode signature's first
  use (:func:`signature_key`);
- ``django_wechat:oauth:<state|claim|outcome>:<digest>`` and
  ``django_wechat:oauth:code:<digest>``: a web login's state, its claim and outcome, and
  its code's single use (:func:`oauth_state_key` ...), named by digests of the state and
  the code.

Beyond Django's API there are three primitives for keys that name their owner (a lock,
a message's claim): :func:`claim` (take the key, or read what it holds, in one step),
:func:`extend_if_equal` (renew a lease) and :func:`delete_if_equal` (release it). Only
the owner may extend or delete such a key, and only while it still holds it (it may have
expired and been taken by another process). On django-redis each is one command
(:mod:`django_wechat.redis_primitives`): atomic, and one round trip. Elsewhere they are
two of Django's calls (``add`` then ``get``; ``get`` then ``touch``; ``get`` then
``delete``), not atomic: a key that expires and is taken between the two is extended or
deleted anyway. Callers size their timeouts so that needs a holder as slow as the
timeout itself.

A message's reply is stored with :func:`store`: on django-redis its ``SET`` is sent with
the thread's next primitive (or within 50 ms), so a message costs Redis one round trip,
not two.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache

from . import redis_primitives
from .conf import Account, TokenSource, wechat_settings
from .exceptions import CacheUnavailable

__all__ = [
    "PREFIX",
    "TICKET_TYPES",
    "CacheFailed",
    "call",
    "callback_ttl",
    "claim",
    "claim_key",
    "claim_prefix",
    "credential_key",
    "credential_keys",
    "delete_if_equal",
    "extend_if_equal",
    "failure_key",
    "key_prefixes",
    "lock_key",
    "miniprogram_rate_key",
    "miniprogram_session_key",
    "oauth_claim_key",
    "oauth_code_key",
    "oauth_outcome_key",
    "oauth_state_key",
    "settle",
    "signature_key",
    "signature_prefix",
    "store",
]


#: What every key of django_wechat starts with.
PREFIX = "django_wechat:"

#: The JS-SDK ticket types (``cgi-bin/ticket/getticket?type=``).
TICKET_TYPES = ("jsapi", "wx_card")

_LOCK = ":lock"
_FAILED = ":failed"


def _digest(secret: str) -> str:
    # A rotated AppSecret must start with an empty cache; the digest keeps the secret
    # itself out of the key (keys show up in redis-cli MONITOR and in cache dumps).
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


def credential_key(account: Account, kind: str) -> str:
    """The cache key of one credential of an account.

    ``kind`` is ``"access_token"`` or ``"ticket:jsapi"`` / ``"ticket:wx_card"``. The
    access_token's key names its source, since ``cgi-bin/token`` and
    ``cgi-bin/stable_token`` hand out different tokens.
    """
    if kind == "access_token":
        source = "func" if account.access_token_func else account.token_source.value
        kind = f"access_token:{source}"
    return f"{PREFIX}{kind}:{account.app_id}:{_digest(account.app_secret)}"


def lock_key(key: str) -> str:
    """The key of the refresh lock beside the credential under ``key``."""
    return key + _LOCK


def failure_key(key: str) -> str:
    """The key of the remembered fetch failure beside the credential under ``key``."""
    return key + _FAILED


def credential_keys(account: Account) -> list[str]:
    """Every credential key ``account`` may use: the access_token of each source, the
    tickets, and their locks and remembered failures (for clearing them)."""
    sources = [source.value for source in TokenSource] + ["func"]
    kinds = [f"access_token:{source}" for source in sources]
    kinds += [f"ticket:{ticket}" for ticket in TICKET_TYPES]
    keys = [credential_key(account, kind) for kind in kinds]
    return [key for base in keys for key in (base, lock_key(base), failure_key(base))]


def claim_prefix(account: Account) -> str:
    """What every :func:`claim_key` of ``account`` starts with. The keys themselves hash
    the message, so they cannot be listed; a cache that can match keys by prefix (local
    memory, Redis) can still find them all."""
    return f"{PREFIX}callback:{account.app_id}:"


def claim_key(account: Account, identity: str) -> str:
    """The key of one message's claim and stored reply, ``identity`` naming the message."""
    digest = hashlib.blake2b(identity.encode(), digest_size=16).hexdigest()
    return claim_prefix(account) + digest


def signature_prefix(account: Account) -> str:
    """What every :func:`signature_key` of ``account`` starts with.

    Keyed by a digest of the callback token rather than the AppID: two accounts that share
    a token share their signatures too, so a URL seen for one binds it for both.
    """
    digest = hashlib.blake2b(account.token.encode(), digest_size=8).hexdigest()
    return f"{PREFIX}signature:{digest}:"


def signature_key(account: Account, signature: str) -> str:
    """The key remembering the first use of a plain-mode ``signature``."""
    return signature_prefix(account) + signature


def key_prefixes(account: Account) -> list[str]:
    """The prefixes of ``account``'s keys that are named by what they hold (claims,
    signatures), so can be found only by prefix."""
    return [claim_prefix(account), signature_prefix(account)]


def callback_ttl() -> int:
    """How long, in seconds, a callback's keys (a stored reply, a signature's first use) live.

    A request is accepted while its timestamp is within ``TIMESTAMP_TOLERANCE`` of the
    server's clock, and WeChat's clock may be off by as much either way: what is
    remembered about a request lives for both sides of that.
    """
    return 2 * max(wechat_settings.TIMESTAMP_TOLERANCE, 15) + 60


#: What :func:`call` raises: the one exception for every failed cache call, public as
#: :class:`django_wechat.exceptions.CacheUnavailable` (a ``WeChatError`` and a
#: ``ConnectionError``) naming the cache's alias, with the backend's error chained.
CacheFailed = CacheUnavailable


def call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``method(*args, **kwargs)``, a cache operation, with any failure as :class:`CacheFailed`.

    ``method`` is a cache's bound method (``cache.get``) or a function taking the cache
    as its first argument (:func:`delete_if_equal`); the exception names that cache's
    alias. Every cache call django_wechat makes goes through here.
    """
    try:
        return method(*args, **kwargs)
    except Exception as exc:
        raise CacheFailed(_alias_of(method, args)) from exc


def _alias_of(method: Callable[..., Any], args: tuple[Any, ...]) -> str:
    """The alias in ``CACHES`` of the cache ``method`` works on, or ``"?"``."""
    target = getattr(method, "__self__", None)
    if not isinstance(target, BaseCache):
        target = next((arg for arg in args if isinstance(arg, BaseCache)), None)
    if target is None:
        return "?"
    for alias in caches:
        try:
            if caches[alias] is target:
                return str(alias)
        except Exception:  # noqa: S112 - an alias that cannot be built holds nothing of ours
            continue
    return "?"


#: django-redis clients that store a value as ``encode(value)`` under ``make_key(key)``
#: on one server (the herd client wraps values, the shard client spreads keys).
_PLAIN_REDIS_CLIENTS = frozenset({"DefaultClient", "SentinelClient"})


def _redis_client(cache: BaseCache) -> Any:
    """``cache``'s django-redis client when :mod:`~django_wechat.redis_primitives` can
    work on it, else None."""
    client: Any = getattr(cache, "client", None)
    kind = type(client)
    if kind.__module__.startswith("django_redis.") and kind.__name__ in _PLAIN_REDIS_CLIENTS:
        return client
    return None


def _milliseconds(timeout: float) -> int:
    return max(1, round(timeout * 1000))


def store(cache: BaseCache, key: str, value: str, timeout: float) -> None:
    """Set ``key`` to ``value`` for ``timeout`` seconds, as ``cache.set()`` does.

    On django-redis the ``SET`` goes out with this thread's next primitive, or within
    :data:`~django_wechat.redis_primitives.FLUSH_AFTER` seconds, or at :func:`settle`:
    the caller goes on (answers WeChat) without waiting a round trip, and Redis wakes
    once for this store and the next claim. A ``SET`` Redis refuses (out of memory,
    say) is logged when its answer is read.
    """
    client = _redis_client(cache)
    if client is None:
        cache.set(key, value, timeout=timeout)
        return
    redis_primitives.store(client, key, value, _milliseconds(timeout))


def settle() -> None:
    """Send every waiting :func:`store` of this process to Redis now, and wait until
    Redis has them (a test that reads the cache's keys directly calls it first)."""
    redis_primitives.settle()


def claim(cache: BaseCache, key: str, value: str, timeout: float) -> tuple[bool, Any]:
    """Set ``key`` to ``value`` for ``timeout`` seconds unless it is set.

    Returns ``(True, None)`` when it was set (the caller owns it), else ``(False, held)``
    with what the key holds, which may be None if it vanished in between (off Redis). On
    django-redis one command: the claim and the read are one round trip.
    """
    client = _redis_client(cache)
    if client is not None:
        return redis_primitives.claim(client, key, value, _milliseconds(timeout))
    if cache.add(key, value, timeout=timeout):
        return True, None
    return False, cache.get(key)


def extend_if_equal(cache: BaseCache, key: str, value: str, timeout: float) -> bool:
    """Make ``key`` expire ``timeout`` seconds from now if it still holds ``value``.

    True when it did. Atomic on django-redis; elsewhere ``get`` then ``touch``.
    """
    client = _redis_client(cache)
    if client is not None:
        return redis_primitives.extend_if_equal(client, key, value, _milliseconds(timeout))
    return cache.get(key) == value and bool(cache.touch(key, timeout=timeout))


def delete_if_equal(cache: BaseCache, key: str, value: str) -> None:
    """Delete ``key`` if it still holds ``value``: atomically on django-redis."""
    client = _redis_client(cache)
    if client is not None:
        redis_primitives.delete_if_equal(client, key, value)
    elif cache.get(key) == value:
        cache.delete(key)


# --- web OAuth login (django_wechat.oauth) -------------------------------------------------
# A state arrives in the callback's query string and a code is WeChat's secret: each key
# holds only a digest of them, so it is short and plain whatever a caller passes (Memcached
# refuses keys over 250 bytes or with spaces and control characters), and neither the
# state nor the code shows up in redis-cli MONITOR.


def _state_digest(state: str) -> str:
    return hashlib.blake2b(state.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def oauth_state_key(state: str) -> str:
    """What a login ``state`` stands for: account, scope, ``next``, the browser binding."""
    return f"{PREFIX}oauth:state:{_state_digest(state)}"


def oauth_claim_key(state: str) -> str:
    """The claim the first callback with ``state`` takes; a later load waits on it."""
    return f"{PREFIX}oauth:claim:{_state_digest(state)}"


def oauth_outcome_key(state: str) -> str:
    """The outcome of the callback with ``state``, replayed to a second load."""
    return f"{PREFIX}oauth:outcome:{_state_digest(state)}"


def oauth_code_key(app_id: str, code: str) -> str:
    """Marks a code as exchanged: WeChat's codes work once, and a failed exchange may have
    used one up (so it is never sent twice)."""
    digest = hashlib.sha256(f"{app_id}:{code}".encode()).hexdigest()
    return f"{PREFIX}oauth:code:{digest}"


# --- the mini-program login (django_wechat.oauth.miniprogram) -------------------------------


def miniprogram_session_key(app_id: str, openid: str) -> str:
    """A mini-program user's session_key, kept server-side for decrypting their open data."""
    return f"{PREFIX}miniprogram:session_key:{app_id}:{openid}"


def miniprogram_rate_key(app_id: str, client: str, window: int) -> str:
    """How many logins ``client`` (its address, digested) tried in the minute ``window``."""
    digest = hashlib.blake2b(client.encode(), digest_size=8).hexdigest()
    return f"{PREFIX}miniprogram:rate:{app_id}:{digest}:{window}"


def admin_form_key(token: str) -> str:
    """Taken when an admin action's form with ``token`` (its page's own) is carried out."""
    digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()
    return f"{PREFIX}admin:form:{digest}"
