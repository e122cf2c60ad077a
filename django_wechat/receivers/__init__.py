"""The ``message_received`` receivers django_wechat installs, one module per area.

Importing this package connects them; ``WeChatConfig.ready()`` does. Each receiver reads
its setting on every message, so ``override_settings`` switches it in a test.
"""

from __future__ import annotations

from . import followers, messages, templates

__all__ = ["followers", "messages", "templates"]
