"""Official test vectors (PROTOCOL.md part C) and helpers shared by the protocol tests."""

from __future__ import annotations

import base64
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# C1: Tencent's WXBizMsgCrypt sample.
C1_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
C1_TOKEN = "spamtest"
C1_NONCE = "1320562132"
C1_APP_ID = "wx2c2769f8efd9abc2"
C1_TIMESTAMP = "1409735669"
C1_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
C1_URL_SIGNATURE = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
C1_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6"
    "tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp"
    "3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhv"
    "Ql+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
C1_FROM_XML = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
    "<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
    f"<Encrypt><![CDATA[{C1_ENCRYPT}]]></Encrypt></xml>"
)
C1_PLAINTEXT = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    "<CreateTime>1409735668</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[abcdteT]]></Content>\n"
    "<MsgId>6054768590064713728</MsgId>\n"
    "</xml>"
)
C1_RANDOM = b"89465c840c5f116f"

# C2: WxJava's WxCryptUtilTest (deterministic prefix).
C2_TOKEN = "pamtest"
C2_APP_ID = "wxb11529c136998cb6"
C2_RANDOM = b"aaaabbbbccccdddd"
C2_PLAINTEXT = "我是中文abcd123"
C2_ENCRYPTED = (
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
)

OTHER_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
THIRD_KEY = "0123456789abcdefghijABCDEFGHIJ0123456789abc"


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key, computed independently of django_wechat."""
    return base64.b64decode(encoding_aes_key + "=")


def raw_encrypt(encoding_aes_key: str, plain: bytes) -> str:
    """AES-256-CBC of ``plain`` exactly as given (no padding added), base64-encoded."""
    key = aes_key(encoding_aes_key)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def raw_decrypt(encoding_aes_key: str, encrypted: str) -> bytes:
    """The decrypted bytes of ``encrypted``, padding included."""
    key = aes_key(encoding_aes_key)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    return decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()


def frame(
    message: bytes, app_id: bytes, *, prefix: bytes = b"R" * 16, size: int | None = None
) -> bytes:
    """WeChat's plaintext layout, unpadded: prefix, big-endian length, message, AppID."""
    length = len(message) if size is None else size
    return prefix + struct.pack(">I", length) + message + app_id


def pad32(data: bytes) -> bytes:
    """PKCS#7 to 32-byte blocks, as WeChat pads."""
    n = 32 - len(data) % 32
    return data + bytes([n]) * n
