"""A bounded fuzz run of what reads WeChat's input: :func:`django_wechat.xml.parse`,
:func:`~django_wechat.messages.parse_message` with every attribute of the resulting
object read (every typed class), and :meth:`~django_wechat.crypto.WeChatCrypto.decrypt_envelope`
with mutated envelopes that are re-signed, so the mutation reaches the decryption.

Whatever the input, the only exceptions allowed out are django_wechat's own
(:class:`~django_wechat.exceptions.WeChatError`). The example budget is fixed and the
runs are derandomized, so CI sees the same inputs every time, in a few seconds.
"""

from __future__ import annotations

import base64
import functools
import os
import struct
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_wechat import messages as m
from django_wechat import xml as wxml
from django_wechat.crypto import WeChatCrypto, make_signature
from django_wechat.exceptions import WeChatError
from tests.settings import AES_KEY

TOKEN, APP_ID = "spamtest", "wx2c2769f8efd9abc2"

FUZZ = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def ours(action: Callable[[], Any]) -> Any:
    """``action()``; None when it raised one of ours, and any other exception fails."""
    try:
        return action()
    except WeChatError:
        return None


# --- what the values may be ----------------------------------------------------------------

# Numbers as WeChat sends them, and as it never does: other digits, signs, exponents,
# out of any range.
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        [
            "²",
            "-²",
            "١٢٣",
            "1_000",
            " 7 ",
            "+3",
            "1e999",
            "nan",
            "-inf",
            "0x10",
            "9" * 30,
            "9" * 5000,
            "253402300800",
            "-62135596801",
            "0.5",
            "",
        ]
    ),
)
TEXT = st.one_of(NUMBERS, st.text(max_size=40), st.text(alphabet="<>&]\x00\x0b\r\n", max_size=8))


def _tags() -> list[str]:
    """Every field name a message class reads, and the names inside its nested fields."""
    names = {
        "ToUserName",
        "FromUserName",
        "CreateTime",
        "MsgType",
        "MsgId",
        "MsgID",
        "Event",
        "EventKey",
        "Count",
        "PicList",
        "item",
        "PicMd5Sum",
        "ScanType",
        "ScanResult",
        "Location_X",
        "Location_Y",
        "Scale",
        "Label",
        "Poiname",
        "publish_id",
        "publish_status",
        "article_id",
        "article_detail",
        "article_url",
        "List",
        "TemplateId",
        "SubscribeStatusString",
        "Uuid",
        "Major",
        "Minor",
        "Distance",
        "AroundBeacon",
        "Content",
        "Encrypt",
    }
    classes = [*m.MESSAGE_TYPES.values(), *m.EVENT_TYPES.values(), *m.DEVICE_EVENT_TYPES.values()]
    for cls in classes:
        for klass in cls.__mro__:
            for value in vars(klass).values():
                if isinstance(value, m.AnyStrField):
                    names.update(value.tags)
                elif isinstance(value, m.Field):
                    names.add(value.tag)
            container = vars(klass).get("container")
            if isinstance(container, str) and container:
                names.add(container)
    return sorted(names)


TAGS = _tags()
FIELDS = [tag for tag in TAGS if tag not in ("MsgType", "Event", "CreateTime")]
# The fields that hold text; the others (containers) hold nested fields.
CONTAINERS = {
    "ScanCodeInfo",
    "SendPicsInfo",
    "SendLocationInfo",
    "PublishEventInfo",
    "ChosenBeacon",
    "AroundBeacons",
    "PicList",
    "article_detail",
}
FLAT = [tag for tag in TAGS if tag not in CONTAINERS and not tag.endswith("Event")]
VALUES = st.recursive(
    TEXT,
    lambda children: st.one_of(
        st.dictionaries(st.sampled_from(TAGS), children, max_size=4),
        st.lists(children, min_size=2, max_size=3),
    ),
    max_leaves=12,
)
# Each (MsgType, Event) a class stands for, and a few nobody knows.
KINDS = (
    [(t, None) for t in m.MESSAGE_TYPES]
    + [("event", e) for e in m.EVENT_TYPES]
    + [("event", "subscribe")] * 3
    + [("device_event", e.removeprefix("device_")) for e in m.DEVICE_EVENT_TYPES]
    + [("unknown", None), ("event", "unknown"), ("device_event", None)]
)


