"""Settings of the site the reliability suite serves with gunicorn.

The bench's settings (``BENCH_REDIS_URL`` makes a django-redis cache on it the WeChat
cache), with the socket timeouts production needs (issue 17 point 4: without them a
stalled Redis blocks every cache call) and the recording handler's URLs.
"""

from __future__ import annotations

from bench.settings import *  # noqa: F403
from bench.settings import CACHES

ROOT_URLCONF = "tests.reliability_site"

#: Seconds a django-redis call may take before it fails: well under WeChat's 5 s deadline,
#: with room for the two calls a plain-mode message makes (its signature, its claim).
SOCKET_TIMEOUT = 0.5

CACHES = {
    **CACHES,
    "redis": {
        **CACHES["redis"],
        "OPTIONS": {"SOCKET_TIMEOUT": SOCKET_TIMEOUT, "SOCKET_CONNECT_TIMEOUT": SOCKET_TIMEOUT},
    },
}
