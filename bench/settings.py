"""Settings for the callback benchmarks: the test settings, with the benchmark's URLs.

``BENCH_REDIS_URL`` in the environment makes ``WECHAT["CACHE"]`` a django-redis cache on it
(the gunicorn run); otherwise the cache is local memory.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import CACHES, WECHAT

ROOT_URLCONF = "bench.urls"
DEBUG = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"django_wechat": {"level": "ERROR"}, "django": {"level": "ERROR"}},
}

# Local memory keeps 300 entries by default and then evicts: a round of messages would push
# its own claims out, and a "retry" would run the handler again instead of being answered
# from the stored reply.
CACHES = {
    **CACHES,
    "default": {**CACHES["default"], "OPTIONS": {"MAX_ENTRIES": 1_000_000}},
}

if os.environ.get("BENCH_REDIS_URL"):
    CACHES = {
        **CACHES,
        "redis": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["BENCH_REDIS_URL"],
        },
    }
    WECHAT = {**WECHAT, "CACHE": "redis"}
