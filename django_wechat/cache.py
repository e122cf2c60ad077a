"""The one cache primitive django_wechat needs beyond Django's API: compare-and-delete.

A lock or a claim in the cache names its owner; only the owner may delete it, and only if
it still holds it (it may have expired and been taken by another process). Django's cache
API has no such operation, so on django-redis it runs as one script on the server, and
elsewhere as ``get`` then ``delete``: not atomic, so a key that expires and is taken
between the two is deleted anyway. Callers size their timeouts so that needs a holder
as slow as the timeout itself.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.core.cache.backends.base import BaseCache

__all__ = [
    "delete_if_equal",
    "oauth_claim_key",
    "oauth_code_key",
    "oauth_outcome_key",
    "oauth_state_key",
]

logger = logging.getLogger("django_wechat.cache")

#: Delete KEYS[1] if it holds ARGV[1], in one step on the redis server.
_COMPARE_AND_DELETE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""
#: django-redis clients that store a value as ``encode(value)`` under ``make_key(key)``
#: on one server (the herd client wraps values, the shard client spreads keys).
_PLAIN_REDIS_CLIENTS = frozenset({"DefaultClient", "SentinelClient"})


def delete_if_equal(cache: BaseCache, key: str, value: str) -> None:
    """Delete ``key`` if it still holds ``value``: atomically on django-redis."""
    if not _redis_compare_and_delete(cache, key, value) and cache.get(key) == value:
        cache.delete(key)


def _redis_compare_and_delete(cache: BaseCache, key: str, value: str) -> bool:
    """Run the compare-and-delete script when ``cache`` is django-redis.

    Returns False, having done nothing, on any other backend; True when it ran (whether
    or not the key was deleted).
    """
    client: Any = getattr(cache, "client", None)
    kind = type(client)
    if not kind.__module__.startswith("django_redis.") or kind.__name__ not in _PLAIN_REDIS_CLIENTS:
        return False
    try:
        connection = client.get_client(write=True)
        connection.eval(_COMPARE_AND_DELETE, 1, client.make_key(key), client.encode(value))
    except Exception:  # redis down, or a django-redis that changed: fall back
        logger.debug("Compare-and-delete failed on %s; falling back", key, exc_info=True)
        return False
    return True


# --- web OAuth login (django_wechat.oauth) -------------------------------------------------
# States are letters and digits we generated; a code is WeChat's secret, so its key holds
# only a digest of it.


def oauth_state_key(state: str) -> str:
    """What a login ``state`` stands for: account, scope, ``next``, the browser binding."""
    return f"django_wechat:oauth:state:{state}"


def oauth_claim_key(state: str) -> str:
    """The claim the first callback with ``state`` takes; a later load waits on it."""
    return f"django_wechat:oauth:claim:{state}"


def oauth_outcome_key(state: str) -> str:
    """The outcome of the callback with ``state``, replayed to a second load."""
    return f"django_wechat:oauth:outcome:{state}"


def oauth_code_key(app_id: str, code: str) -> str:
    """Marks a code as exchanged: WeChat's codes work once, and a failed exchange may have
    used one up (so it is never sent twice)."""
    digest = hashlib.sha256(f"{app_id}:{code}".encode()).hexdigest()
    return f"django_wechat:oauth:code:{digest}"
