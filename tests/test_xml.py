"""The hardened XML parser and the renderer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_wechat.exceptions import ReplyError, XMLError
from django_wechat.xml import escape_cdata, parse, render


def test_parse_flat_message() -> None:
    fields = parse(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><CreateTime>1409735668</CreateTime>"
        "<Content><![CDATA[你好，世界]]></Content><Empty></Empty><Blank/></xml>"
    )
    assert fields == {
        "ToUserName": "gh_1",
        "CreateTime": "1409735668",
        "Content": "你好，世界",
        "Empty": "",
        "Blank": "",
    }


def test_parse_nested_and_repeated() -> None:
    fields = parse(
        "<xml><SendPicsInfo><Count>2</Count><PicList>"
        "<item><PicMd5Sum>a</PicMd5Sum></item><item><PicMd5Sum>b</PicMd5Sum></item>"
        "</PicList></SendPicsInfo></xml>"
    )
    assert fields == {
        "SendPicsInfo": {
            "Count": "2",
            "PicList": {"item": [{"PicMd5Sum": "a"}, {"PicMd5Sum": "b"}]},
        }
    }


def test_parse_accepts_declaration_bom_whitespace_and_comments() -> None:
    body = (
        '\ufeff<?xml version="1.0" encoding="utf-8"?>\n<!-- hi -->\n<xml><A>1</A><!-- c --></xml>'
    )
    assert parse(body.encode()) == {"A": "1"}
    assert parse(body.lstrip("\ufeff")) == {"A": "1"}


def test_parse_keeps_markup_like_text_in_cdata() -> None:
    text = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]> &e; <?pi?>'
    assert parse(f"<xml><Content><![CDATA[{text}]]></Content></xml>") == {"Content": text}


def test_parse_decodes_character_references_and_predefined_entities() -> None:
    assert parse("<xml><A>a &amp; b &lt; &#20320;</A></xml>") == {"A": "a & b < 你"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("not xml", "root element"),
        ("<xml><A>1</A>", "Malformed"),
        ("<xml><A>1</B></xml>", "Malformed"),
        ("<xml></xml><xml></xml>", "Malformed"),
        ("<!DOCTYPE xml><xml><A>1</A></xml>", "DOCTYPE"),
        ('<?xml-stylesheet href="x"?><xml/>', "processing instruction"),
        ("<xml><?php echo 1 ?></xml>", "Processing instructions"),
        ("<xml><A>&undefined;</A></xml>", "Malformed"),
    ],
)
def test_parse_refuses(body: str, message: str) -> None:
    with pytest.raises(XMLError, match=message):
        parse(body)


def test_parse_refuses_non_xml_types() -> None:
    with pytest.raises(XMLError, match="bytes or str"):
        parse(123)  # type: ignore[arg-type]


def test_parse_size_limit(settings: pytest.FixtureRequest) -> None:
    body = "<xml><A>" + "x" * 100 + "</A></xml>"
    assert parse(body, max_size=len(body)) == {"A": "x" * 100}
    with pytest.raises(XMLError, match="MAX_BODY_SIZE"):
        parse(body, max_size=len(body) - 1)
    settings.WECHAT = {**settings.WECHAT, "MAX_BODY_SIZE": 50}
    with pytest.raises(XMLError, match="50 allowed"):
        parse(body)


def test_render_types() -> None:
    assert render(
        {
            "ToUserName": "o1",
            "CreateTime": 12,
            "Flag": True,
            "Skip": None,
            "Articles": {"item": [{"Title": "a"}, {"Title": "b"}]},
        }
    ) == (
        "<xml><ToUserName><![CDATA[o1]]></ToUserName><CreateTime>12</CreateTime><Flag>1</Flag>"
        "<Articles><item><Title><![CDATA[a]]></Title></item>"
        "<item><Title><![CDATA[b]]></Title></item></Articles></xml>"
    )


def test_escape_cdata_splits_the_terminator() -> None:
    assert escape_cdata("a]]>b") == "a]]]]><![CDATA[>b"
    assert parse(render({"A": "x]]>y]]>]]>"})) == {"A": "x]]>y]]>]]>"}


def test_render_refuses_characters_xml_cannot_carry() -> None:
    with pytest.raises(ReplyError, match="control character"):
        render({"Content": "bell\x07"})


_XML_CHARS = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12"
    "\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\ufffe\uffff\r",
)


@given(st.dictionaries(st.from_regex(r"[A-Z][A-Za-z_]{0,10}", fullmatch=True), st.text(_XML_CHARS)))
def test_render_parse_round_trip(fields: dict[str, str]) -> None:
    assert parse(render(fields)) == fields


# --- the fast path for flat documents agrees with lxml -----------------------------------

_TRICKY = "ab ]>[<&;\r\n\t\x01\x1f\ufffe你😀\ud800'\"="
_FRIENDLY = "ab ]>[\n\t你😀'\"="
_content = st.one_of(
    st.text(alphabet=_FRIENDLY, max_size=12).map(lambda t: f"<![CDATA[{t}]]>"),
    st.text(alphabet=_FRIENDLY.replace("]", ""), max_size=12),
    st.text(alphabet=_TRICKY, max_size=12).map(lambda t: f"<![CDATA[{t}]]>"),
    st.text(alphabet=_TRICKY, max_size=12),
    st.sampled_from(["<![CDATA[a]]]]><![CDATA[>b]]>", "&amp;", "&#20320;", "<B>1</B>", "<B/>", ""]),
)
_tag = st.one_of(
    st.sampled_from(["A", "Content", "B_1", "x.y-z"]),
    st.sampled_from(["1A", "a:b", "名", "A B"]),
)
_space = st.sampled_from(["", " ", "\n", "\t", "\r\n", "  \n  "])


_good_content = st.one_of(
    st.text(alphabet=_FRIENDLY, max_size=12).map(lambda t: f"<![CDATA[{t}]]>"),
    st.text(alphabet=_FRIENDLY.replace("]", ""), max_size=12),
)
_good_tag = st.sampled_from(["A", "Content", "B_1", "x.y-z", "xml"])
_good_space = st.sampled_from(["", " ", "\n", "\t", "  \n  "])


@st.composite
def _flat_documents(draw: st.DrawFn, hostile: bool = True) -> str:
    space = _space if hostile else _good_space
    parts = [draw(space), "<xml>"]
    for _ in range(draw(st.integers(0, 5))):
        tag = draw(_tag if hostile else _good_tag)
        content = draw(_content if hostile else _good_content)
        parts += [draw(space), f"<{tag}>", content, f"</{tag}>"]
    parts += [draw(space), "</xml>", draw(space)]
    return "".join(parts)


def _both(doc: str | bytes) -> tuple[object, object]:
    from django_wechat.xml import _parse_lxml

    data = doc.encode("utf-8", "surrogatepass") if isinstance(doc, str) else doc
    results: list[object] = []
    for func in (lambda: parse(doc), lambda: _parse_lxml(data)):
        try:
            results.append(func())
        except XMLError:
            results.append(XMLError)
    return results[0], results[1]


@given(st.one_of(_flat_documents(hostile=False), _flat_documents()))
def test_fast_path_agrees_with_lxml(doc: str) -> None:
    fast, slow = _both(doc)
    assert fast == slow


@given(_flat_documents(hostile=False), st.data())
def test_fast_path_agrees_with_lxml_on_mutated_bytes(doc: str, data: st.DataObject) -> None:
    raw = bytearray(doc.encode("utf-8", "surrogatepass"))
    for _ in range(data.draw(st.integers(1, 3))):
        if raw:
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    fast, slow = _both(bytes(raw))
    assert fast == slow


def test_fast_path_is_taken_for_wechat_messages() -> None:
    from django_wechat.xml import _flat

    assert _flat(
        "<xml><ToUserName><![CDATA[gh]]></ToUserName>\n<CreateTime>1</CreateTime>\n"
        "<Content><![CDATA[a]b]]c>d <x> & y]]></Content></xml>"
    ) == {"ToUserName": "gh", "CreateTime": "1", "Content": "a]b]]c>d <x> & y"}
    assert _flat("<xml><A><B>nested</B></A></xml>") is None
    assert parse("<xml><A><![CDATA[a]b]]c>d <x> & y]]></A><A>2</A></xml>") == {
        "A": ["a]b]]c>d <x> & y", "2"]
    }


def test_parser_is_safe_across_threads() -> None:
    """Nested documents take the lxml path, whose parser is per thread."""
    from tests.protocol_vectors import run_in_threads

    errors: list[str] = []

    def work(n: int) -> None:
        for i in range(200):
            body = f"<xml><A><B>{n}</B><C><![CDATA[{i}]]></C></A><!-- c --></xml>"
            if parse(body) != {"A": {"B": str(n), "C": str(i)}}:
                errors.append(f"{n}/{i}")

    run_in_threads(work)
    assert errors == []


# --- the envelope fast path agrees with parse ----------------------------------------------

_B64 = "ABCxyz019+/="


@st.composite
def _envelopes(draw: st.DrawFn) -> str:
    """Safe-mode bodies, mostly of the usual shape, sometimes bent out of it."""
    space = st.sampled_from(["", "", "\n", " \t", "\r\n"])
    items = []
    if draw(st.booleans()):
        name = draw(st.sampled_from(["gh_10f6c3c3ac5a", "", "gh-x", "a]b", "名", "a<b"]))
        items.append(f"<ToUserName><![CDATA[{name}]]></ToUserName>")
    value = draw(
        st.one_of(
            st.text(alphabet=_B64, min_size=1, max_size=16),
            st.text(alphabet=_B64 + "]<&\n\r\t\x00 é你", max_size=16),
        )
    )
    if draw(st.integers(0, 3)):
        encrypt = f"<Encrypt><![CDATA[{value}]]></Encrypt>"
    else:
        encrypt = draw(st.sampled_from([f"<Encrypt>{value}</Encrypt>", ""]))
    items.append(encrypt)
    if not draw(st.integers(0, 3)):
        items.insert(draw(st.integers(0, len(items))), draw(st.sampled_from(_EXTRA)))
    parts = [draw(space), "<xml>"]
    for item in items:
        parts += [draw(space), item]
    parts += [draw(space), "</xml>", draw(space)]
    return "".join(parts)


_EXTRA = [
    "<Encrypt><![CDATA[QUFB]]></Encrypt>",
    "<AgentID>1</AgentID>",
    "<!-- c -->",
    "<A><B>1</B></A>",
]


@given(_envelopes(), st.booleans())
def test_encrypt_field_agrees_with_parse(doc: str, as_bytes: bool) -> None:
    from django_wechat.xml import encrypt_field

    data: str | bytes = doc.encode() if as_bytes else doc
    fast = encrypt_field(data)
    if fast is None:
        return
    assert type(fast) is str
    assert parse(data)["Encrypt"] == fast


def test_encrypt_field_takes_the_usual_envelope_only(settings: pytest.FixtureRequest) -> None:
    from django_wechat.xml import encrypt_field

    usual = (
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName>\n<Encrypt><![CDATA[QUFB]]></Encrypt></xml>"
    )
    assert encrypt_field(usual) == encrypt_field(usual.encode()) == "QUFB"
    assert encrypt_field("<xml><Encrypt><![CDATA[QUFB]]></Encrypt></xml>") == "QUFB"
    # Compatible mode, a second Encrypt, a DOCTYPE: left to parse().
    assert encrypt_field(usual.replace("</xml>", "<MsgType>text</MsgType></xml>")) is None
    assert (
        encrypt_field(usual.replace("</xml>", "<Encrypt><![CDATA[QQ==]]></Encrypt></xml>")) is None
    )
    assert encrypt_field("<!DOCTYPE x>" + usual) is None
    # Over MAX_BODY_SIZE: left to parse(), which refuses it.
    settings.WECHAT = {**settings.WECHAT, "MAX_BODY_SIZE": len(usual) - 1}
    assert encrypt_field(usual) is None
    with pytest.raises(XMLError, match="MAX_BODY_SIZE"):
        parse(usual)
