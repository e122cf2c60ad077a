"""The emulated QR code APIs (生成带参数的二维码): tickets and their images."""

from __future__ import annotations

import base64
import hashlib
import secrets
import struct
import zlib
from typing import Any

from ..http import Reply, Request, WeChatFault, route
from ..state import AccountState, Emulator

# 生成带参数的二维码 doc: temporary codes (QR_SCENE, QR_STR_SCENE) live expire_seconds
# (default 30, at most 2592000); permanent ones take scene_id 1-100000 or a scene_str
# of 1-64 characters.

QR_ACTIONS = ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE")
QR_MAX_EXPIRE = 2592000


@route("cgi-bin/qrcode/create", method="POST")
def qrcode_create(emulator: Emulator, request: Request, state: AccountState) -> Reply:
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
def showqrcode(emulator: Emulator, request: Request) -> Reply:
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
