"""Signatures and message encryption against the official vectors and corrupted inputs."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import SuspiciousOperation
from hypothesis import given, settings
from hypothesis import strategies as st

from django_wechat.conf import get_account
from django_wechat.crypto import WeChatCrypto, check_signature, make_signature
from django_wechat.exceptions import (
    DecryptError,
    ImproperlyConfigured,
    InvalidAppId,
    InvalidSignature,
    XMLError,
)
from django_wechat.xml import parse
from tests.protocol_vectors import (
    C1_APP_ID,
    C1_ENCRYPT,
    C1_FROM_XML,
    C1_KEY,
    C1_MSG_SIGNATURE,
    C1_NONCE,
    C1_PLAINTEXT,
    C1_RANDOM,
    C1_TIMESTAMP,
    C1_TOKEN,
    C1_URL_SIGNATURE,
    C2_APP_ID,
    C2_ENCRYPTED,
    C2_PLAINTEXT,
    C2_RANDOM,
    C2_TOKEN,
    OTHER_KEY,
    THIRD_KEY,
    frame,
    pad32,
    raw_decrypt,
    raw_encrypt,
)


@pytest.fixture
def crypto() -> WeChatCrypto:
    return WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)


# --- signatures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "timestamp", "nonce", "signature"),
    [
        # PROTOCOL.md B1: the official URL-verification and plain POST examples.
        ("AAAAA", "1714036504", "1514711492", "f464b24fc39322e44b38aa78f5edd27bd1441696"),
        ("AAAAA", "1714037059", "486452656", "899cf89e464efb63f54ddac96b0a0a235f53aa78"),
        (C1_TOKEN, C1_TIMESTAMP, C1_NONCE, C1_URL_SIGNATURE),
    ],
)
def test_check_signature_accepts_official_vectors(
    token: str, timestamp: str, nonce: str, signature: str
) -> None:
    check_signature(token, signature, timestamp, nonce)
    assert make_signature(token, timestamp, nonce) == signature


def test_msg_signature_covers_the_encrypt_value() -> None:
    assert make_signature(C1_TOKEN, C1_TIMESTAMP, C1_NONCE, C1_ENCRYPT) == C1_MSG_SIGNATURE


def test_make_signature_sorts_as_strings_not_numbers() -> None:
    # "10" < "9" as strings; a numeric sort would give another digest.
    assert make_signature("9", "10") == make_signature("10", "9")
    import hashlib

    assert make_signature("9", "10") == hashlib.sha1(b"109").hexdigest()


@pytest.mark.parametrize(
    "signature",
    [
        "f464b24fc39322e44b38aa78f5edd27bd1441697",  # last digit off
        "F464B24FC39322E44B38AA78F5EDD27BD1441696",  # upper case is not what WeChat sends
        "",
        "签名",  # non-ASCII: still a clean refusal, not a TypeError
        "\udcff",  # a lone surrogate from a badly decoded query string
    ],
)
def test_check_signature_refuses_mismatch(signature: str) -> None:
    with pytest.raises(InvalidSignature) as info:
        check_signature("AAAAA", signature, "1714036504", "1514711492")
    assert isinstance(info.value, SuspiciousOperation)
    assert "AAAAA" not in str(info.value)


def test_check_signature_refuses_other_token() -> None:
    with pytest.raises(InvalidSignature):
        check_signature(
            "BBBBB", "f464b24fc39322e44b38aa78f5edd27bd1441696", "1714036504", "1514711492"
        )


# --- the official vectors -----------------------------------------------------------------


def test_decrypt_message_c1(crypto: WeChatCrypto) -> None:
    assert (
        crypto.decrypt_message(C1_FROM_XML, C1_MSG_SIGNATURE, C1_TIMESTAMP, C1_NONCE)
        == C1_PLAINTEXT
    )


def test_decrypt_message_accepts_bytes(crypto: WeChatCrypto) -> None:
    body = C1_FROM_XML.encode()
    assert crypto.decrypt_message(body, C1_MSG_SIGNATURE, C1_TIMESTAMP, C1_NONCE) == C1_PLAINTEXT


def test_c1_prefix_is_the_documented_random(crypto: WeChatCrypto) -> None:
    # Re-encrypting with the sample's random prefix gives back the sample's ciphertext.
    assert crypto.encrypt(C1_PLAINTEXT, prefix=C1_RANDOM) == C1_ENCRYPT


def test_encrypt_c2_wxjava_vector() -> None:
    crypto = WeChatCrypto(C2_TOKEN, C1_KEY, C2_APP_ID)
    assert crypto.encrypt(C2_PLAINTEXT, prefix=C2_RANDOM) == C2_ENCRYPTED
    assert crypto.decrypt(C2_ENCRYPTED) == C2_PLAINTEXT


def test_length_is_counted_in_utf8_bytes_and_pad_is_32() -> None:
    crypto = WeChatCrypto(C2_TOKEN, C1_KEY, C2_APP_ID)
    plain = raw_decrypt(C1_KEY, crypto.encrypt(C2_PLAINTEXT, prefix=C2_RANDOM))
    assert plain[16:20] == len(C2_PLAINTEXT.encode()).to_bytes(4, "big")  # 19 bytes, 11 chars
    assert len(plain) % 32 == 0
    # 16 + 4 + 19 + 18 = 57 bytes: 7 bytes of padding to 64.
    assert plain[-7:] == bytes([7]) * 7


def test_block_aligned_message_gets_a_full_block_of_padding() -> None:
    crypto = WeChatCrypto(C2_TOKEN, C1_KEY, C2_APP_ID)
    text = "x" * (64 - 20 - len(C2_APP_ID))  # exactly 64 bytes before padding
    plain = raw_decrypt(C1_KEY, crypto.encrypt(text))
    assert plain[-32:] == bytes([32]) * 32
    assert crypto.decrypt(crypto.encrypt(text)) == text


def test_prefix_is_random_by_default(crypto: WeChatCrypto) -> None:
    first, second = crypto.encrypt("hello"), crypto.encrypt("hello")
    assert first != second
    # As a fresh, independent decryption sees them: different random prefixes.
    assert raw_decrypt(C1_KEY, first)[:16] != raw_decrypt(C1_KEY, second)[:16]
    assert raw_decrypt(C1_KEY, first)[16:] == raw_decrypt(C1_KEY, second)[16:]


def test_vectors_hold_after_other_traffic(crypto: WeChatCrypto) -> None:
    """The reused cipher context starts each message from the IV, whatever came before."""
    for i in range(5):
        crypto.decrypt(crypto.encrypt("warm-up " * i))
        crypto.decrypt(C1_ENCRYPT)
        assert crypto.encrypt(C1_PLAINTEXT, prefix=C1_RANDOM) == C1_ENCRYPT
        assert crypto.decrypt(C1_ENCRYPT) == C1_PLAINTEXT


# --- envelopes ----------------------------------------------------------------------------


def test_encrypt_message_envelope_is_signed_and_decryptable(crypto: WeChatCrypto) -> None:
    envelope = crypto.encrypt_message(
        "<xml><Content><![CDATA[你好]]></Content></xml>", "n0nce", 1409735670
    )
    fields = parse(envelope)
    assert set(fields) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert fields["TimeStamp"] == "1409735670"
    assert fields["Nonce"] == "n0nce"
    assert fields["MsgSignature"] == make_signature(
        C1_TOKEN, "1409735670", "n0nce", fields["Encrypt"]
    )
    assert crypto.decrypt_message(envelope, fields["MsgSignature"], "1409735670", "n0nce") == (
        "<xml><Content><![CDATA[你好]]></Content></xml>"
    )


def test_encrypt_message_defaults_timestamp_to_now(crypto: WeChatCrypto) -> None:
    import time

    before = int(time.time())
    stamp = int(parse(crypto.encrypt_message("<xml/>", "1"))["TimeStamp"])
    assert before <= stamp <= int(time.time())


def test_decrypt_message_refuses_wrong_msg_signature(crypto: WeChatCrypto) -> None:
    with pytest.raises(InvalidSignature):
        crypto.decrypt_message(C1_FROM_XML, C1_MSG_SIGNATURE, C1_TIMESTAMP, "1320562133")
    with pytest.raises(InvalidSignature):
        # The URL signature is not the body's signature (message-push.html: 不要使用signature验证).
        crypto.decrypt_message(C1_FROM_XML, C1_URL_SIGNATURE, C1_TIMESTAMP, C1_NONCE)


def test_decrypt_message_without_encrypt_element(crypto: WeChatCrypto) -> None:
    with pytest.raises(DecryptError, match="no Encrypt"):
        crypto.decrypt_message("<xml><ToUserName>x</ToUserName></xml>", "x", "1", "2")


@settings(max_examples=150, deadline=None)
@given(text=st.text(), nonce=st.text(alphabet="0123456789abcdef", min_size=1, max_size=16))
def test_random_unicode_round_trips_through_the_envelope(text: str, nonce: str) -> None:
    crypto = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    envelope = crypto.encrypt_message(text, nonce, 1700000000)
    signature = parse(envelope)["MsgSignature"]
    assert crypto.decrypt_message(envelope, signature, "1700000000", nonce) == text


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_random_unicode_round_trips_through_aes(text: str) -> None:
    crypto = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    encrypted = crypto.encrypt(text)
    assert len(base64.b64decode(encrypted)) % 32 == 0
    assert crypto.decrypt(encrypted) == text


# --- corruptions: every one a DecryptError, never an IndexError -------------------------


def _corrupt(plain: bytes, key: str = C1_KEY) -> str:
    return raw_encrypt(key, plain)


MESSAGE = b"<xml><Content><![CDATA[hi]]></Content></xml>"
APP_ID = C1_APP_ID.encode()

CORRUPTIONS = {
    "not base64": "this is not base64!",
    "base64 with junk": C1_ENCRYPT[:40] + "$" + C1_ENCRYPT[41:],
    "truncated base64": C1_ENCRYPT[:-3],
    "empty": "",
    "not whole blocks": base64.b64encode(b"x" * 40).decode(),
    "one block only": _corrupt(b"\x10" * 16),
    "pad byte zero": _corrupt(
        frame(MESSAGE, APP_ID) + b"\x00" * (64 - len(frame(MESSAGE, APP_ID)) % 32)
    ),
    "pad byte above 32": _corrupt(pad32(frame(MESSAGE, APP_ID))[:-1] + b"\x21"),
    "inconsistent pad bytes": _corrupt(pad32(frame(MESSAGE, APP_ID))[:-2] + b"\x01\x02"),
    "length past the end": _corrupt(pad32(frame(MESSAGE, APP_ID, size=10_000))),
    "length 0xFFFFFFFF": _corrupt(pad32(frame(MESSAGE, APP_ID, size=0xFFFFFFFF))),
    "shorter than the header": _corrupt(pad32(b"R" * 18)),
    "not utf-8": _corrupt(pad32(frame(b"\xff\xfe\xfa", APP_ID))),
    "wrong key": WeChatCrypto(C1_TOKEN, OTHER_KEY, C1_APP_ID).encrypt("hello", prefix=b"P" * 16),
    "flipped ciphertext bit": base64.b64encode(
        bytes([base64.b64decode(C1_ENCRYPT)[0] ^ 1]) + base64.b64decode(C1_ENCRYPT)[1:]
    ).decode(),
    "last block garbled": base64.b64encode(
        base64.b64decode(C1_ENCRYPT)[:-16] + b"\0" * 16
    ).decode(),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corrupted_ciphertext_is_a_decrypt_error(crypto: WeChatCrypto, name: str) -> None:
    with pytest.raises(DecryptError) as info:
        crypto.decrypt(CORRUPTIONS[name])
    assert C1_KEY not in str(info.value)
    assert isinstance(info.value, SuspiciousOperation)


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corrupted_envelope_is_a_decrypt_error(crypto: WeChatCrypto, name: str) -> None:
    encrypted = CORRUPTIONS[name]
    body = (
        "<xml><ToUserName><![CDATA[gh]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    signature = make_signature(C1_TOKEN, "1", "2", encrypted)
    with pytest.raises(DecryptError):
        crypto.decrypt_message(body, signature, "1", "2")


def test_wrong_app_id_is_invalid_app_id(crypto: WeChatCrypto) -> None:
    other = WeChatCrypto(C1_TOKEN, C1_KEY, "wx0000000000000009")
    with pytest.raises(InvalidAppId, match="wx0000000000000009"):
        crypto.decrypt(other.encrypt("<xml/>"))


def test_empty_message_is_fine(crypto: WeChatCrypto) -> None:
    assert crypto.decrypt(crypto.encrypt("")) == ""


# --- keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["", "short", C1_KEY + "=", C1_KEY[:-1] + "!", C1_KEY[:-1] + "é", C1_KEY + "A"],
)
def test_bad_key_is_a_configuration_error_without_the_key(key: str) -> None:
    with pytest.raises(ImproperlyConfigured) as info:
        WeChatCrypto(C1_TOKEN, key, C1_APP_ID)
    assert "ENCODING_AES_KEY" in str(info.value)
    if key:
        assert key not in str(info.value)


def test_repr_hides_token_and_keys() -> None:
    crypto = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID, previous_encoding_aes_key=OTHER_KEY)
    text = repr(crypto)
    assert C1_APP_ID in text
    for secret in (C1_TOKEN, C1_KEY, OTHER_KEY):
        assert secret not in text


def test_from_account_uses_settings() -> None:
    crypto = WeChatCrypto.from_account(get_account("default"))
    assert (
        crypto.decrypt_message(C1_FROM_XML, C1_MSG_SIGNATURE, C1_TIMESTAMP, C1_NONCE)
        == C1_PLAINTEXT
    )


def test_from_account_is_cached_per_credentials(settings: pytest.FixtureRequest) -> None:
    first = WeChatCrypto.from_account(get_account("default"))
    assert WeChatCrypto.from_account(get_account("default")) is first
    settings.WECHAT = {
        **settings.WECHAT,
        "ACCOUNTS": {
            **settings.WECHAT["ACCOUNTS"],
            "default": {**settings.WECHAT["ACCOUNTS"]["default"], "ENCODING_AES_KEY": OTHER_KEY},
        },
    }
    changed = WeChatCrypto.from_account(get_account("default"))
    assert changed is not first
    with pytest.raises(DecryptError):
        changed.decrypt(C1_ENCRYPT)


def test_from_account_without_key() -> None:
    with pytest.raises(ImproperlyConfigured, match="plain"):
        WeChatCrypto.from_account(get_account("plain"))


# --- key rotation -------------------------------------------------------------------------


def _envelope_for(crypto: WeChatCrypto, text: str) -> tuple[str, str]:
    envelope = crypto.encrypt_message(text, "nonce", 1700000000)
    return envelope, parse(envelope)["MsgSignature"]


def test_rotation_decrypts_with_previous_key_and_replies_with_it() -> None:
    old = WeChatCrypto(C1_TOKEN, OTHER_KEY, C1_APP_ID)
    new_only = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    rotating = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID, previous_encoding_aes_key=OTHER_KEY)

    envelope, signature = _envelope_for(old, "<xml>旧</xml>")
    with pytest.raises(DecryptError):
        new_only.decrypt_message(envelope, signature, "1700000000", "nonce")
    result = rotating.decrypt_envelope(envelope, signature, "1700000000", "nonce")
    assert result.xml == "<xml>旧</xml>"

    # The reply goes out under the key that worked: the old one.
    reply, reply_signature = _envelope_for(result.crypto, "<xml>reply</xml>")
    assert old.decrypt_message(reply, reply_signature, "1700000000", "nonce") == "<xml>reply</xml>"
    with pytest.raises(DecryptError):
        new_only.decrypt_message(reply, reply_signature, "1700000000", "nonce")


def test_rotation_prefers_the_current_key() -> None:
    rotating = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID, previous_encoding_aes_key=OTHER_KEY)
    envelope, signature = _envelope_for(WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID), "<xml>新</xml>")
    result = rotating.decrypt_envelope(envelope, signature, "1700000000", "nonce")
    assert result.xml == "<xml>新</xml>"
    assert result.crypto is rotating
    # The current key's reply decrypts with the current key alone.
    reply, reply_signature = _envelope_for(result.crypto, "<xml>r</xml>")
    assert (
        WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID).decrypt_message(
            reply, reply_signature, "1700000000", "nonce"
        )
        == "<xml>r</xml>"
    )


def test_rotation_with_neither_key_fails() -> None:
    rotating = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID, previous_encoding_aes_key=OTHER_KEY)
    envelope, signature = _envelope_for(WeChatCrypto(C1_TOKEN, THIRD_KEY, C1_APP_ID), "<xml/>")
    with pytest.raises(DecryptError):
        rotating.decrypt_message(envelope, signature, "1700000000", "nonce")


def test_rotation_keeps_invalid_app_id_for_the_current_key() -> None:
    rotating = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID, previous_encoding_aes_key=OTHER_KEY)
    with pytest.raises(InvalidAppId):
        rotating.decrypt(WeChatCrypto(C1_TOKEN, C1_KEY, "wxother").encrypt("<xml/>"))


def test_from_account_with_previous_key(settings: pytest.FixtureRequest) -> None:
    settings.WECHAT = {
        "ACCOUNTS": {
            "default": {
                "APP_ID": C1_APP_ID,
                "APP_SECRET": "s",
                "TOKEN": C1_TOKEN,
                "ENCODING_AES_KEY": THIRD_KEY,
                "PREVIOUS_ENCODING_AES_KEY": C1_KEY,
            }
        }
    }
    crypto = WeChatCrypto.from_account(get_account("default"))
    result = crypto.decrypt_envelope(C1_FROM_XML, C1_MSG_SIGNATURE, C1_TIMESTAMP, C1_NONCE)
    assert result.xml == C1_PLAINTEXT
    assert result.crypto is not crypto


def test_threads_share_a_crypto_safely() -> None:
    """Each thread chains its own cipher context; interleaved use stays correct."""
    from tests.protocol_vectors import raw_decrypt, run_in_threads

    crypto = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    errors: list[str] = []

    def work(n: int) -> None:
        for i in range(300):
            text = f"<xml>线程 {n} 消息 {i} " + "x" * (i % 40) + "</xml>"
            encrypted = crypto.encrypt(text)
            # An independent decryption (a fresh context) sees a well-formed message...
            plain = raw_decrypt(C1_KEY, encrypted)
            if text.encode() not in plain:
                errors.append(f"encrypt {n}/{i}")
            # ...and ours reads it back.
            if crypto.decrypt(encrypted) != text:
                errors.append(f"decrypt {n}/{i}")

    run_in_threads(work)
    assert errors == []


def test_a_failed_decryption_does_not_disturb_the_next() -> None:
    crypto = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    for name, encrypted in CORRUPTIONS.items():
        with pytest.raises(DecryptError):
            crypto.decrypt(encrypted)
        assert crypto.decrypt(C1_ENCRYPT) == C1_PLAINTEXT, name
        assert crypto.decrypt(crypto.encrypt("ok")) == "ok", name


# --- the reused cipher contexts (see crypto._CBC) -----------------------------------------


def test_refusal_does_not_depend_on_earlier_traffic() -> None:
    """A one-message-long forgery is refused with the same error, whatever came before.

    The reused decryptor gets the first block wrong; a check reading that block (here a
    32-byte padding run covering the whole message) would answer differently after
    other traffic than on a fresh context.
    """
    forged = raw_encrypt(C1_KEY, b"\x20" * 32)
    fresh = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    with pytest.raises(DecryptError) as first:
        fresh.decrypt(forged)
    used = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    for _ in range(3):
        used.decrypt(used.encrypt("warm-up"))
        with pytest.raises(DecryptError) as again:
            used.decrypt(forged)
        assert str(again.value) == str(first.value)
    assert "too short" in str(first.value)


@pytest.mark.parametrize("plain_block", [b"\x00" * 16, b"\x10" * 16, bytes(range(16))])
def test_a_single_block_is_refused_the_same_way_whatever_came_before(
    plain_block: bytes,
) -> None:
    # A 16-byte ciphertext's only block is the one the reused decryptor gets wrong, so
    # nothing in it may decide the outcome: it is refused for its size.
    forged = raw_encrypt(C1_KEY, plain_block)
    assert len(base64.b64decode(forged)) == 16
    used = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    errors = set()
    for text in ("a", "warm-up" * 7, "中文"):
        used.decrypt(used.encrypt(text))
        with pytest.raises(DecryptError) as refused:
            used.decrypt(forged)
        errors.add(str(refused.value))
    assert errors == {"The decrypted message is too short."}


def test_exact_prefix_leaves_random_prefix_encryption_intact(crypto: WeChatCrypto) -> None:
    """Encrypting a fixed vector in between does not disturb the chained context."""
    for i in range(4):
        random_one = crypto.encrypt(f"<xml>{i}</xml>")
        assert crypto.encrypt(C1_PLAINTEXT, prefix=C1_RANDOM) == C1_ENCRYPT
        assert f"<xml>{i}</xml>".encode() in raw_decrypt(C1_KEY, random_one)
        assert crypto.decrypt(random_one) == f"<xml>{i}</xml>"


def test_rotation_under_threads_alternating_keys() -> None:
    """Both keys' contexts chain per thread; the fallback never mixes them up."""
    from tests.protocol_vectors import run_in_threads

    old = WeChatCrypto(C1_TOKEN, OTHER_KEY, C1_APP_ID)
    new = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    rotating = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID, previous_encoding_aes_key=OTHER_KEY)
    stranger = WeChatCrypto(C1_TOKEN, THIRD_KEY, C1_APP_ID)
    errors: list[str] = []

    def work(n: int) -> None:
        for i in range(150):
            sender = (old, new, stranger)[(n + i) % 3]
            text = f"<xml>{n}-{i}</xml>" + "y" * (i % 37)
            envelope, signature = _envelope_for(sender, text)
            try:
                result = rotating.decrypt_envelope(envelope, signature, "1700000000", "nonce")
            except DecryptError:
                if sender is not stranger:
                    errors.append(f"refused {n}/{i}")
                continue
            if sender is stranger or result.xml != text:
                errors.append(f"wrong {n}/{i}")
                continue
            # The reply, under the key that worked, opens with that key alone.
            reply = result.crypto.encrypt(text)
            if (sender.decrypt(reply), result.crypto is rotating) != (text, sender is new):
                errors.append(f"reply {n}/{i}")

    run_in_threads(work)
    assert errors == []


@pytest.mark.parametrize(
    "encrypted",
    [
        C1_ENCRYPT[:-2] + "\n" + C1_ENCRYPT[-2:],  # a newline inside
        " " + C1_ENCRYPT,
        C1_ENCRYPT + "AAAA",  # data after the padding
        C1_ENCRYPT.rstrip("=") if C1_ENCRYPT.endswith("=") else C1_ENCRYPT[:-1],
        "=" + C1_ENCRYPT,
        C1_ENCRYPT[:-1] + "-",  # URL-safe alphabet
        C1_ENCRYPT[:-1] + "é",
    ],
)
def test_base64_is_strict(crypto: WeChatCrypto, encrypted: str) -> None:
    with pytest.raises(DecryptError):
        crypto.decrypt(encrypted)


@pytest.mark.parametrize("body", [None, 42, ["<xml/>"]])
def test_decrypt_message_refuses_a_body_of_the_wrong_type(
    crypto: WeChatCrypto, body: object
) -> None:
    with pytest.raises(XMLError, match="bytes or str"):
        crypto.decrypt_message(body, C1_MSG_SIGNATURE, C1_TIMESTAMP, C1_NONCE)  # type: ignore[arg-type]
