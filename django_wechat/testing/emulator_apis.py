"""The emulated Official Account APIs: users, tags, customer-service messages,
template messages, temporary media and QR codes, each with WeChat's limits and errcodes.

Every function here is called with the state lock held and a checked access_token.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import struct
import zlib
from typing import TYPE_CHECKING, Any

from .emulator_http import Reply, Request, WeChatFault, route
from .emulator_state import MEDIA_TTL, SERVICE_WINDOW, AccountState, Follower, Media

if TYPE_CHECKING:
    from .emulator import WeChatEmulator


def find_follower(state: AccountState, openid: Any, *, subscribed: bool = False) -> Follower:
    """The follower ``openid``: 41009 when missing, 40003 when unknown, 43004 when
    ``subscribed`` is asked for and they unfollowed."""
    if not openid:
        raise WeChatFault(41009)
    follower = state.followers.get(str(openid))
    if follower is None:
        raise WeChatFault(40003)
    if subscribed and not follower.subscribe:
        raise WeChatFault(43004)
    return follower


def nbytes(value: Any) -> int:
    """The length WeChat checks: UTF-8 bytes, not characters."""
    return len(str(value).encode("utf-8"))


# --- users -----------------------------------------------------------------------------

LANGS = ("zh_CN", "zh_TW", "en")


@route("cgi-bin/user/info")
def user_info(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/user/info?openid=...&lang=zh_CN``."""
    follower = find_follower(state, request.query.get("openid"))
    if request.query.get("lang", "zh_CN") not in LANGS:
        raise WeChatFault(40097, "invalid args: lang")
    return Reply.json(follower.info())


