"""Functions the fleet's worker processes run (importable, for the ``spawn`` context)."""

from __future__ import annotations

import os
import signal
from typing import Any

from tests.fleet import configure_django


def setup_client(
    redis_url: str, key_prefix: str, wechat: dict[str, Any], policy: dict[str, float]
) -> Any:
    """Configure Django in this process and return the default account's client."""
    configure_django(redis_url, key_prefix, wechat)
    from django.core.cache import caches

    from django_wechat.client import TokenPolicy, WeChatClient

    # A worker that has served requests already has django-redis imported and loaded;
    # don't make the cold start pay for imports.
    caches["redis"].get("warm-up")
    return WeChatClient("default", token_policy=TokenPolicy(**policy) if policy else None)


def call_api(client: Any, deadline: float) -> None:
    """One API call that needs the access_token (``cgi-bin/user/info``)."""
    client.user.get("o-demo-follower-1")


def fetch_token_then_die(
    redis_url: str, key_prefix: str, wechat: dict[str, Any], policy: dict[str, float]
) -> None:
    """Take the refresh lock and start a fetch that hangs; the test kills us meanwhile."""
    client = setup_client(redis_url, key_prefix, wechat, policy)
    try:
        client.access_token  # noqa: B018
    finally:  # pragma: no cover - reached only if the test failed to kill us
        os.kill(os.getpid(), signal.SIGKILL)
