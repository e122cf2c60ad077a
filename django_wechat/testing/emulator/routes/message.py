"""The emulated customer-service message API (客服消息), with the 48-hour service window.

Every function here is called with the state lock held and a checked access_token.
"""

from __future__ import annotations

from ..http import Reply, Request, WeChatFault, route
from ..state import SERVICE_WINDOW, AccountState, Emulator
from .common import find_follower
from .media import media_alive

CUSTOM_TYPES: dict[str, tuple[str, ...]] = {
    "text": ("content",),
    "image": ("media_id",),
    "voice": ("media_id",),
    "video": ("media_id",),
    "music": ("musicurl", "hqmusicurl", "thumb_media_id"),
    "news": ("articles",),
    "mpnews": ("media_id",),
    "mpnewsarticle": ("article_id",),
    "msgmenu": ("list",),
    "wxcard": ("card_id",),
    "miniprogrampage": ("title", "appid", "pagepath", "thumb_media_id"),
}
MEDIA_FIELDS = ("media_id", "thumb_media_id")


@route("cgi-bin/message/custom/send", method="POST")
def custom_send(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/message/custom/send`` ``{"touser", "msgtype", <msgtype>: {...}}``.

    Only within 48 hours of the follower's last message (客服消息 doc); outside that
    window, or to a follower who unsubscribed, WeChat answers 45015.
    """
    body = request.json()
    follower = find_follower(state, body.get("touser"))
    msgtype = body.get("msgtype")
    if msgtype not in CUSTOM_TYPES:
        raise WeChatFault(40008)
    payload = body.get(msgtype)
    if not isinstance(payload, dict):
        raise WeChatFault(44002, f"empty post data: {msgtype} missing")
    for required in CUSTOM_TYPES[msgtype]:
        value = payload.get(required)
        if value in (None, "", []):
            raise WeChatFault(44004 if required == "content" else 40097)
        if required in MEDIA_FIELDS and not media_alive(emulator, state, value):
            raise WeChatFault(40007)
    if msgtype == "news" and len(payload["articles"]) != 1:
        # 客服消息 doc: "图文消息条数限制在1条以内".
        raise WeChatFault(40097, "invalid args: news is limited to 1 article")
    last = follower.last_message_at
    if not follower.subscribe or last is None or emulator.clock.now() - last > SERVICE_WINDOW:
        raise WeChatFault(45015)
    state.sent.append(
        {"kind": "custom", "touser": follower.openid, "msgtype": msgtype, msgtype: payload}
    )
    return Reply.ok()


@route("cgi-bin/message/custom/typing", method="POST")
def custom_typing(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/message/custom/typing`` ``{"touser", "command": "Typing" |
    "CancelTyping"}`` (客服输入状态): like a message, only inside the 48-hour window."""
    body = request.json()
    follower = find_follower(state, body.get("touser"))
    if body.get("command") not in ("Typing", "CancelTyping"):
        raise WeChatFault(40097, "invalid args: command")
    last = follower.last_message_at
    if not follower.subscribe or last is None or emulator.clock.now() - last > SERVICE_WINDOW:
        raise WeChatFault(45015)
    return Reply.ok()
