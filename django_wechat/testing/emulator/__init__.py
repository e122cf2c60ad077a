"""A local WeChat: a real HTTP server that speaks WeChat's API with WeChat's rules.

::

    with WeChatEmulator() as emulator:
        with emulator.override_settings():
            get_client().menu.get()        # talks HTTP to 127.0.0.1:<port>
        assert emulator.count("cgi-bin/token") == 1

The package's modules: :mod:`.server` (``WeChatEmulator`` and its HTTP server),
:mod:`.http` (requests, replies, the route table, faults, the call log's records),
:mod:`.state` (what the emulator remembers), :mod:`.control` (the ``/_emulator/``
control API), :mod:`.push` (WeChat's side of a callback) and :mod:`.routes` (the
emulated APIs, one module per API group).
"""

from __future__ import annotations

from .control import CONTROL_PREFIX, CONTROL_TOKEN_HEADER
from .http import Call, Fault, is_loopback
from .push import PushResult
from .server import EmulatorRefused, WeChatEmulator
from .state import Clock

__all__ = [
    "CONTROL_PREFIX",
    "CONTROL_TOKEN_HEADER",
    "Call",
    "Clock",
    "EmulatorRefused",
    "Fault",
    "PushResult",
    "WeChatEmulator",
    "is_loopback",
]
