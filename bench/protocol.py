"""Messages per second through the whole callback path: ours against wechatpy's.

    .venv/bin/python bench/protocol.py [--seconds 0.3]

decrypt -> parse -> reply -> render -> encrypt, for one safe-mode text message (the
official vector's key), with a per-stage breakdown, against wechatpy 1.8.18 doing the
same in the same process, and against the floor: the same bytes through `cryptography`,
`base64` and `hashlib` alone (two SHA-1 signatures, one AES decrypt, one AES encrypt),
once with a fresh cipher context per message (what wechatpy and most code do) and once
reusing contexts (what django_wechat does: the true floor for its approach). Then how
long each hostile input takes to be refused. Prints figures; asserts nothing.

Times are CPU time of this process (``time.process_time``), so that a busy shared machine
preempting us does not count against whichever side was running; each function is timed
in ``--rounds`` short runs interleaved with the others, and its best run counts.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import platform
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
from django.conf import settings

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TOKEN = "spamtest"
APP_ID = "wx2c2769f8efd9abc2"
TIMESTAMP = "1409735669"
NONCE = "1320562132"
PLAINTEXT = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    "<CreateTime>1409735668</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[你好，我想查一下订单 1234 的物流]]></Content>\n"
    "<MsgId>6054768590064713728</MsgId>\n"
    "</xml>"
)
REPLY = "收到：你的订单已发货，预计明天送达。"


def configure() -> None:
    settings.configure(
        USE_TZ=True,
        INSTALLED_APPS=["django_wechat"],
        WECHAT={
            "ACCOUNTS": {
                "default": {
                    "APP_ID": APP_ID,
                    "APP_SECRET": "bench",
                    "TOKEN": TOKEN,
                    "ENCODING_AES_KEY": KEY,
                }
            }
        },
    )
    django.setup()


ROUNDS = 20


def per_call(func: Callable[[], object], seconds: float) -> float:
    """Best CPU time per call in µs over ``ROUNDS`` runs, ``seconds`` in all."""
    return interleaved({"f": func}, seconds)["f"]


def interleaved(funcs: dict[str, Callable[[], object]], seconds: float) -> dict[str, float]:
    """Best CPU time per call in µs of each function, measured in alternation.

    Each of ``ROUNDS`` rounds times every function once, for ``seconds / ROUNDS``; the
    best round counts. Alternating keeps a burst of load on a shared machine from
    favouring one side of a ratio.
    """
    timers = {name: timeit.Timer(func, timer=time.process_time) for name, func in funcs.items()}
    numbers = {}
    for name, timer in timers.items():
        number, _ = timer.autorange()
        numbers[name] = max(1, int(number * seconds / 0.2 / ROUNDS))
    best = dict.fromkeys(funcs, float("inf"))
    for _round in range(ROUNDS):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(numbers[name]) / numbers[name] * 1e6)
    return best


def safe_body(encrypted: str) -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=0.6, help="time per measurement")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved runs, best counts")
    args = parser.parse_args()
    globals()["ROUNDS"] = args.rounds
    configure()

    import wechatpy
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from wechatpy.crypto import WeChatCrypto as TheirCrypto
    from wechatpy.replies import TextReply as TheirTextReply

    from django_wechat import parse_message
    from django_wechat.crypto import WeChatCrypto, make_signature
    from django_wechat.replies import TextReply

    ours = WeChatCrypto(TOKEN, KEY, APP_ID)
    theirs = TheirCrypto(TOKEN, KEY, APP_ID)
    encrypted = ours.encrypt(PLAINTEXT)
    body = safe_body(encrypted)
    signature = make_signature(TOKEN, TIMESTAMP, NONCE, encrypted)
    assert theirs.decrypt_message(body, signature, TIMESTAMP, NONCE) == PLAINTEXT

    # --- ours, whole path and stages ------------------------------------------------------
    def ours_full() -> str:
        decrypted = ours.decrypt_envelope(body, signature, TIMESTAMP, NONCE)
        message = parse_message(decrypted.xml)
        reply = TextReply(message=message, content=REPLY)
        return decrypted.crypto.encrypt_message(reply.render(), NONCE, TIMESTAMP)

    message = parse_message(PLAINTEXT)
    reply = TextReply(message=message, content=REPLY)
    rendered = reply.render()
    ours_stages = {
        "decrypt": lambda: ours.decrypt_envelope(body, signature, TIMESTAMP, NONCE),
        "parse": lambda: parse_message(PLAINTEXT),
        "reply": lambda: TextReply(message=message, content=REPLY),
        "render": reply.render,
        "encrypt": lambda: ours.encrypt_message(rendered, NONCE, TIMESTAMP),
    }

    # --- wechatpy -------------------------------------------------------------------------
    def theirs_full() -> str:
        text = theirs.decrypt_message(body, signature, TIMESTAMP, NONCE)
        msg = wechatpy.parse_message(text)
        their_reply = TheirTextReply(message=msg, content=REPLY)
        return theirs.encrypt_message(their_reply.render(), NONCE, TIMESTAMP)

    their_message = wechatpy.parse_message(PLAINTEXT)
    their_reply = TheirTextReply(message=their_message, content=REPLY)
    their_rendered = their_reply.render()
    theirs_stages = {
        "decrypt": lambda: theirs.decrypt_message(body, signature, TIMESTAMP, NONCE),
        "parse": lambda: wechatpy.parse_message(PLAINTEXT),
        "reply": lambda: TheirTextReply(message=their_message, content=REPLY),
        "render": their_reply.render,
        "encrypt": lambda: theirs.encrypt_message(their_rendered, NONCE, TIMESTAMP),
    }

    # --- the floor: the same bytes through cryptography, base64 and hashlib alone -------
    key = base64.b64decode(KEY + "=")
    cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))
    reply_plain = os.urandom(16) + b"\0\0\0\0" + their_rendered.encode() + APP_ID.encode()
    reply_plain += bytes([32 - len(reply_plain) % 32]) * (32 - len(reply_plain) % 32)
    sorted_in = "".join(sorted([TOKEN, TIMESTAMP, NONCE, encrypted])).encode()

    def floor() -> bytes:
        hashlib.sha1(sorted_in).hexdigest()
        decryptor = cipher.decryptor()
        decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
        encryptor = cipher.encryptor()
        out = base64.b64encode(encryptor.update(reply_plain) + encryptor.finalize())
        hashlib.sha1(out).hexdigest()
        return out

    reused_decryptor, reused_encryptor = cipher.decryptor(), cipher.encryptor()

    def floor_reused() -> bytes:
        hashlib.sha1(sorted_in).hexdigest()
        reused_decryptor.update(base64.b64decode(encrypted))
        out = base64.b64encode(reused_encryptor.update(reply_plain))
        hashlib.sha1(out).hexdigest()
        return out

    # Sanity: both paths produce envelopes either side can open.
    for envelope in (ours_full(), theirs_full()):
        from django_wechat.xml import parse

        fields = parse(envelope)
        text = theirs.decrypt_message(envelope, fields["MsgSignature"], TIMESTAMP, NONCE)
        assert REPLY in text
        assert REPLY in ours.decrypt_message(envelope, fields["MsgSignature"], TIMESTAMP, NONCE)

    full = interleaved(
        {"ours": ours_full, "theirs": theirs_full, "floor": floor, "reused": floor_reused},
        args.seconds,
    )
    t_ours, t_theirs, t_floor, t_reused = (
        full["ours"],
        full["theirs"],
        full["floor"],
        full["reused"],
    )
    s_ours: dict[str, float] = {}
    s_theirs: dict[str, float] = {}
    for name in ours_stages:
        pair = interleaved({"ours": ours_stages[name], "theirs": theirs_stages[name]}, args.seconds)
        s_ours[name], s_theirs[name] = pair["ours"], pair["theirs"]

    import cryptography
    import lxml.etree

    print(
        f"Python {platform.python_version()}, wechatpy {wechatpy.__version__}, "
        f"cryptography {cryptography.__version__}, lxml {lxml.etree.__version__}, one core; "
        f"CPU time, best of {ROUNDS} interleaved runs"
    )
    print("Safe-mode text message, decrypt -> parse -> reply -> render -> encrypt:\n")
    print(f"{'':24}{'µs/msg':>10}{'msgs/s':>12}")
    print(f"{'django_wechat':24}{t_ours:10.1f}{1e6 / t_ours:12,.0f}")
    print(f"{'wechatpy 1.8.18':24}{t_theirs:10.1f}{1e6 / t_theirs:12,.0f}")
    print(f"{'floor (AES+SHA1+base64)':24}{t_floor:10.1f}{1e6 / t_floor:12,.0f}")
    print(f"{'  same, reused contexts':24}{t_reused:10.1f}{1e6 / t_reused:12,.0f}")
    print(f"\nspeed-up over wechatpy: {t_theirs / t_ours:.2f}x")
    print(f"django_wechat / floor:  {t_ours / t_floor:.2f}x the floor's time")
    print(f"  / reused-context floor: {t_ours / t_reused:.2f}x\n")
    print(f"{'stage (µs)':24}{'ours':>10}{'wechatpy':>12}")
    for name in ours_stages:
        print(f"{name:24}{s_ours[name]:10.1f}{s_theirs[name]:12.1f}")
    print(f"{'sum of stages':24}{sum(s_ours.values()):10.1f}{sum(s_theirs.values()):12.1f}")

    hostile(args.seconds)


def hostile(seconds: float) -> None:
    """How long each hostile input takes to be refused."""
    from django_wechat.crypto import WeChatCrypto, make_signature
    from django_wechat.exceptions import WeChatError
    from django_wechat.xml import parse

    laughs = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]><xml><A>&lol9;</A></xml>"
    )
    crypto = WeChatCrypto(TOKEN, KEY, APP_ID)
    garbage = base64.b64encode(os.urandom(256)).decode()
    ten_megabytes = b"<xml>" + b"x" * 10 * 1024 * 1024
    blanks = "<xml>" + " " * 250_000 + "<A>1</xml>"
    unterminated = "<xml><A><![CDATA[" + "a]" * 120_000 + "</A></xml>"
    cases: dict[str, Callable[[], object]] = {
        "XXE file entity": lambda: parse(
            '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>'
        ),
        "billion laughs": lambda: parse(laughs),
        "quadratic blowup (250 KB)": lambda: parse(
            f'<!DOCTYPE x [<!ENTITY a "{"A" * 50_000}">]><xml><A>{"&a;" * 50_000}</A></xml>',
            max_size=10**7,
        ),
        "10 MB body": lambda: parse(ten_megabytes),
        "250 KB unterminated CDATA": lambda: parse(unterminated),
        "truncated XML": lambda: parse(PLAINTEXT[:-10]),
        "250 KB of blanks, then junk": lambda: parse(blanks),
        "wrong key (DecryptError)": lambda: crypto.decrypt_message(
            safe_body(garbage),
            make_signature(TOKEN, TIMESTAMP, NONCE, garbage),
            TIMESTAMP,
            NONCE,
        ),
        "bad msg_signature": lambda: crypto.decrypt_message(
            safe_body(garbage), "0" * 40, TIMESTAMP, NONCE
        ),
    }
    print("\nHostile input, time to refuse (µs):")
    for name, attack in cases.items():

        def attempt(attack: Callable[[], object] = attack) -> None:
            try:
                attack()
            except WeChatError:
                return
            raise AssertionError("not refused")

        print(f"  {name:28}{per_call(attempt, seconds / 5):10.1f}")


if __name__ == "__main__":
    main()
