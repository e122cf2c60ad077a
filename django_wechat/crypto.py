"""Callback signatures and WeChat's message encryption (消息加解密).

The only module in the package that touches a cipher. The protocol, as documented in
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Technical_Plan.html
and https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html:

- ``signature = sha1("".join(sorted([token, timestamp, nonce])))``; the body of an
  encrypted callback is signed by ``msg_signature``, the same with ``Encrypt`` added.
- ``AESKey = base64(EncodingAESKey + "=")`` (32 bytes), AES-256-CBC with ``IV = AESKey[:16]``.
- Plaintext = 16 random bytes + the message's UTF-8 length (4 bytes, big-endian) +
  the message + the AppID, padded with PKCS#7 to a multiple of **32** bytes, then base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from . import xml as wxml
from ._i18n import gettext as _
from .exceptions import DecryptError, ImproperlyConfigured, InvalidAppId, InvalidSignature

if TYPE_CHECKING:
    from .conf import Account

__all__ = [
    "Decrypted",
    "WeChatCrypto",
    "check_signature",
    "make_signature",
]

# WeChat pads to 32-byte blocks, not AES's 16 (PROTOCOL.md D1).
BLOCK_SIZE = 32
_PADS = [bytes([n]) * n for n in range(BLOCK_SIZE + 1)]
_AES_KEY_RE = re.compile(r"[A-Za-z0-9]{43}")
_LENGTH = struct.Struct(">I")
_ENVELOPE = (
    "<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
    "<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
    "<TimeStamp>{timestamp}</TimeStamp>"
    "<Nonce><![CDATA[{nonce}]]></Nonce></xml>"
)


def make_signature(*parts: str) -> str:
    """SHA-1 hex digest of ``parts`` sorted as strings and joined without a separator.

    Sorting is lexicographic, not numeric (PROTOCOL.md D6): ``"1514711492"`` sorts before
    ``"AAAAA"``, and ``"10"`` before ``"9"``.
    """
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _same(expected: str, given: str) -> bool:
    # compare_digest on str refuses non-ASCII; bytes keep it constant-time for any input.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> None:
    """Check the ``signature`` WeChat puts on every callback URL.

    Raises :class:`~django_wechat.exceptions.InvalidSignature` (a
    ``SuspiciousOperation``) when it does not match; the comparison takes constant time.
    """
    if not _same(make_signature(token, timestamp, nonce), signature or ""):
        raise InvalidSignature(_("The request's signature does not match the account's token."))


def _decode_aes_key(encoding_aes_key: str, setting: str) -> bytes:
    if not isinstance(encoding_aes_key, str) or not _AES_KEY_RE.fullmatch(encoding_aes_key):
        # Never echo the key itself: it is a secret.
        raise ImproperlyConfigured(
            _("%(setting)s must be exactly 43 letters and digits.") % {"setting": setting}
        )
    # base64 of 32 bytes is 44 characters with one "="; WeChat drops it (PROTOCOL.md D2).
    return base64.b64decode(encoding_aes_key + "=")


@dataclass(frozen=True)
class Decrypted:
    """The result of :meth:`WeChatCrypto.decrypt_envelope`.

    ``crypto`` is bound to the key that decrypted the message; encrypt the reply with it,
    as WeChat advises while an EncodingAESKey is being changed.
    """

    xml: str
    crypto: WeChatCrypto


class WeChatCrypto:
    """Decrypts callbacks and encrypts replies for one account (compatible and safe modes).

    ``previous_encoding_aes_key`` is the key an account used before its current one:
    WeChat may still send messages encrypted with it for a while after a change, so
    decryption tries the current key, then the previous one.
    """

    __slots__ = ("_app_id_bytes", "_cipher", "_previous", "app_id", "token")

    def __init__(
        self,
        token: str,
        encoding_aes_key: str,
        app_id: str,
        previous_encoding_aes_key: str = "",
    ) -> None:
        self.token = token
        self.app_id = app_id
        self._app_id_bytes = app_id.encode()
        key = _decode_aes_key(encoding_aes_key, "ENCODING_AES_KEY")
        # One Cipher per key, reused: each call only makes a (cheap) encryptor/decryptor.
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))
        self._previous: WeChatCrypto | None = None
        if previous_encoding_aes_key:
            _decode_aes_key(previous_encoding_aes_key, "PREVIOUS_ENCODING_AES_KEY")
            self._previous = WeChatCrypto(token, previous_encoding_aes_key, app_id)

    @classmethod
    def from_account(cls, account: Account) -> WeChatCrypto:
        """The crypto for a configured :class:`~django_wechat.conf.Account`."""
        if not account.encoding_aes_key:
            raise ImproperlyConfigured(
                _("The WeChat account %(name)r has no ENCODING_AES_KEY.") % {"name": account.name}
            )
        return cls(
            account.token,
            account.encoding_aes_key,
            account.app_id,
            account.previous_encoding_aes_key,
        )

    def __repr__(self) -> str:
        return f"<WeChatCrypto app_id={self.app_id!r}>"

    # --- the AES layer ------------------------------------------------------------------

    def encrypt(self, text: str, *, prefix: bytes | None = None) -> str:
        """Encrypt ``text`` for this account and return it base64-encoded.

        ``prefix`` replaces the 16 random bytes WeChat's format starts with; only tests
        with fixed vectors need it.
        """
        body = text.encode()
        if prefix is None:
            prefix = os.urandom(16)
        elif len(prefix) != 16:
            raise ValueError("prefix must be 16 bytes")
        size = 20 + len(body) + len(self._app_id_bytes)
        pad = _PADS[BLOCK_SIZE - size % BLOCK_SIZE]
        plain = b"".join((prefix, _LENGTH.pack(len(body)), body, self._app_id_bytes, pad))
        encryptor = self._cipher.encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, encrypted_b64: str | bytes) -> str:
        """Decrypt the base64 ``Encrypt`` value and return the message it holds.

        Tries the current key, then the previous one. Raises
        :class:`~django_wechat.exceptions.InvalidAppId` when the message is for another
        account and :class:`~django_wechat.exceptions.DecryptError` for anything else
        that is wrong (bad base64, length, padding or key).
        """
        return self._decrypt_any(encrypted_b64)[0]

    def _decrypt_any(self, encrypted_b64: str | bytes) -> tuple[str, WeChatCrypto]:
        try:
            data = base64.b64decode(encrypted_b64, validate=True)
        except (binascii.Error, ValueError):
            raise DecryptError(_("The encrypted message is not valid base64.")) from None
        try:
            return self._decrypt_bytes(data), self
        except DecryptError:
            if self._previous is None:
                raise
            try:
                return self._previous._decrypt_bytes(data), self._previous
            except DecryptError:
                pass
            raise

    def _decrypt_bytes(self, data: bytes) -> str:
        if not data or len(data) % 16:
            raise DecryptError(
                _("The encrypted message is %(size)d bytes, not a whole number of AES blocks.")
                % {"size": len(data)}
            )
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        # A wrong key decrypts to noise, which almost never ends in valid padding.
        if not 1 <= pad <= BLOCK_SIZE or not plain.endswith(_PADS[pad]):
            raise DecryptError(
                _("The message has invalid padding: wrong EncodingAESKey or corrupted data.")
            )
        end = len(plain) - pad
        if end < 20:
            raise DecryptError(_("The decrypted message is too short."))
        # The 16-byte prefix is opaque random bytes, never text (PROTOCOL.md D4).
        (size,) = _LENGTH.unpack_from(plain, 16)
        if 20 + size > end:
            raise DecryptError(_("The decrypted message's length points past its end."))
        app_id = plain[20 + size : end]
        if app_id != self._app_id_bytes:
            # Checked, unlike some SDKs (PROTOCOL.md D5): a message for another account.
            raise InvalidAppId(
                _("The message is for AppID %(got)r, not this account's %(app_id)r.")
                % {"got": app_id.decode("utf-8", "replace"), "app_id": self.app_id}
            )
        try:
            return plain[20 : 20 + size].decode()
        except UnicodeDecodeError:
            raise DecryptError(_("The decrypted message is not UTF-8.")) from None

    # --- the callback envelope ----------------------------------------------------------

    def decrypt_envelope(
        self, xml: str | bytes, msg_signature: str, timestamp: str, nonce: str
    ) -> Decrypted:
        """Verify and decrypt a callback body; return the plaintext and the key's crypto.

        ``msg_signature`` is checked over the body's ``Encrypt`` value before anything is
        decrypted (PROTOCOL.md D6).
        """
        encrypted = wxml.parse(xml).get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise DecryptError(_("The request body has no Encrypt element."))
        if not _same(make_signature(self.token, timestamp, nonce, encrypted), msg_signature or ""):
            raise InvalidSignature(
                _("The request's msg_signature does not match its Encrypt element.")
            )
        text, crypto = self._decrypt_any(encrypted)
        return Decrypted(text, crypto)

    def decrypt_message(
        self, xml: str | bytes, msg_signature: str, timestamp: str, nonce: str
    ) -> str:
        """Verify and decrypt a callback body (as wechatpy's method of the same name).

        Returns the plaintext message XML.
        """
        return self.decrypt_envelope(xml, msg_signature, timestamp, nonce).xml

    def encrypt_message(
        self, reply_xml: str, nonce: str, timestamp: str | int | None = None
    ) -> str:
        """Encrypt a reply and wrap it in WeChat's signed envelope.

        Returns ``<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>``; the
        timestamp defaults to now. ``success`` and empty replies need no encryption
        (message-push.html), so callers send those as they are.
        """
        stamp = str(int(time.time()) if timestamp is None else int(timestamp))
        encrypted = self.encrypt(reply_xml)
        return _ENVELOPE.format(
            encrypt=encrypted,
            signature=make_signature(self.token, stamp, nonce, encrypted),
            timestamp=stamp,
            nonce=wxml.escape_cdata(nonce),
        )
