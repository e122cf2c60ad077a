"""What several emulated API groups check alike: a follower by openid, a single-use code,
a length in bytes."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from ..http import WeChatFault
from ..state import AccountState, Code, Emulator, Follower


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


def take_code(emulator: Emulator, state: AccountState, value: Any, scopes: Container[str]) -> Code:
    """Use up a code issued for one of ``scopes``: 41008 missing, 40029 unknown, expired,
    another app's or of another kind, 40163 used."""
    if not value:
        raise WeChatFault(41008)
    code = emulator.codes.get(str(value))
    if code is None or code.app_id != state.app_id or code.scope not in scopes:
        raise WeChatFault(40029)
    if code.used:
        raise WeChatFault(40163)
    if emulator.clock.now() >= code.expires_at:
        raise WeChatFault(40029)
    code.used = True
    return code


def nbytes(value: Any) -> int:
    """The length WeChat checks: UTF-8 bytes, not characters."""
    return len(str(value).encode("utf-8"))
