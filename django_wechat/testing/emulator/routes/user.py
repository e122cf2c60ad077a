"""The emulated user APIs (用户管理): follower info, the follower list, remarks.

Every function here is called with the state lock held and a checked access_token.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

from ..http import Reply, Request, WeChatFault, route
from ..state import AccountState, Emulator
from .common import find_follower

LANGS = ("zh_CN", "zh_TW", "en")


@route("cgi-bin/user/info")
def user_info(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/user/info?openid=...&lang=zh_CN``."""
    follower = find_follower(state, request.query.get("openid"), keep=False)
    if request.query.get("lang", "zh_CN") not in LANGS:
        raise WeChatFault(40097, "invalid args: lang")
    return Reply.json(follower.info())


@route("cgi-bin/user/info/batchget", method="POST")
def user_info_batchget(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/user/info/batchget`` ``{"user_list": [{"openid": ...}]}`` (1-100).

    WeChat's doc wants followers' openids only and does not say what a non-follower gets;
    the emulator answers ``{"subscribe": 0, "openid": ...}`` for one who unfollowed (as
    user/info does) and 40003 for an openid it never knew.
    """
    users = request.json().get("user_list")
    if not isinstance(users, list) or not 1 <= len(users) <= 100:
        raise WeChatFault(40032)
    infos = []
    for user in users:
        if not isinstance(user, dict):
            raise WeChatFault(47001)
        infos.append(find_follower(state, user.get("openid"), keep=False).info())
    return Reply.json({"user_info_list": infos})


def openid_page(openids: Iterable[str], after: str, size: int) -> dict[str, Any]:
    """One page of ``openids`` after ``after``, as user/get and user/tag/get answer it."""
    if after:
        openids = list(openids)
        if after not in openids:
            raise WeChatFault(40003, "invalid next_openid")
        openids = openids[openids.index(after) + 1 :]
    page = list(islice(openids, size))
    answer: dict[str, Any] = {"count": len(page), "next_openid": page[-1] if page else ""}
    if page:
        answer["data"] = {"openid": page}
    return answer


@route("cgi-bin/user/get")
def user_get(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/user/get?next_openid=...``: followers by pages of 10,000.

    ``next_openid`` is the last openid of the page; the page after the last is empty
    with ``next_openid`` "" (拉取用户列表 doc).
    """
    try:
        openids = state.subscribed_openids(request.query.get("next_openid", ""))
    except KeyError:
        raise WeChatFault(40003, "invalid next_openid") from None
    page = openid_page(openids, "", emulator.user_page_size)
    return Reply.json({"total": state.subscribed_count(), **page})


@route("cgi-bin/user/info/updateremark", method="POST")
def user_updateremark(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/user/info/updateremark`` ``{"openid", "remark"}`` (remark < 30 chars)."""
    body = request.json()
    follower = find_follower(state, body.get("openid"))
    remark = body.get("remark")
    if not isinstance(remark, str) or len(remark) >= 30:
        raise WeChatFault(45008 if isinstance(remark, str) else 47001, "invalid remark")
    follower.remark = remark
    return Reply.ok()