@st.composite
def raw_messages(draw: st.DrawFn) -> dict[str, Any]:
    """A parsed message: a known type (or not), any of the fields, values of any shape."""
    msg_type, event = draw(st.sampled_from(KINDS))
    raw: dict[str, Any] = draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=10))
    raw["MsgType"] = msg_type
    if event is not None:
        raw["Event"] = event
    if event == "subscribe" and draw(st.booleans()):
        prefix = draw(st.sampled_from(["qrscene_", "scanbarcode|", "scanimage|"]))
        raw["EventKey"] = prefix + draw(TEXT)
    raw["CreateTime"] = draw(st.one_of(st.integers(1, 2**31).map(str), NUMBERS))
    return raw


def read_everything(message: m.BaseMessage) -> None:
    """Read every public attribute of ``message``, each of ours allowed to refuse."""
    for name in dir(type(message)):
        if not name.startswith("_"):
            ours(functools.partial(getattr, message, name))
    repr(message)


def _render(value: Any) -> str:
    # Our own renderer refuses what XML cannot carry; this one writes it anyway.
    if isinstance(value, dict):
        return "".join(f"<{k}>{_render(v)}</{k}>" for k, v in value.items())
    if isinstance(value, list):
        return "".join(_render(v) for v in value)
    return f"<![CDATA[{value}]]>" if len(value) % 2 else value


# --- xml.parse ---------------------------------------------------------------------------


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300),
        raw_messages().map(lambda raw: "<xml>" + _render(raw) + "</xml>"),
        st.builds(
            lambda head, body, tail: head + body + tail,
            st.sampled_from(["", "<?xml version='1.0'?>", "\ufeff", "<!--c-->", "<!DOCTYPE x>"]),
            raw_messages().map(lambda raw: "<xml>" + _render(raw) + "</xml>"),
            st.sampled_from(["", " ", "<x/>", "&e;", "]]>", "\x00", "<?pi?>"]),
        ),
    )
)
def test_xml_parse_raises_only_ours(data: str | bytes) -> None:
    parsed = ours(lambda: wxml.parse(data))
    assert parsed is None or isinstance(parsed, dict)
    if parsed is not None:
        message = ours(lambda: m.parse_message(parsed))
        if message is not None:
            read_everything(message)


# --- parse_message, every attribute --------------------------------------------------------


@FUZZ
@given(raw_messages())
def test_parse_message_and_every_attribute_raise_only_ours(raw: dict[str, Any]) -> None:
    message = ours(lambda: m.parse_message(raw))
    if message is not None:
        read_everything(message)
    # The same fields through the XML a callback carries (when XML can carry them).
    text = ours(lambda: wxml.render(raw))
    if text is not None:
        from_xml = ours(lambda: m.parse_message(text))
        if from_xml is not None:
            read_everything(from_xml)


HOSTILE: list[Any] = ["²", "-²", "9" * 30, "253402300800", "1e999", "nan", "", "x", {}, ["1", "2"]]


def test_every_class_reads_every_field_of_each_hostile_shape() -> None:
    """Beside the random run, a sweep that reaches every class for sure: each kind of
    message with every field (and every nested field) set to each hostile value."""
    seen: set[type[m.BaseMessage]] = set()
    for msg_type, event in KINDS:
        for value in HOSTILE:
            nested = dict.fromkeys(TAGS, value)
            nested["PicList"] = nested["article_detail"] = {"item": [dict(nested), value]}
            raw: dict[str, Any] = {tag: dict(nested) for tag in TAGS}
            raw.update({tag: value for tag in TAGS if tag in FLAT})
            raw.update(MsgType=msg_type, CreateTime="1700000000")
            if event is not None:
                raw["Event"] = event
            message = m.parse_message(raw)
            seen.add(type(message))
            read_everything(message)
    classes = {*m.MESSAGE_TYPES.values(), *m.EVENT_TYPES.values(), *m.DEVICE_EVENT_TYPES.values()}
    assert classes | {m.UnknownEvent, m.UnknownMessage} <= seen


# --- decrypt_envelope, mutated and re-signed -----------------------------------------------

CRYPTO = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
KEY = base64.b64decode(AES_KEY + "=")


def _aes(plain: bytes) -> str:
    encryptor = Cipher(algorithms.AES(KEY), modes.CBC(KEY[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


@st.composite
def plaintexts(draw: st.DrawFn) -> bytes:
    """WeChat's plaintext layout with any part wrong: the length, the message, the AppID,
    the padding; always whole AES blocks, so decryption reaches the checks."""
    body = draw(
        st.one_of(
            raw_messages().map(
                lambda raw: ("<xml>" + _render(raw) + "</xml>").encode("utf-8", "surrogatepass")
            ),
            st.binary(max_size=64),
        )
    )
    length = draw(st.one_of(st.just(len(body)), st.integers(0, 2**32 - 1)))
    app_id = draw(st.sampled_from([APP_ID.encode(), b"", b"wx0000000000000002", b"\xff\xfe"]))
    plain = os.urandom(16) + struct.pack(">I", length) + body + app_id
    pad = 32 - len(plain) % 32
    padding = draw(st.one_of(st.just(bytes([pad]) * pad), st.binary(min_size=pad, max_size=pad)))
    plain += padding
    if draw(st.booleans()):
        plain = plain[: draw(st.integers(0, len(plain) // 16)) * 16]
    return plain


ENCRYPTED = st.one_of(
    plaintexts().map(_aes),
    st.text(max_size=80),
    st.text(alphabet="ABCDEFabcdef0123456789+/=", max_size=90),
)


@FUZZ
@given(
    encrypted=ENCRYPTED,
    # None too: a query value that was not sent, passed on as request.GET.get() gives it.
    timestamp=st.one_of(st.integers(0, 2**40).map(str), TEXT, st.none()),
    nonce=st.one_of(st.integers(0, 10**10).map(str), TEXT, st.none()),
    resign=st.booleans(),
    shape=st.sampled_from(["safe", "compatible", "bytes", "junk"]),
)
def test_decrypt_envelope_of_mutated_envelopes_raises_only_ours(
    encrypted: str, timestamp: str | None, nonce: str | None, resign: bool, shape: str
) -> None:
    envelope = {"ToUserName": "gh_1", "Encrypt": encrypted}
    if shape == "compatible":
        envelope = {"ToUserName": "gh_1", "MsgType": "text", "Content": "x", **envelope}
    body: str | bytes = ours(lambda: wxml.render(envelope)) or f"<xml>{encrypted}</xml>"
    if shape == "bytes":
        body = body.encode("utf-8", "surrogatepass")
    elif shape == "junk":
        body = body[: len(body) // 2]
    signature = "0" * 40
    if resign and timestamp is not None and nonce is not None:
        signature = make_signature(TOKEN, timestamp, nonce, encrypted)
    decrypted = ours(lambda: CRYPTO.decrypt_envelope(body, signature, timestamp, nonce))  # type: ignore[arg-type]
    if decrypted is not None:
        message = ours(lambda: m.parse_message(decrypted.xml))
        if message is not None:
            read_everything(message)


def test_the_envelope_fuzz_reaches_a_decrypted_message() -> None:
    """Re-signing is what lets a mutation reach the decryption: a sound one decrypts."""
    raw = {"ToUserName": "gh_1", "FromUserName": "o-1", "CreateTime": "1", "MsgType": "text"}
    body = wxml.render(raw).encode()
    plain = os.urandom(16) + struct.pack(">I", len(body)) + body + APP_ID.encode()
    pad = 32 - len(plain) % 32
    encrypted = _aes(plain + bytes([pad]) * pad)
    envelope = wxml.render({"ToUserName": "gh_1", "Encrypt": encrypted})
    signature = make_signature(TOKEN, "1", "2", encrypted)
    assert CRYPTO.decrypt_envelope(envelope, signature, "1", "2").xml == body.decode()
