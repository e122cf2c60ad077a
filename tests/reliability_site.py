"""The site the reliability suite serves: the callback, and a handler that writes down
each of its runs where a worker's death cannot take them away.

Every run appends a line ``{"event": "start"|"end", "id": MsgId, "pid": ..., "at": ...}``
to the file named by ``$RELIABILITY_RUNS`` (``tests.reliability_support.RUNS_ENV``):
"start" before the handler's work, "end" just before it returns. One ``write()`` on a
file opened with ``O_APPEND`` lands whole, so the two workers' lines never mix, and a
worker SIGKILLed mid-handler leaves its "start" behind.
``at`` is ``time.monotonic()``, the same clock in every process on the machine.

A text message ``sleep:<seconds>`` makes the handler sleep that long between the two.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from django.urls import include, path

from django_wechat import handler
from tests.reliability_support import RUNS_ENV


def record(event: str, message: Any) -> None:
    """Append one line about this run of the handler to the runs file."""
    line = {"event": event, "id": message.id, "pid": os.getpid(), "at": time.monotonic()}
    fd = os.open(os.environ[RUNS_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(line) + "\n").encode())
    finally:
        os.close(fd)


@handler(type="text")
def recorded(message: Any, **kwargs: Any) -> str:
    """Write the run down, sleep if asked, and answer with the message's id."""
    record("start", message)
    if message.content.startswith("sleep:"):
        time.sleep(float(message.content.split(":", 1)[1]))
    record("end", message)
    return f"handled {message.id}"


urlpatterns = [path("wechat/", include("django_wechat.urls"))]
