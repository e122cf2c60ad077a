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
import functools
import hashlib
import hmac
import os
import struct
import threading
import time
from typing import NamedTuple

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from . import xml as wxml
from ._i18n import gettext as _
from .conf import AES_KEY_RE, Account
from .exceptions import DecryptError, ImproperlyConfigured, InvalidAppId, InvalidSignature

__all__ = [
    "Decrypted",
    "WeChatCrypto",
    "check_signature",
    "make_signature",
]

# WeChat pads to 32-byte blocks, not AES's 16 (PROTOCOL.md D1).
BLOCK_SIZE = 32
_PADS = [bytes([n]) * n for n in range(BLOCK_SIZE + 1)]
_LENGTH = struct.Struct(">I")


def make_signature(*parts: str) -> str:
    """SHA-1 hex digest of ``parts`` sorted as strings and joined without a separator.

    Sorting is lexicographic, not numeric (PROTOCOL.md D6): ``"1514711492"`` sorts before
    ``"AAAAA"``, and ``"10"`` before ``"9"``.
    """
    # surrogatepass: a lone surrogate (never in a request) signs to a digest that matches
    # nothing, rather than raising.
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8", "surrogatepass")).hexdigest()


def _signed(given: object, *parts: object) -> bool:
    """True when ``given`` is the signature of ``parts``; False for anything that is not a
    string (a missing query value passed on as None), in constant time otherwise."""
    if not isinstance(given, str) or not all(isinstance(part, str) for part in parts):
        return False
    expected = make_signature(*parts)  # type: ignore[arg-type]  # all str, checked above
    # compare_digest on str refuses non-ASCII; bytes keep it constant-time for any input.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> None:
    """Check the ``signature`` WeChat puts on every callback URL.

    Raises :class:`~django_wechat.exceptions.InvalidSignature` (a
    ``SuspiciousOperation``) when it does not match, or when a value is missing (None);
    the comparison takes constant time.
    """
    if not _signed(signature, token, timestamp, nonce):
        raise InvalidSignature(_("The request's signature does not match the account's token."))


def _decode_aes_key(encoding_aes_key: str, setting: str) -> bytes:
    if not isinstance(encoding_aes_key, str) or not AES_KEY_RE.fullmatch(encoding_aes_key):
        # Never echo the key itself: it is a secret.
        raise ImproperlyConfigured(
            _("%(setting)s must be exactly 43 letters and digits.") % {"setting": setting}
        )
    # base64 of 32 bytes is 44 characters with one "="; WeChat drops it (PROTOCOL.md D2).
    return base64.b64decode(encoding_aes_key + "=")


class _CBC(threading.local):
    """AES-256-CBC with WeChat's fixed IV, reusing one cipher context per thread.

    Making a context costs more than encrypting a message, so each thread keeps one
    encryptor and one decryptor and never finalises them. Such a context continues the
    chain from the last ciphertext block it handled instead of from the IV, which
    changes only the first plaintext block of the next message -- and in WeChat's format
    that block is the 16 random bytes nobody reads:

    - decrypting, the first 16 bytes come out wrong and are never looked at (the checks
      in ``_decrypt_bytes`` read only bytes 16 and on, so their outcome cannot depend on
      earlier traffic);
    - encrypting a fresh random prefix P, the receiver reads P ^ chain ^ IV instead:
      just as random, since P is independent of the chain. A caller-chosen prefix (the
      fixed test vectors) takes a fresh context instead, so it comes out exact.

    Inputs are always whole blocks, so nothing is ever buffered inside a context and an
    exception can never leave one half-way through a block. No state besides the
    contexts is kept. ``threading.local`` re-runs ``__init__`` with the same key in each
    thread that uses the object, so each thread has its own pair.
    """

    def __init__(self, key: bytes) -> None:
        self.cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))
        self.encryptor = self.cipher.encryptor()
        self.decryptor = self.cipher.decryptor()

    def encrypt_from_iv(self, plain: bytes) -> bytes:
        """Encrypt ``plain`` from the IV, exactly as a fresh context would."""
        encryptor = self.cipher.encryptor()
        return encryptor.update(plain) + encryptor.finalize()