@route("cgi-bin/user/info/batchget", method="POST")
def user_info_batchget(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/user/info/batchget`` ``{"user_list": [{"openid": ...}]}`` (1-100)."""
    users = request.json().get("user_list")
    if not isinstance(users, list) or not 1 <= len(users) <= 100:
        raise WeChatFault(40032)
    infos = []
    for user in users:
        if not isinstance(user, dict):
            raise WeChatFault(47001)
        infos.append(find_follower(state, user.get("openid")).info())
    return Reply.json({"user_info_list": infos})


def _page(openids: list[str], after: str, size: int) -> dict[str, Any]:
    if after:
        if after not in openids:
            raise WeChatFault(40003, "invalid next_openid")
        openids = openids[openids.index(after) + 1 :]
    page = openids[:size]
    answer: dict[str, Any] = {"count": len(page), "next_openid": page[-1] if page else ""}
    if page:
        answer["data"] = {"openid": page}
    return answer


@route("cgi-bin/user/get")
def user_get(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/user/get?next_openid=...``: followers by pages of 10,000.

    ``next_openid`` is the last openid of the page; the page after the last is empty
    with ``next_openid`` "" (拉取用户列表 doc).
    """
    openids = [f.openid for f in state.followers.values() if f.subscribe]
    page = _page(openids, request.query.get("next_openid", ""), emulator.user_page_size)
    return Reply.json({"total": len(openids), **page})


@route("cgi-bin/user/info/updateremark", method="POST")
def user_updateremark(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/user/info/updateremark`` ``{"openid", "remark"}`` (remark < 30 chars)."""
    body = request.json()
    follower = find_follower(state, body.get("openid"))
    remark = body.get("remark")
    if not isinstance(remark, str) or len(remark) >= 30:
        raise WeChatFault(45008 if isinstance(remark, str) else 47001, "invalid remark")
    follower.remark = remark
    return Reply.ok()


# --- tags ------------------------------------------------------------------------------
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
def tags_create(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/tags/create`` ``{"tag": {"name": ...}}``."""
    name = _tag_name(state, _tag_body(request).get("name"))
    if len([t for t in state.tags if t not in SYSTEM_TAGS]) >= 100:
        raise WeChatFault(45056)
    tag_id = state.next_tag_id
    state.next_tag_id += 1
    state.tags[tag_id] = name
    return Reply.json({"tag": {"id": tag_id, "name": name}})


@route("cgi-bin/tags/get")
def tags_get(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
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
def tags_update(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/tags/update`` ``{"tag": {"id": ..., "name": ...}}``."""
    tag = _tag_body(request)
    tag_id = find_tag_id(state, tag.get("id"), editable=True)
    state.tags[tag_id] = _tag_name(state, tag.get("name"), own_id=tag_id)
    return Reply.ok()


@route("cgi-bin/tags/delete", method="POST")
def tags_delete(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
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
def tags_batchtagging(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
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
def tags_batchuntagging(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/tags/members/batchuntagging`` ``{"openid_list": [...], "tagid": n}``."""
    tag_id, followers = _batch(state, request)
    for follower in followers:
        if tag_id in follower.tagid_list:
            follower.tagid_list.remove(tag_id)
    return Reply.ok()


@route("cgi-bin/tags/getidlist", method="POST")
def tags_getidlist(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/tags/getidlist`` ``{"openid": ...}``: the follower's tag ids."""
    follower = find_follower(state, request.json().get("openid"))
    return Reply.json({"tagid_list": list(follower.tagid_list)})


@route("cgi-bin/user/tag/get", method="POST")
def user_tag_get(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/user/tag/get`` ``{"tagid": n, "next_openid": ""}``: a tag's followers."""
    body = request.json()
    tag_id = find_tag_id(state, body.get("tagid"))
    openids = [f.openid for f in state.followers.values() if tag_id in f.tagid_list]
    return Reply.json(_page(openids, str(body.get("next_openid") or ""), emulator.user_page_size))


# --- customer-service messages ----------------------------------------------------------

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
def custom_send(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
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
        if required in MEDIA_FIELDS and not _media_alive(emulator, state, value):
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


# --- template messages ------------------------------------------------------------------

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


@route("cgi-bin/template/api_set_industry", method="POST")
def template_set_industry(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
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
def template_get_industry(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/template/get_industry``."""
    if state.industry is None:
        raise WeChatFault(40102, "industry not set")
    primary, secondary = state.industry
    return Reply.json(
        {"primary_industry": _industry(primary), "secondary_industry": _industry(secondary)}
    )


@route("cgi-bin/template/api_add_template", method="POST")
def template_add(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/template/api_add_template`` ``{"template_id_short": ...}`` (at most 25)."""
    short_id = request.json().get("template_id_short")
    entry = TEMPLATE_LIBRARY.get(str(short_id))
    if entry is None:
        raise WeChatFault(40037)
    if len(state.templates) >= 25:
        raise WeChatFault(45026, "template size out of limit")
    template_id = secrets.token_urlsafe(32)
    industry = _industry(state.industry[0] if state.industry else 1)
    state.templates[template_id] = {
        "template_id": template_id,
        "title": entry["title"],
        "primary_industry": industry["first_class"],
        "deputy_industry": industry["second_class"],
        "content": entry["content"],
        "example": entry["example"],
    }
    return Reply.ok(template_id=template_id)


@route("cgi-bin/template/get_all_private_template")
def template_list(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/template/get_all_private_template``."""
    return Reply.json({"template_list": [dict(t) for t in state.templates.values()]})


@route("cgi-bin/template/del_private_template", method="POST")
def template_delete(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/template/del_private_template`` ``{"template_id": ...}``."""
    template_id = request.json().get("template_id")
    if state.templates.pop(str(template_id), None) is None:
        raise WeChatFault(40037)
    return Reply.ok()


@route("cgi-bin/message/template/send", method="POST")
def template_send(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
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
    msgid = int.from_bytes(secrets.token_bytes(7), "big")
    state.sent.append(
        {
            "kind": "template",
            "touser": follower.openid,
            "template_id": template["template_id"],
            "url": body.get("url"),
            "miniprogram": body.get("miniprogram"),
            "data": data,
            "msgid": msgid,
        }
    )
    return Reply.ok(msgid=msgid)


# --- temporary media ------------------------------------------------------------------------
# 新增临时素材 doc: image 10 MB (bmp/png/jpeg/jpg/gif), voice 2 MB (amr/mp3), video
# 10 MB (mp4), thumb 64 KB (jpg); kept for 3 days.

MEDIA_RULES: dict[str, tuple[int, tuple[str, ...]]] = {
    "image": (10 * 1024 * 1024, ("bmp", "png", "jpeg", "jpg", "gif")),
    "voice": (2 * 1024 * 1024, ("amr", "mp3")),
    "video": (10 * 1024 * 1024, ("mp4",)),
    "thumb": (64 * 1024, ("jpg", "jpeg")),
}


def _media_alive(emulator: WeChatEmulator, state: AccountState, media_id: Any) -> bool:
    media = state.media.get(str(media_id))
    return media is not None and emulator.clock.now() - media.created_at < MEDIA_TTL


@route("cgi-bin/media/upload", method="POST")
def media_upload(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/media/upload?type=...`` with the file in the multipart field ``media``."""
    kind = request.query.get("type", "")
    if kind not in MEDIA_RULES:
        raise WeChatFault(40004)
    upload = request.files().get("media")
    if upload is None:
        raise WeChatFault(41005)
    limit, extensions = MEDIA_RULES[kind]
    if upload.filename.rsplit(".", 1)[-1].lower() not in extensions:
        raise WeChatFault(40005, "invalid file type")
    if not upload.content or len(upload.content) > limit:
        raise WeChatFault(40006)
    media_id = secrets.token_urlsafe(48)
    created_at = int(emulator.clock.now())
    state.media[media_id] = Media(
        media_id, kind, upload.filename, upload.content_type, upload.content, created_at
    )
    # Thumbnails answer "thumb_media_id" instead of "media_id".
    id_field = "thumb_media_id" if kind == "thumb" else "media_id"
    return Reply.json({"type": kind, id_field: media_id, "created_at": created_at})


@route("cgi-bin/media/get")
def media_get(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/media/get?media_id=...``: the file; for a video, ``{"video_url"}``."""
    media_id = request.query.get("media_id", "")
    if not _media_alive(emulator, state, media_id):
        raise WeChatFault(40007)
    media = state.media[media_id]
    if media.type == "video":
        return Reply.json({"video_url": f"{emulator.url}/_emulator/media/{media_id}"})
    return Reply(
        200,
        media.content,
        media.content_type or "application/octet-stream",
        # WeChat names the download after the media_id, whatever the upload was called.
        {"Content-disposition": f'attachment; filename="{media_id}.{media.extension}"'},
    )


# --- QR codes ------------------------------------------------------------------------------
# 生成带参数的二维码 doc: temporary codes (QR_SCENE, QR_STR_SCENE) live expire_seconds
# (default 30, at most 2592000); permanent ones take scene_id 1-100000 or a scene_str
# of 1-64 characters.

QR_ACTIONS = ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE")
QR_MAX_EXPIRE = 2592000


@route("cgi-bin/qrcode/create", method="POST")
def qrcode_create(emulator: WeChatEmulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/qrcode/create``.

    Stricter than WeChat in one place: a body without ``action_info.scene`` is refused
    (WeChat makes a code whose scene is 0, which no event handler expects).
    """
    body = request.json()
    action = body.get("action_name")
    if action not in QR_ACTIONS:
        raise WeChatFault(40097, "invalid action_name")
    info = body.get("action_info")
    scene = info.get("scene") if isinstance(info, dict) else None
    if not isinstance(scene, dict):
        raise WeChatFault(40097, "invalid args: action_info.scene missing")
    temporary = "LIMIT" not in action
    if action.endswith("STR_SCENE"):
        value = scene.get("scene_str")
        if not isinstance(value, str) or not 1 <= len(value) <= 64:
            raise WeChatFault(40097, "invalid scene_str")
    else:
        value = scene.get("scene_id")
        top = 2**32 - 1 if temporary else 100000
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise WeChatFault(40097, "invalid scene_id")
    answer: dict[str, Any] = {}
    expires_at: float | None = None
    if temporary:
        expire = body.get("expire_seconds", 30)
        if isinstance(expire, bool) or not isinstance(expire, int):
            raise WeChatFault(40097, "invalid expire_seconds")
        if not 1 <= expire <= QR_MAX_EXPIRE:
            raise WeChatFault(40097, "invalid expire_seconds")
        expires_at = emulator.clock.now() + expire
        answer["expire_seconds"] = expire
    # Real tickets are base64 with '+', '/' and '=': a client must URL-encode them.
    ticket = base64.b64encode(b"\x81\x01" + secrets.token_bytes(46)).decode()
    code = secrets.token_urlsafe(16)
    state.qrcodes[ticket] = {"action_name": action, "scene": value, "expires_at": expires_at}
    emulator.qr_tickets[ticket] = state.app_id
    answer.update({"ticket": ticket, "url": f"http://weixin.qq.com/q/{code}"})
    return Reply.json(answer)


@route("cgi-bin/showqrcode", needs_token=False)
def showqrcode(emulator: WeChatEmulator, request: Request) -> Reply:
    """``GET cgi-bin/showqrcode?ticket=...`` (mp.weixin.qq.com): the QR code as a PNG."""
    ticket = request.query.get("ticket", "")
    app_id = emulator.qr_tickets.get(ticket)
    qrcode = emulator.states[app_id].qrcodes.get(ticket) if app_id else None
    expires_at = qrcode["expires_at"] if qrcode else None
    if qrcode is None or (expires_at is not None and emulator.clock.now() >= expires_at):
        return Reply(404, b"", "text/html; charset=utf-8")
    return Reply(200, _png(ticket), "image/png")


def _png(seed: str, size: int = 25, scale: int = 8) -> bytes:
    """A QR-looking black-and-white PNG derived from ``seed`` (not a scannable code)."""
    bits = hashlib.sha256(seed.encode()).digest() * (size * size // 256 + 1)
    rows = []
    for y in range(size * scale):
        row = bytearray(b"\x00")  # filter type: none
        for x in range(size * scale):
            i = (y // scale) * size + (x // scale)
            row.append(0 if (bits[i // 8] >> (i % 8)) & 1 else 255)
        rows.append(bytes(row))
    width = height = size * scale

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )
