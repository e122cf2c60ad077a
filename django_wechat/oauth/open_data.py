"""A mini-program user's ``session_key``, kept server-side, and the open data it decrypts.

``jscode2session`` gives the server a ``session_key`` with each login (code2Session doc:
never send it to the mini program). :class:`~django_wechat.oauth.backends.WeChatBackend`
keeps it in ``WECHAT["CACHE"]`` under the user's openid; :func:`decrypt_open_data` uses it
for what ``wx.getUserInfo`` and other open-data APIs give the mini program encrypted
(``encryptedData`` and ``iv``), and checks the watermark: the data must name this mini
program's AppID and be recent (开放数据校验与解密)::

    from django_wechat.oauth.open_data import decrypt_open_data

    data = decrypt_open_data("mini", wechat_user.openid, body["encryptedData"], body["iv"])
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.cache import caches
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from ..cache import call, miniprogram_session_key
from ..conf import Account, get_account, wechat_settings
from ..exceptions import WeChatError

__all__ = ["OPEN_DATA_MAX_AGE", "SESSION_KEY_TIMEOUT", "OpenDataError", "decrypt_open_data"]

#: How long a session_key is kept after the login that brought it (seconds). WeChat
#: gives it no fixed lifetime; a new ``wx.login()`` replaces it.
SESSION_KEY_TIMEOUT = 7 * 24 * 3600
#: How old the watermark's timestamp may be (seconds), by default.
OPEN_DATA_MAX_AGE = 600


class OpenDataError(WeChatError):
    """Open data that cannot be trusted: no session_key, undecryptable, or a watermark
    of another mini program or too old. The message never holds the key or the data."""


@sensitive_variables()
def store_session_key(account: Account, openid: str, session_key: str) -> None:
    """Keep ``session_key`` for ``openid`` of ``account`` (replacing the previous one)."""
    if session_key:
        call(
            caches[wechat_settings.CACHE].set,
            miniprogram_session_key(account.app_id, openid),
            session_key,
            SESSION_KEY_TIMEOUT,
        )


@sensitive_variables()
def decrypt_open_data(
    account: str | Account,
    openid: str,
    encrypted_data: str,
    iv: str,
    *,
    max_age: float = OPEN_DATA_MAX_AGE,
) -> dict[str, Any]:
    """The JSON object in ``encrypted_data`` (AES-128-CBC with the user's session_key,
    PKCS#7), once its ``watermark`` names ``account``'s AppID and is at most ``max_age``
    seconds old. Raises :class:`OpenDataError`."""
    acc = account if isinstance(account, Account) else get_account(account)
    key = call(caches[wechat_settings.CACHE].get, miniprogram_session_key(acc.app_id, openid))
    if not isinstance(key, str):
        raise OpenDataError(_("No session_key for this user: log in again with wx.login()."))
    try:
        cipher = Cipher(algorithms.AES(base64.b64decode(key)), modes.CBC(base64.b64decode(iv)))
        decryptor = cipher.decryptor()
        padded = decryptor.update(base64.b64decode(encrypted_data)) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        data = json.loads(unpadder.update(padded) + unpadder.finalize())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        # A wrong iv, a stale session_key or tampered data: all look alike here.
        raise OpenDataError(_("The open data cannot be decrypted.")) from None
    watermark = data.get("watermark") if isinstance(data, dict) else None
    if not isinstance(watermark, dict) or watermark.get("appid") != acc.app_id:
        raise OpenDataError(_("The open data's watermark names another mini program."))
    stamp = watermark.get("timestamp")
    if not isinstance(stamp, int | float) or abs(time.time() - stamp) > max_age:
        raise OpenDataError(_("The open data's watermark is too old."))
    result: dict[str, Any] = data
    return result
