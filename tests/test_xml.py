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
