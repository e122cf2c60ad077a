"""Forget what django_wechat keeps in Django's cache, and nothing else.

The emulator's pytest fixtures call :func:`clear_wechat_cache` around each test: an
access_token from an earlier test's emulator would be refused by this one, and a
de-duplication claim left by an earlier test would swallow a message pushed in this one.
Clearing the whole cache would do that too, but on a Redis shared with anything else it
is a ``FLUSHDB``.

django_wechat keeps three kinds of keys (``WECHAT["CACHE"]``), all named by
:mod:`django_wechat.cache`:

- tokens and tickets (:func:`django_wechat.cache.credential_keys`): known in advance
  for each account, so they are deleted by name on every cache backend;
- callback de-duplication claims and replies (:func:`django_wechat.cache.claim_key`):
  named by a hash of the message, so they can only be found by their prefix. That works
  on the local-memory cache and on Redis (django-redis, or Django's own Redis backend);
  on other backends (Memcached, database, files) they are left to expire (a claim after
  ``Dispatcher.claim_timeout``, a reply after ``Dispatcher.reply_timeout()``) and a
  warning is logged. Give tests on such a cache their own ``WECHAT["CACHE"]`` alias on a
  local-memory cache if their messages repeat;
- plain-mode signatures (:func:`django_wechat.cache.signature_key`): named by the
  signature, found by prefix like the de-duplication keys.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from django.core.cache import BaseCache, caches
from django.core.cache.backends.locmem import LocMemCache

from ..cache import credential_keys, key_prefixes, settle
from ..conf import Account, get_accounts, wechat_settings

__all__ = ["clear_wechat_cache"]

logger = logging.getLogger("django_wechat.testing")

# Stands for the key inside the backend's full key (KEY_PREFIX, VERSION, KEY_FUNCTION),
# so one rule finds our keys however the alias is configured.
_MARK = "\x00django-wechat-key\x00"


def clear_wechat_cache(
    accounts: Iterable[Account] | None = None, *, alias: str | None = None
) -> bool:
    """Delete django_wechat's tokens, tickets and de-duplication keys for ``accounts``.

    :param accounts: by default every account of ``settings.WECHAT``.
    :param alias: the cache alias; by default ``WECHAT["CACHE"]``.
    :returns: True when every key was found; False when the backend cannot list keys by
        prefix, so the de-duplication keys were left to expire.

    Other keys in the cache are not touched.
    """
    cache = caches[alias or wechat_settings.CACHE]
    settle()  # stored replies still on their way to Redis would land after the clearing
    chosen = list(get_accounts().values()) if accounts is None else list(accounts)
    keys = [key for account in chosen for key in credential_keys(account)]
    if keys:
        cache.delete_many(keys)
    if _delete_prefixed(cache, [prefix for account in chosen for prefix in key_prefixes(account)]):
        return True
    logger.warning(
        "%s cannot find keys by prefix: django_wechat's callback de-duplication keys were "
        "left to expire. A message repeated by the next test may be taken for a retry.",
        type(cache).__name__,
    )
    return False


def _delete_prefixed(cache: BaseCache, starting: list[str]) -> bool:
    if not starting:
        return True
    delete_pattern = getattr(cache, "delete_pattern", None)
    if callable(delete_pattern):  # django-redis: applies KEY_PREFIX and VERSION itself
        for prefix in starting:
            delete_pattern(_glob_escape(prefix) + "*")
        return True
    head, mark, tail = cache.make_key(_MARK).partition(_MARK)
    if not mark:  # a KEY_FUNCTION that hashes the key: nothing to match against
        return False
    starts = tuple(head + prefix for prefix in starting)
    if isinstance(cache, LocMemCache):
        # No public way to list a local-memory cache's keys; its dict and lock have been
        # the same since Django 2.1. Full keys go to _delete(), as delete() would.
        store: Any = cache  # the private attributes are not in django-stubs
        with store._lock:
            for key in [k for k in store._cache if k.startswith(starts) and k.endswith(tail)]:
                store._delete(key)
        return True
    redis_client = _django_redis_client(cache)
    if redis_client is not None:
        escaped_tail = _glob_escape(tail)
        for start in starts:
            keys = list(redis_client.scan_iter(match=_glob_escape(start) + "*" + escaped_tail))
            if keys:
                redis_client.delete(*keys)
        return True
    return False


def _django_redis_client(cache: BaseCache) -> Any:
    """The redis-py client behind Django's own Redis backend (Django 4.0+), if it is one."""
    try:
        from django.core.cache.backends.redis import RedisCache
    except ImportError:  # pragma: no cover - Django < 4.0
        return None
    if not isinstance(cache, RedisCache):
        return None
    return cache._cache.get_client(write=True)


def _glob_escape(text: str) -> str:
    """``text`` as a literal in a Redis ``MATCH`` pattern."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)
