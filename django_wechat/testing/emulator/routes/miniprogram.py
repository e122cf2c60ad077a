"""The emulated mini program login (小程序登录): ``sns/jscode2session``."""

from __future__ import annotations

import secrets
from typing import Any

from ..http import Reply, Request, WeChatFault, route
from ..state import Emulator
from .oauth import _take_code
from .token import check_app


@route("sns/jscode2session", needs_token=False)
def jscode2session(emulator: Emulator, request: Request) -> Reply:
    """``GET sns/jscode2session?appid&secret&js_code&grant_type=authorization_code``.

    Codes come from :meth:`~django_wechat.testing.emulator.WeChatEmulator.js_code`
    (what ``wx.login()`` gives a mini program).
    """
    query = request.query
    state = check_app(emulator, query.get("appid"), query.get("secret"))
    if query.get("grant_type") != "authorization_code":
        raise WeChatFault(40002)
    code = _take_code(emulator, state, query.get("js_code"), "js")
    follower = state.followers.get(code.openid)
    answer: dict[str, Any] = {
        "openid": code.openid,
        "session_key": secrets.token_urlsafe(18),
    }
    if follower is not None:
        answer["unionid"] = follower.unionid
    return Reply.json(answer)
