"""Hostile input: every attack gets its one clear exception before any harm is done.

Each XML attack is tried on the bare parser, on parse_message, and (where a real
attacker could get it there) inside a validly signed and encrypted envelope.
"""

from __future__ import annotations

import base64
import http.server
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from django_wechat import parse_message
from django_wechat.crypto import WeChatCrypto, make_signature
from django_wechat.exceptions import DecryptError, InvalidSignature, XMLError
from django_wechat.xml import parse
from tests.protocol_vectors import C1_APP_ID, C1_KEY, C1_PLAINTEXT, C1_TOKEN

SECRET = "TOP-SECRET-CONTENT-d41d8cd98f00b204"
PRE_PARSE = "must start with its root element"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = f'<!ENTITY leak "{SECRET}">'.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 that records every request it gets."""
    requests: list[str] = []
    handler = type("Handler", (_Recorder,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _refused(body: str | bytes, match: str | None = None) -> XMLError:
    with pytest.raises(XMLError, match=match) as parsed:
        parse(body)
    with pytest.raises(XMLError, match=match):
        parse_message(body)
    assert SECRET not in str(parsed.value)
    return parsed.value


def _encrypted(plaintext: str) -> tuple[WeChatCrypto, str, str]:
    crypto = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    envelope = crypto.encrypt_message(plaintext, "nonce", 1700000000)
    return crypto, envelope, parse(envelope)["MsgSignature"]


# --- XXE ---------------------------------------------------------------------------------


def test_xxe_file_entity(secret_file: Path) -> None:
    body = (
        f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'
        "<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType><Content>&xxe;</Content></xml>"
    )
    _refused(body, PRE_PARSE)
    # Inside a valid encrypted envelope the plaintext is refused just the same.
    crypto, envelope, signature = _encrypted(body)
    plaintext = crypto.decrypt_message(envelope, signature, "1700000000", "nonce")
    _refused(plaintext, PRE_PARSE)


def test_xxe_file_entity_is_never_opened(tmp_path: Path) -> None:
    """The entity names a FIFO: a parser that opened it would block until a writer came."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    body = f'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file://{fifo}">]><xml><A>&xxe;</A></xml>'
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            parse(body)
        except XMLError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive():  # it opened the FIFO: unblock it, then fail
        with open(fifo, "w"):
            pass
        thread.join()
        pytest.fail("the parser opened the file entity")
    assert len(outcome) == 1
    assert isinstance(outcome[0], XMLError)


def test_undeclared_entity_in_body_is_refused(secret_file: Path) -> None:
    _refused("<xml><Content>&xxe;</Content></xml>", "Malformed")


@pytest.mark.parametrize(
    "template",
    [
        '<!DOCTYPE xml [<!ENTITY net SYSTEM "{url}/entity">]><xml><A>&net;</A></xml>',
        '<!DOCTYPE xml SYSTEM "{url}/external.dtd"><xml><A>&leak;</A></xml>',
        '<!DOCTYPE xml [<!ENTITY % remote SYSTEM "{url}/param.dtd"> %remote;]>'
        "<xml><A>&leak;</A></xml>",
        '<!DOCTYPE xml PUBLIC "-//X//EN" "{url}/public.dtd"><xml/>',
    ],
)
def test_network_entities_never_reach_the_network(
    http_server: tuple[str, list[str]], template: str
) -> None:
    url, requests = http_server
    _refused(template.format(url=url), PRE_PARSE)
    assert requests == []


def test_xinclude_is_inert(http_server: tuple[str, list[str]], secret_file: Path) -> None:
    url, requests = http_server
    fields = parse(
        '<xml xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<xi:include href="file://{secret_file}" parse="text"/>'
        f'<xi:include href="{url}/inc" parse="text"/><A>1</A></xml>'
    )
    assert SECRET not in repr(fields)
    assert fields["A"] == "1"
    assert requests == []


# --- entity expansion --------------------------------------------------------------------


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]><xml><Content>&lol9;</Content></xml>"
)


def test_billion_laughs() -> None:
    before = _maxrss_mib()
    _refused(BILLION_LAUGHS, PRE_PARSE)
    assert _maxrss_mib() - before < 50


def test_quadratic_blowup() -> None:
    entity = "A" * 50_000
    body = f'<!DOCTYPE xml [<!ENTITY a "{entity}">]><xml><Content>{"&a;" * 40_000}</Content></xml>'
    assert len(body) < 256 * 1024  # under the size cap: the DOCTYPE is what stops it
    before = _maxrss_mib()
    _refused(body, PRE_PARSE)
    assert _maxrss_mib() - before < 50


@pytest.mark.parametrize(
    "body",
    [
        "<!DOCTYPE xml>",
        "<!DOCTYPE xml><xml><A>1</A></xml>",
        "  <!doctype xml><xml/>",
        '<?xml version="1.0"?>\n<!DOCTYPE xml [ ]>\n<xml/>',
        "<!-- a comment first --><!DOCTYPE xml><xml/>",
        "\ufeff<!DOCTYPE xml><xml/>",
        '<!ENTITY x "y"><xml/>',
        '<?xml-stylesheet type="text/xsl" href="file:///etc/passwd"?><xml/>',
    ],
)
def test_doctype_entity_or_pi_before_the_root(body: str) -> None:
    _refused(body, PRE_PARSE)


