"""Settings of the site the reliability suite serves with gunicorn.

The bench's settings (``BENCH_REDIS_URL`` makes a django-redis cache on it the WeChat
cache), with the socket timeouts production needs (issue 17 point 4: without them a
stalled Redis blocks every cache call), the recording handler's URLs, and
django_wechat's log in a form the suite reads.
"""

from __future__ import annotations

from bench.settings import *  # noqa: F403
from bench.settings import CACHES, LOGGING

ROOT_URLCONF = "tests.reliability_site"

#: Seconds a django-redis call may take before it fails: well under WeChat's 5 s deadline,
#: with room for the two calls a plain-mode message makes (its signature, its claim), and
#: short enough that a 3 s stall leaves answers to count. On a machine loaded far beyond
#: its cores (a load of 18 on 2) a healthy Redis was seen to miss it: the tests without a
#: Redis fault then fail on the errors logged, saying so.
SOCKET_TIMEOUT = 0.5

CACHES = {
    **CACHES,
    "redis": {
        **CACHES["redis"],
        "OPTIONS": {"SOCKET_TIMEOUT": SOCKET_TIMEOUT, "SOCKET_CONNECT_TIMEOUT": SOCKET_TIMEOUT},
    },
}

# django_wechat's errors and warnings on stderr (gunicorn's log), one line each with its
# level and logger first, so the suite can count them (Site.logged).
LOGGING = {
    **LOGGING,
    "formatters": {"line": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line"}},
    "loggers": {
        **LOGGING["loggers"],
        "django_wechat": {"level": "WARNING", "handlers": ["stderr"], "propagate": False},
    },
}
