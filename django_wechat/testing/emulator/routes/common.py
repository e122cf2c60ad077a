"""What several emulated API groups check alike: a follower by openid, a length in bytes."""

from __future__ import annotations

from typing import Any

from ..http import WeChatFault
from ..state import AccountState, Follower


def find_follower(
    state: AccountState, openid: Any, *, subscribed: bool = False, keep: bool = True
) -> Follower:
    """The follower ``openid``: 41009 when missing, 40003 when unknown, 43004 when
    ``subscribed`` is asked for and they unfollowed. ``keep=False`` for reading only: a
    generated follower is then not kept."""
    if not openid:
        raise WeChatFault(41009)
    follower = (state.follower if keep else state.lookup)(str(openid))
    if follower is None:
        raise WeChatFault(40003)
    if subscribed and not follower.subscribe:
        raise WeChatFault(43004)
    return follower


def nbytes(value: Any) -> int:
    """The length WeChat checks: UTF-8 bytes, not characters."""
    return len(str(value).encode("utf-8"))
