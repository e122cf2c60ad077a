"""The emulated tag APIs (用户标签管理): tags and their members.

Every function here is called with the state lock held and a checked access_token.
"""

from __future__ import annotations

from typing import Any

from ..http import Reply, Request, WeChatFault, route
from ..state import AccountState, Emulator, Follower
from .common import find_follower, nbytes
from .user import openid_page

# 用户标签管理 doc: at most 100 tags, names at most 30 bytes and unique, ids 0/1/2 are
# the system's, at most 50 openids per batch, at most 20 tags per follower.

SYSTEM_TAGS = (0, 1, 2)


def _tag_name(state: AccountState, name: Any, *, own_id: int | None = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise WeChatFault(45157)
    if nbytes(name) > 30:
        raise WeChatFault(45158)
    if any(n == name and i != own_id for i, n in state.tags.items()):
        raise WeChatFault(45157)
    return name


def find_tag_id(state: AccountState, value: Any, *, editable: bool = False) -> int:
    """The id of an existing tag (45159 otherwise); 45058 for a system tag when ``editable``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise WeChatFault(45159)
    try:
        tag_id = int(value)
    except ValueError:
        raise WeChatFault(45159) from None
    if editable and tag_id in SYSTEM_TAGS:
        raise WeChatFault(45058)
    if tag_id not in state.tags:
        raise WeChatFault(45159)
    return tag_id


def _tag_body(request: Request) -> dict[str, Any]:
    tag = request.json().get("tag")
    if not isinstance(tag, dict):
        raise WeChatFault(47001)
    return tag


@route("cgi-bin/tags/create", method="POST")
def tags_create(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/tags/create`` ``{"tag": {"name": ...}}``."""
    name = _tag_name(state, _tag_body(request).get("name"))
    if len([t for t in state.tags if t not in SYSTEM_TAGS]) >= 100:
        raise WeChatFault(45056)
    tag_id = state.next_tag_id
    state.next_tag_id += 1
    state.tags[tag_id] = name
    return Reply.json({"tag": {"id": tag_id, "name": name}})


@route("cgi-bin/tags/get")
def tags_get(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/tags/get``: every tag with its follower count."""
    tags = [
        {
            "id": tag_id,
            "name": name,
            "count": sum(tag_id in f.tagid_list for f in state.followers.values()),
        }
        for tag_id, name in sorted(state.tags.items())
    ]
    return Reply.json({"tags": tags})


@route("cgi-bin/tags/update", method="POST")
def tags_update(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/tags/update`` ``{"tag": {"id": ..., "name": ...}}``."""
    tag = _tag_body(request)
    tag_id = find_tag_id(state, tag.get("id"), editable=True)
    state.tags[tag_id] = _tag_name(state, tag.get("name"), own_id=tag_id)
    return Reply.ok()


@route("cgi-bin/tags/delete", method="POST")
def tags_delete(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/tags/delete`` ``{"tag": {"id": ...}}``; untags its followers."""
    tag_id = find_tag_id(state, _tag_body(request).get("id"), editable=True)
    del state.tags[tag_id]
    for follower in state.followers.values():
        if tag_id in follower.tagid_list:
            follower.tagid_list.remove(tag_id)
    return Reply.ok()


def _batch(state: AccountState, request: Request) -> tuple[int, list[Follower]]:
    body = request.json()
    openids = body.get("openid_list")
    if not isinstance(openids, list) or not 1 <= len(openids) <= 50:
        raise WeChatFault(40032)
    tag_id = find_tag_id(state, body.get("tagid"))
    followers = [find_follower(state, openid) for openid in openids]
    return tag_id, followers


@route("cgi-bin/tags/members/batchtagging", method="POST")
def tags_batchtagging(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/tags/members/batchtagging`` ``{"openid_list": [...], "tagid": n}``."""
    tag_id, followers = _batch(state, request)
    for follower in followers:
        if tag_id not in follower.tagid_list and len(follower.tagid_list) >= 20:
            raise WeChatFault(45059)
    for follower in followers:
        if tag_id not in follower.tagid_list:
            follower.tagid_list.append(tag_id)
    return Reply.ok()


@route("cgi-bin/tags/members/batchuntagging", method="POST")
def tags_batchuntagging(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/tags/members/batchuntagging`` ``{"openid_list": [...], "tagid": n}``."""
    tag_id, followers = _batch(state, request)
    for follower in followers:
        if tag_id in follower.tagid_list:
            follower.tagid_list.remove(tag_id)
    return Reply.ok()


@route("cgi-bin/tags/getidlist", method="POST")
def tags_getidlist(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/tags/getidlist`` ``{"openid": ...}``: the follower's tag ids."""
    follower = find_follower(state, request.json().get("openid"))
    return Reply.json({"tagid_list": list(follower.tagid_list)})


@route("cgi-bin/user/tag/get", method="POST")
def user_tag_get(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/user/tag/get`` ``{"tagid": n, "next_openid": ""}``: a tag's followers."""
    body = request.json()
    tag_id = find_tag_id(state, body.get("tagid"))
    openids = [f.openid for f in state.followers.values() if tag_id in f.tagid_list]
    after = str(body.get("next_openid") or "")
    return Reply.json(openid_page(openids, after, emulator.user_page_size))