class Decrypted(NamedTuple):
    """The result of :meth:`WeChatCrypto.decrypt_envelope`: ``(xml, crypto)``.

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

    __slots__ = ("_app_id_bytes", "_cbc", "_previous", "app_id", "token")

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
        self._cbc = _CBC(key)
        self._previous: WeChatCrypto | None = None
        if previous_encoding_aes_key:
            _decode_aes_key(previous_encoding_aes_key, "PREVIOUS_ENCODING_AES_KEY")
            self._previous = WeChatCrypto(token, previous_encoding_aes_key, app_id)

    @classmethod
    def from_account(cls, account: Account) -> WeChatCrypto:
        """The crypto for a configured :class:`~django_wechat.conf.Account`.

        Instances are cached per set of credentials and shared (they are thread-safe),
        so calling this on every request costs a dictionary lookup.
        """
        if not account.encoding_aes_key:
            raise ImproperlyConfigured(
                _("The WeChat account %(name)r has no ENCODING_AES_KEY.") % {"name": account.name}
            )
        credentials = (
            account.token,
            account.encoding_aes_key,
            account.app_id,
            account.previous_encoding_aes_key,
        )
        if cls is not WeChatCrypto:
            return cls(*credentials)
        return _cached(*credentials)

    def __repr__(self) -> str:
        return f"<WeChatCrypto app_id={self.app_id!r}>"

    # --- the AES layer ------------------------------------------------------------------

    def encrypt(self, text: str, *, prefix: bytes | None = None) -> str:
        """Encrypt ``text`` for this account and return it base64-encoded.

        ``prefix`` replaces the 16 random bytes WeChat's format starts with; only tests
        with fixed vectors need it.
        """
        body = text.encode()
        app_id = self._app_id_bytes
        pad = _PADS[BLOCK_SIZE - (20 + len(body) + len(app_id)) % BLOCK_SIZE]
        if prefix is None:
            plain = b"".join((os.urandom(16), _LENGTH.pack(len(body)), body, app_id, pad))
            out = self._cbc.encryptor.update(plain)
        elif len(prefix) != 16:
            raise ValueError("prefix must be 16 bytes")
        else:
            plain = b"".join((prefix, _LENGTH.pack(len(body)), body, app_id, pad))
            out = self._cbc.encrypt_from_iv(plain)
        return binascii.b2a_base64(out, newline=False).decode("ascii")

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
            # strict_mode: only the base64 alphabet, correct padding, nothing after it.
            data = binascii.a2b_base64(encrypted_b64, strict_mode=True)
        except (binascii.Error, ValueError, TypeError):
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
        size = len(data)
        if not size or size % 16:
            raise DecryptError(
                _("The encrypted message is %(size)d bytes, not a whole number of AES blocks.")
                % {"size": size}
            )
        if size < BLOCK_SIZE:
            # The shortest message (prefix, length, a one-byte AppID, padding) fills 32
            # bytes; a single block would put the padding in the unread first block.
            raise DecryptError(_("The decrypted message is too short."))
        # The first block (the random prefix) comes out wrong and is never read: see _CBC.
        # Every check below reads bytes 16 and on only, so a message is accepted or
        # refused (and with which error) whatever the context decrypted before.
        plain = self._cbc.decryptor.update(data)
        pad = plain[-1]
        end = size - pad
        # A wrong key decrypts to noise, which almost never ends in valid padding. The
        # padding is only read when it starts at byte 20 or later (else: too short).
        if not 1 <= pad <= BLOCK_SIZE or (end >= 20 and not plain.endswith(_PADS[pad])):
            raise DecryptError(
                _("The message has invalid padding: wrong EncodingAESKey or corrupted data.")
            )
        if end < 20:
            raise DecryptError(_("The decrypted message is too short."))
        # The 16-byte prefix is opaque random bytes, never text (PROTOCOL.md D4).
        (length,) = _LENGTH.unpack_from(plain, 16)
        if 20 + length > end:
            raise DecryptError(_("The decrypted message's length points past its end."))
        app_id = plain[20 + length : end]
        if app_id != self._app_id_bytes:
            # Checked, unlike some SDKs (PROTOCOL.md D5): a message for another account.
            raise InvalidAppId(
                _("The message is for AppID %(got)r, not this account's %(app_id)r.")
                % {"got": app_id.decode("utf-8", "replace"), "app_id": self.app_id}
            )
        try:
            return plain[20 : 20 + length].decode()
        except UnicodeDecodeError:
            raise DecryptError(_("The decrypted message is not UTF-8.")) from None

    # --- the callback envelope ----------------------------------------------------------

    def decrypt_envelope(
        self, xml: str | bytes, msg_signature: str, timestamp: str, nonce: str
    ) -> Decrypted:
        """Verify and decrypt a callback body; return the plaintext and the key's crypto.

        ``msg_signature`` is checked over the body's ``Encrypt`` value before anything is
        decrypted (PROTOCOL.md D6); a missing (None) signature, timestamp or nonce is
        :class:`~django_wechat.exceptions.InvalidSignature` too.
        """
        encrypted = wxml.encrypt_field(xml)
        if encrypted is None:
            encrypted = wxml.parse(xml).get("Encrypt")
            if not isinstance(encrypted, str) or not encrypted:
                raise DecryptError(_("The request body has no Encrypt element."))
        if not _signed(msg_signature, self.token, timestamp, nonce, encrypted):
            raise InvalidSignature(
                _("The request's msg_signature does not match its Encrypt element.")
            )
        # tuple.__new__ skips NamedTuple's Python-level __new__ on every callback.
        return tuple.__new__(Decrypted, self._decrypt_any(encrypted))

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
        signature = make_signature(self.token, stamp, nonce, encrypted)
        return wxml.render_envelope(encrypted, signature, stamp, nonce)


@functools.lru_cache(maxsize=64)
def _cached(
    token: str, encoding_aes_key: str, app_id: str, previous_encoding_aes_key: str
) -> WeChatCrypto:
    return WeChatCrypto(token, encoding_aes_key, app_id, previous_encoding_aes_key)
