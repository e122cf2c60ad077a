"""The emulated mini program (小程序): ``sns/jscode2session``, the phone number
(``wxa/business/getuserphonenumber``) and the open data a mini program gets encrypted
with its session_key (``wx.getUserInfo``'s ``encryptedData`` and ``iv``).

Codes come from :meth:`~django_wechat.testing.emulator.WeChatEmulator.js_code` (what
``wx.login()`` gives) and :func:`phone_code` (what a ``getPhoneNumber`` button gives);
:func:`encrypt_open_data` makes an ``encryptedData``/``iv`` pair.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..http import Reply, Request, WeChatFault, route
from ..state import CODE_TTL, AccountState, Code, Emulator
from .common import take_code
from .token import check_app

PHONE_SCOPE = "phone_code"


@route("sns/jscode2session", needs_token=False)
def jscode2session(emulator: Emulator, request: Request) -> Reply:
    """``GET sns/jscode2session?appid&secret&js_code&grant_type=authorization_code``.

    A code of a follower in ``state.high_risk`` is refused with 40226 (code blocked: a
    high-risk user, 小程序登录拦截). Each exchange gives the follower a new session_key.
    """
    query = request.query
    state = check_app(emulator, query.get("appid"), query.get("secret"))
    if query.get("grant_type") != "authorization_code":
        raise WeChatFault(40002)
    # A js_code serves only jscode2session.
    code = take_code(emulator, state, query.get("js_code"), ("js_code",))
    if code.openid in state.high_risk:
        raise WeChatFault(40226, "code blocked")
    follower = state.followers.get(code.openid)
    # code2Session doc: session_key is base64 of a 16-byte AES key.
    session_key = base64.b64encode(os.urandom(16)).decode()
    state.session_keys[code.openid] = session_key
    answer: dict[str, Any] = {"openid": code.openid, "session_key": session_key}
    if follower is not None and follower.unionid:
        answer["unionid"] = follower.unionid
    return Reply.json(answer)


@route("wxa/business/getuserphonenumber", method="POST")
def getuserphonenumber(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST wxa/business/getuserphonenumber`` ``{"code": ...}``: the phone number behind
    a ``getPhoneNumber`` code (single use: 40029 unknown, 40163 used)."""
    code = take_code(emulator, state, request.json().get("code"), (PHONE_SCOPE,))
    phone = state.followers[code.openid].phone
    return Reply.json(
        {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": phone,
                "purePhoneNumber": phone,
                "countryCode": "86",
                "watermark": {"timestamp": int(emulator.clock.now()), "appid": state.app_id},
            },
        }
    )


def phone_code(emulator: Emulator, openid: str, account: Any = None) -> str:
    """The code a ``getPhoneNumber`` button gives ``openid`` of the mini program ``account``."""
    with emulator.lock:
        state = emulator.state(account)
        if openid not in state.followers:
            raise LookupError(f"{openid!r} is not a user of {state.account.name!r}.")
        code = "phone-" + secrets.token_urlsafe(18)
        emulator.codes[code] = Code(
            state.app_id, openid, PHONE_SCOPE, emulator.clock.now() + CODE_TTL
        )
        return code


def encrypt_open_data(
    emulator: Emulator,
    openid: str,
    data: dict[str, Any],
    account: Any = None,
    *,
    appid: str | None = None,
    timestamp: int | None = None,
) -> tuple[str, str]:
    """``(encryptedData, iv)`` as a mini program gets them: ``data`` with a ``watermark``
    (``appid``, ``timestamp``; pass others to forge one), AES-128-CBC with the follower's
    current session_key and PKCS#7 padding (开放数据校验与解密)."""
    with emulator.lock:
        state = emulator.state(account)
        key = state.session_keys.get(openid)
        if key is None:
            raise LookupError(f"{openid!r} has no session_key: exchange a js_code first.")
        watermark = {
            "appid": state.app_id if appid is None else appid,
            "timestamp": int(emulator.clock.now()) if timestamp is None else timestamp,
        }
    plain = json.dumps({**data, "watermark": watermark}, ensure_ascii=False).encode()
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(base64.b64decode(key)), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    return base64.b64encode(encrypted).decode(), base64.b64encode(iv).decode()
