"""django_wechat: WeChat Official Accounts for Django."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import WeChatClient

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]


def get_client(account: str = "default") -> WeChatClient:
    """The API client of ``account``: see :func:`django_wechat.client.get_client`."""
    from .client import get_client as _get_client

    return _get_client(account)


__all__ += ["get_client"]
