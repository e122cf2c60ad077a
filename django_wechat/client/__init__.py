"""WeChat's API: :func:`get_client` and :class:`WeChatClient`."""

from __future__ import annotations

import hashlib
import os
import threading

from ..conf import DEFAULT_ACCOUNT, get_account, wechat_settings
from .base import ErrorAnswer, RetryPolicy
from .client import WeChatClient
from .group import APIGroup
from .tokens import Credential, TokenPolicy

__all__ = [
    "APIGroup",
    "Credential",
    "ErrorAnswer",
    "RetryPolicy",
    "TokenPolicy",
    "WeChatClient",
    "get_client",
]

_clients: dict[tuple[object, ...], WeChatClient] = {}
_clients_lock = threading.Lock()


def get_client(account: str = DEFAULT_ACCOUNT) -> WeChatClient:
    """The :class:`WeChatClient` of ``account``, one per account and process.

    The client (and its pooled HTTP connections) is kept for as long as the account's
    settings and ``WECHAT``'s ``API_BASE_URL``, ``OAUTH_BASE_URL``, ``TIMEOUT`` and
    ``CACHE`` stay the same, so ``override_settings`` in a test gets a fresh client.
    """
    acc = get_account(account)
    key = (
        os.getpid(),  # a forked worker must not share its parent's sockets
        acc.name,
        acc.kind,
        acc.app_id,
        hashlib.sha256(acc.app_secret.encode()).hexdigest(),
        acc.token_source,
        acc.access_token_func,
        wechat_settings.API_BASE_URL,
        wechat_settings.OAUTH_BASE_URL,
        wechat_settings.TIMEOUT,
        wechat_settings.CACHE,
    )
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = WeChatClient(acc)
                _clients[key] = client
    return client
