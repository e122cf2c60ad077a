"""The emulated template message APIs (模板消息): industry, templates, sending.

Every function here is called with the state lock held and a checked access_token.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from ..http import Reply, Request, WeChatFault, route
from ..state import AccountState, Emulator
from .common import find_follower

#: The template library: short ids that ``api_add_template`` accepts.
TEMPLATE_LIBRARY: dict[str, dict[str, str]] = {
    "TM00015": {
        "title": "订单支付成功",
        "content": "订单号：{{character_string1.DATA}}\n支付金额：{{amount2.DATA}}\n"
        "商品名称：{{thing3.DATA}}",
        "example": "订单号：20240501123456\n支付金额：99.00元\n商品名称：年度会员",
    },
    "OPENTM411587302": {
        "title": "预约成功通知",
        "content": "预约项目：{{thing1.DATA}}\n预约时间：{{time2.DATA}}",
        "example": "预约项目：体检\n预约时间：2024年5月1日 09:30",
    },
    "OPENTM207791277": {
        "title": "订单发货提醒",
        "content": "订单号：{{character_string1.DATA}}\n快递公司：{{thing2.DATA}}\n"
        "快递单号：{{character_string3.DATA}}",
        "example": "订单号：20240501123456\n快递公司：顺丰速运\n快递单号：SF1234567890",
    },
}
#: Since 2023-05-04 keyword values are limited by their type (模板消息能力调整公告).
KEYWORD_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "amount": 32, "number": 32}
INDUSTRIES = range(1, 42)
#: How long WeChat remembers a client_msg_id (seconds).
CLIENT_MSG_ID_TTL = 600


@route("cgi-bin/template/api_set_industry", method="POST")
def template_set_industry(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/template/api_set_industry`` ``{"industry_id1": "1", "industry_id2": "4"}``."""
    body = request.json()
    ids = []
    for key in ("industry_id1", "industry_id2"):
        try:
            value = int(str(body.get(key)))
        except (TypeError, ValueError):
            raise WeChatFault(40102) from None
        if value not in INDUSTRIES:
            raise WeChatFault(40102)
        ids.append(value)
    state.industry = (ids[0], ids[1])
    return Reply.ok()


def _industry(industry_id: int) -> dict[str, str]:
    return {"first_class": "IT科技", "second_class": f"行业{industry_id}"}


@route("cgi-bin/template/get_industry")
def template_get_industry(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/template/get_industry``."""
    if state.industry is None:
        raise WeChatFault(40102, "industry not set")
    primary, secondary = state.industry
    return Reply.json(
        {"primary_industry": _industry(primary), "secondary_industry": _industry(secondary)}
    )


@route("cgi-bin/template/api_add_template", method="POST")
def template_add(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/template/api_add_template`` ``{"template_id_short": ...}`` (at most 25)."""
    return Reply.ok(template_id=add_template(state, str(request.json().get("template_id_short"))))


def add_template(state: AccountState, short_id: str, template_id: str | None = None) -> str:
    """Add the library's template ``short_id`` to the account's templates: its id (a new
    random one unless ``template_id`` is given).

    Raises :class:`~..http.WeChatFault` 40037 for a short id not in the library, 45026
    when the account has 25 templates already.
    """
    entry = TEMPLATE_LIBRARY.get(short_id)
    if entry is None:
        raise WeChatFault(40037)
    if len(state.templates) >= 25:
        raise WeChatFault(45026, "template size out of limit")
    template_id = template_id or secrets.token_urlsafe(32)
    industry = _industry(state.industry[0] if state.industry else 1)
    state.templates[template_id] = {
        "template_id": template_id,
        "title": entry["title"],
        "primary_industry": industry["first_class"],
        "deputy_industry": industry["second_class"],
        "content": entry["content"],
        "example": entry["example"],
    }
    return template_id


def seed_templates(state: AccountState, count: int) -> None:
    """Add the library's first ``count`` templates to the account, each under an id made
    from the AppID and its short id: the same at every start, as WeChat keeps a
    template's, so a site that synced them before an emulator restart can still send."""
    for short_id in list(TEMPLATE_LIBRARY)[:count]:
        digest = hashlib.sha256(f"{state.app_id}:{short_id}".encode()).digest()
        add_template(state, short_id, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


@route("cgi-bin/template/get_all_private_template")
def template_list(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/template/get_all_private_template``."""
    return Reply.json({"template_list": [dict(t) for t in state.templates.values()]})


@route("cgi-bin/template/del_private_template", method="POST")
def template_delete(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/template/del_private_template`` ``{"template_id": ...}``."""
    template_id = request.json().get("template_id")
    if state.templates.pop(str(template_id), None) is None:
        raise WeChatFault(40037)
    return Reply.ok()


@route("cgi-bin/message/template/send", method="POST")
def template_send(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/message/template/send``: checks the follower, the template and each
    keyword the template names (present, and within its type's length).
    """
    body = request.json()
    follower = find_follower(state, body.get("touser"), subscribed=True)
    template = state.templates.get(str(body.get("template_id")))
    if template is None:
        raise WeChatFault(40037)
    data = body.get("data")
    if not isinstance(data, dict):
        raise WeChatFault(47001)
    for keyword in re.findall(r"\{\{(\w+)\.DATA\}\}", template["content"]):
        item = data.get(keyword)
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str) or not value:
            raise WeChatFault(47003, f"argument invalid! data.{keyword}.value is empty")
        kind = keyword.rstrip("0123456789")
        if kind in KEYWORD_LIMITS and len(value) > KEYWORD_LIMITS[kind]:
            raise WeChatFault(47003, f"argument invalid! data.{keyword}.value exceeds limit")
    # 防重入id: "对于同一个openid + client_msg_id, 只发送一条消息,10分钟有效". What WeChat
    # answers a repeat is not documented; the emulator answers it as the first was
    # answered (the same msgid) and delivers nothing.
    client_msg_id = str(body.get("client_msg_id") or "")
    now = emulator.clock.now()
    if client_msg_id:
        seen = state.client_msg_ids.get((follower.openid, client_msg_id))
        if seen is not None and now - seen[1] < CLIENT_MSG_ID_TTL:
            return Reply.ok(msgid=seen[0])
    msgid = int.from_bytes(secrets.token_bytes(7), "big")
    if client_msg_id:
        state.client_msg_ids[(follower.openid, client_msg_id)] = (msgid, now)
    if state.callback_url and state.template_job_status:
        state.outbox.append(
            {
                "MsgType": "event",
                "Event": "TEMPLATESENDJOBFINISH",
                "MsgID": msgid,
                "Status": state.template_job_status,
                "FromUserName": follower.openid,
            }
        )
    state.sent.append(
        {
            "kind": "template",
            "touser": follower.openid,
            "template_id": template["template_id"],
            "url": body.get("url"),
            "miniprogram": body.get("miniprogram"),
            "data": data,
            "msgid": msgid,
            "client_msg_id": client_msg_id,
        }
    )
    return Reply.ok(msgid=msgid)
