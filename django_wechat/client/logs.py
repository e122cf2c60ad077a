"""Keep secrets out of the HTTP library's own log lines.

At DEBUG level urllib3 logs every request line, query string included
(``"GET /cgi-bin/token?...&secret=... HTTP/1.1" 200``): the AppSecret on token fetches, the
access_token on every API call, OAuth codes and followers' tokens on ``sns/*``. Staging
sites often run with the root logger at DEBUG, so :class:`RedactSecrets` is installed on
urllib3's logger when the app starts.
"""

from __future__ import annotations

import logging
import re

__all__ = ["REDACTED", "SECRET_FIELDS", "RedactSecrets", "install"]

REDACTED = "********"

#: The names under which WeChat's APIs take or give a credential, in query strings and
#: JSON answers alike.
SECRET_FIELDS = frozenset(
    {
        "access_token",
        "refresh_token",
        "secret",
        "appsecret",
        "session_key",
        "ticket",
        "code",
        "js_code",
    }
)

_SECRET_PARAMS = re.compile(
    r"(?i)(?<![A-Za-z0-9_])(" + "|".join(sorted(SECRET_FIELDS)) + r")=[^&\s\"#]*"
)


class RedactSecrets(logging.Filter):
    """Replace credential values in a record's message and arguments with ``********``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "=" in record.msg:
            record.msg = _SECRET_PARAMS.sub(rf"\1={REDACTED}", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET_PARAMS.sub(rf"\1={REDACTED}", arg)
                if isinstance(arg, str) and "=" in arg
                else arg
                for arg in record.args
            )
        return True


def install() -> None:
    """Put :class:`RedactSecrets` on urllib3's request logger (once)."""
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