def test_doctype_after_the_root_is_malformed() -> None:
    _refused("<xml><A>1</A><!DOCTYPE x></xml>", "Malformed")


def test_processing_instruction_inside() -> None:
    _refused("<xml><A>1</A><?php system('id'); ?></xml>", "Processing instructions")


def test_deep_nesting_is_refused() -> None:
    _refused("<xml>" + "<a>" * 5000 + "x" + "</a>" * 5000 + "</xml>", "Malformed")


# --- malformed input ---------------------------------------------------------------------


def test_every_truncation_is_an_xml_error() -> None:
    for end in range(len(C1_PLAINTEXT) - len("</xml>") + 1):
        with pytest.raises(XMLError):
            parse_message(C1_PLAINTEXT[:end])


@pytest.mark.parametrize(
    "body",
    [
        "<xml><Content>你好</Content></xml>".encode("gbk"),
        '<?xml version="1.0" encoding="GBK"?><xml><Content>你好</Content></xml>'.encode("gbk"),
        "<xml><Content>café</Content></xml>".encode("latin-1"),
        "<xml><Content>hi</Content></xml>".encode("utf-16"),
        b"<xml><Content>\xc3\x28</Content></xml>",
        b"<xml><Content>\xed\xa0\x80</Content></xml>",  # an encoded surrogate
    ],
)
def test_non_utf8_bytes(body: bytes) -> None:
    _refused(body, "not UTF-8")


def test_lone_surrogate_in_str() -> None:
    _refused("<xml><Content>\ud800</Content></xml>", "not UTF-8")


def test_nul_byte() -> None:
    _refused(b"<xml><Content>a\x00b</Content></xml>")


def test_ten_megabyte_body_is_refused_before_parsing() -> None:
    # Malformed after the first bytes: a parser that ran would report that instead.
    body = b"<xml><Content>" + b"<" * (10 * 1024 * 1024)
    error = _refused(body, "MAX_BODY_SIZE")
    assert "10485774 bytes" in str(error)


def test_ten_megabyte_envelope_is_refused_before_decrypting() -> None:
    crypto = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    encrypted = base64.b64encode(os.urandom(8 * 1024 * 1024)).decode()
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    with pytest.raises(XMLError, match="MAX_BODY_SIZE"):
        crypto.decrypt_message(body, make_signature(C1_TOKEN, "1", "2", encrypted), "1", "2")


# --- crypto corruptions through the whole path -------------------------------------------


def test_signature_is_checked_before_decrypting() -> None:
    crypto = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    # Garbage that would be a DecryptError: with a wrong signature it never gets that far.
    body = "<xml><Encrypt><![CDATA[!!!not base64!!!]]></Encrypt></xml>"
    with pytest.raises(InvalidSignature):
        crypto.decrypt_message(body, "0" * 40, "1", "2")
    with pytest.raises(DecryptError, match="base64"):
        crypto.decrypt_message(
            body, make_signature(C1_TOKEN, "1", "2", "!!!not base64!!!"), "1", "2"
        )


@pytest.mark.parametrize(
    "body",
    [
        "<xml><Encrypt></Encrypt></xml>",
        "<xml><ToUserName>gh</ToUserName></xml>",
        "<xml><Encrypt><A>nested</A></Encrypt></xml>",
        "<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt></xml>",
    ],
)
def test_envelope_without_a_usable_encrypt(body: str) -> None:
    crypto = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    with pytest.raises(DecryptError, match="no Encrypt"):
        crypto.decrypt_message(body, "x", "1", "2")


def test_hostile_envelope_xml() -> None:
    crypto = WeChatCrypto(C1_TOKEN, C1_KEY, C1_APP_ID)
    with pytest.raises(XMLError, match=PRE_PARSE):
        crypto.decrypt_message(BILLION_LAUGHS, "x", "1", "2")


_BLANK_RUNS = """
from django_wechat.exceptions import XMLError
from django_wechat.xml import parse
for body in (
    "<xml>" + " \\n\\t" * 80_000 + "</xml>",
    "<xml><A>1</A>" + " " * 250_000 + "</xml>",
    "<xml>" + " " * 250_000 + "<A>1</xml>",
):
    try:
        print(parse(body))
    except XMLError:
        print("XMLError")
"""


def test_long_blank_runs_are_read_in_one_pass() -> None:
    """A run of blanks costs one pass, not one pass per character (minutes of CPU, with
    the GIL held, for a body under MAX_BODY_SIZE). A hang guard, not a speed test: the
    bound is thousands of times what one pass takes, and a subprocess because a regex
    holding the GIL cannot be interrupted from a thread."""
    done = subprocess.run(
        [sys.executable, "-c", _BLANK_RUNS], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split("\n") == ["{}", "{'A': '1'}", "XMLError", ""], done.stderr
