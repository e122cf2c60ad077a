"""The one place django_wechat parses and renders XML.

WeChat's callbacks are flat XML documents (``<xml><ToUserName>...</ToUserName>...</xml>``)
with a few nested elements. Anything else is refused before lxml sees it or while it
parses, with :class:`~django_wechat.exceptions.XMLError`:

- a body larger than ``WECHAT["MAX_BODY_SIZE"]`` (256 KiB by default);
- a DOCTYPE (so no entity can be declared: no XXE, no billion laughs, no quadratic
  blowup), a processing instruction, or anything but an XML declaration, whitespace and
  comments before the root element;
- an entity reference, a processing instruction inside the document, malformed XML,
  bytes that are not UTF-8.

The parser never loads a DTD, never resolves an entity and never touches the network
or the file system.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from lxml import etree

from ._i18n import gettext as _
from .conf import wechat_settings
from .exceptions import ReplyError, XMLError

__all__ = ["escape_cdata", "parse", "render", "render_envelope"]

# What may precede the root element: an optional BOM, an XML declaration, whitespace and
# comments. A DOCTYPE or processing instruction there fails this match and is refused
# before parsing; inside the document lxml reports them (see _children).
_PROLOG = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*"
    rb"(?:<\?xml\s[^<>?]*\?>\s*)?"
    rb"(?:<!--(?:[^-]|-(?!-))*-->\s*)*"
    rb"<[A-Za-z_]"
)
# Characters XML 1.0 cannot carry at all, even in CDATA.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

# The fast path: the flat documents WeChat sends (``<xml>`` holding elements whose
# content is one CDATA section or plain text) are read with one regular expression
# instead of lxml, at a fraction of the cost. Anything else -- a declaration, a comment,
# nesting, attributes, an entity or character reference, CR (which XML normalises), a
# control character, ``]`` in plain text -- does not match and goes to lxml, which gives
# the answer (or the error) for it. tests/test_xml.py checks that both paths agree.
_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*+"
# CDATA content up to the first "]]>", as an unrolled loop: runs without "]" are
# consumed in one fast step (a negated single character is ~5x quicker than a class).
# Possessive quantifiers (*+) never give back what they took, so a document that does
# not match fails in one linear pass instead of backtracking through every character.
_CDATA = r"<!\[CDATA\[([^\]]*+(?:\](?!\]>)[^\]]*+)*+)\]\]>"
_TEXT = r"([^<&\]]*+)"
# One findall reads every item between <xml> and </xml>. Whatever is not an item is
# swallowed, with the rest of the document, by the second alternative (group 4), which
# marks the document as not flat; so the items found are contiguous. The third ends the
# scan on trailing whitespace in one step: without it findall would retry at every
# position of a whitespace run, quadratic in its length.
_FLAT_ITEMS = re.compile(rf"[ \t\n]*+(?:<({_NAME})>(?:{_CDATA}|{_TEXT})</\1>|(?s:(.+))|\Z)")
_FLAT_START = re.compile(rb"[ \t\n]*+<xml>")
_WS = " \t\n"
# Bytes XML 1.0 forbids, and CR; with none of them present the regexes need not check.
_CONTROL = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0D, 0x20)])

_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; one per thread, made once.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            encoding="utf-8",
            resolve_entities=False,
            load_dtd=False,
            dtd_validation=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,
            remove_blank_text=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse(data: bytes | str, *, max_size: int | None = None) -> dict[str, Any]:
    """Parse a WeChat XML document into a dict of its root element's children.

    Text elements become ``str`` (``""`` when empty), elements with children become
    dicts, and repeated elements become lists. Raises
    :class:`~django_wechat.exceptions.XMLError` for oversize, hostile or malformed input.
    """
    if isinstance(data, str):
        text: str | None = data
        try:
            raw = data.encode()
        except UnicodeEncodeError:  # lone surrogates: refused below as not UTF-8
            text, raw = None, data.encode("utf-8", "surrogatepass")
    elif isinstance(data, bytes | bytearray | memoryview):
        text, raw = None, bytes(data)
    else:
        raise XMLError(_("XML must be bytes or str, not %(type)s.") % {"type": type(data).__name__})
    limit = wechat_settings.MAX_BODY_SIZE if max_size is None else max_size
    if len(raw) > limit:
        raise XMLError(
            _("The XML body is %(size)d bytes, more than the %(limit)d allowed (MAX_BODY_SIZE).")
            % {"size": len(raw), "limit": limit}
        )
    if text is None:
        try:
            text = raw.decode()
        except UnicodeDecodeError as exc:
            # WeChat sends UTF-8 only; whatever an XML declaration says, nothing else is read.
            raise XMLError(
                _("The XML body is not UTF-8 (invalid byte at offset %(offset)d).")
                % {"offset": exc.start}
            ) from None
    # _FLAT_START first: it turns away a hostile prolog without scanning the body.
    if (
        _FLAT_START.match(raw)
        and len(raw.translate(None, _CONTROL)) == len(raw)
        and "\ufffe" not in text
        and "\uffff" not in text
    ):
        flat = _flat(text)
        if flat is not None:
            return flat
    return _parse_lxml(raw)


def _flat(text: str) -> dict[str, Any] | None:
    """The fields of a flat WeChat document, or None when ``text`` is not one."""
    start = text.find("<xml>")
    end = text.rfind("</xml>")
    if start < 0 or end < start + 5 or text[:start].strip(_WS) or text[end + 6 :].strip(_WS):
        return None
    items = _FLAT_ITEMS.findall(text, start + 5, end)
    # Only the end of the scan has no tag: the empty match at the end, and before it
    # trailing whitespace or the rest of a document that is not flat.
    while items and not items[-1][0]:
        if items.pop()[3]:
            return None
    # Of the CDATA and text groups, the one that did not take part is "".
    result = {tag: cdata or plain for tag, cdata, plain, _ in items}
    if len(result) != len(items):
        # A repeated element: rebuild, making it a list.
        result = {}
        for tag, cdata, plain, _ in items:
            _add(result, tag, cdata or plain)
    return result


_ENVELOPE = (
    r"[ \t\n]*+<xml>[ \t\n]*+"
    r"(?:<ToUserName><!\[CDATA\[[A-Za-z0-9_-]*+\]\]></ToUserName>[ \t\n]*+)?"
    r"<Encrypt><!\[CDATA\[([A-Za-z0-9+/=]++)\]\]></Encrypt>[ \t\n]*+</xml>[ \t\n]*+"
)
_ENVELOPE_STR = re.compile(_ENVELOPE)
_ENVELOPE_BYTES = re.compile(_ENVELOPE.encode())


def encrypt_field(data: object) -> str | None:
    """The ``Encrypt`` value of a safe-mode callback body of the usual shape, or None.

    The usual shape is ``<xml><ToUserName>`` (optional) and ``<Encrypt>`` in CDATA, in
    ASCII, within the size limit: a document :func:`parse` reads through its flat path
    to the same value. For anything else this returns None and the caller parses.
    """
    if isinstance(data, str):
        if len(data) > wechat_settings.MAX_BODY_SIZE:
            return None
        match = _ENVELOPE_STR.fullmatch(data)
        return None if match is None else match[1]
    if (
        not isinstance(data, bytes | bytearray | memoryview)
        or len(data) > wechat_settings.MAX_BODY_SIZE
    ):
        return None
    found = _ENVELOPE_BYTES.fullmatch(data)
    return None if found is None else found[1].decode("ascii")


def _parse_lxml(data: bytes) -> dict[str, Any]:
    """The general path: hardened lxml, after the prolog check."""
    if not _PROLOG.match(data):
        if not data.strip():
            raise XMLError(_("The XML body is empty."))
        raise XMLError(
            _(
                "The XML body must start with its root element; a DOCTYPE, entity "
                "declaration or processing instruction is refused."
            )
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise XMLError(_("Malformed XML: %(error)s") % {"error": exc}) from None
    return _children(root)


def _children(element: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for child in element:
        tag = child.tag
        if type(tag) is not str:
            # A processing instruction or an (unresolved) entity reference inside the
            # document; comments were dropped by the parser.
            raise XMLError(_("Processing instructions and entities are refused in XML."))
        _add(result, tag, _children(child) if len(child) else (child.text or ""))
    return result


def _add(result: dict[str, Any], tag: str, value: Any) -> None:
    """Store one element's value; a repeated element becomes a list."""
    if tag in result:
        previous = result[tag]
        if type(previous) is list:
            previous.append(value)
        else:
            result[tag] = [previous, value]
    else:
        result[tag] = value


def escape_cdata(value: str) -> str:
    """``value`` made safe inside ``<![CDATA[...]]>``.

    ``]]>`` would end the section, so it is split across two sections:
    ``]]]]><![CDATA[>``. Characters XML cannot carry at all raise
    :class:`~django_wechat.exceptions.ReplyError`.
    """
    # isprintable() is a quick C-level "certainly fine" for most text; tabs, newlines
    # and the like take the exact check.
    if not value.isprintable() and _ILLEGAL.search(value):
        raise ReplyError(
            _("The text contains a control character that XML cannot carry: %(text)r")
            % {"text": value[:40]}
        )
    if "]]>" in value:
        return value.replace("]]>", "]]]]><![CDATA[>")
    return value


def render(fields: Mapping[str, Any], root: str = "xml") -> str:
    """Render ``fields`` as WeChat XML: the reverse of :func:`parse`.

    ``str`` values go in CDATA sections, numbers bare, mappings become nested elements,
    lists repeat their element, and ``None`` values are left out.
    """
    parts: list[str] = [f"<{root}>"]
    _render_into(parts, fields)
    parts.append(f"</{root}>")
    return "".join(parts)


def render_envelope(encrypted: str, signature: str, timestamp: str, nonce: str) -> str:
    """The signed envelope of an encrypted reply: ``Encrypt``, ``MsgSignature``,
    ``TimeStamp`` and ``Nonce``, in the order WeChat documents.

    What :func:`render` would make of those four fields, written out: it is on every
    safe-mode reply's path. ``encrypted`` (base64), ``signature`` (hex) and ``timestamp``
    (digits) cannot end a CDATA section; ``nonce`` comes from the request and is escaped.
    """
    return (
        f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
        f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp>"
        f"<Nonce><![CDATA[{escape_cdata(nonce)}]]></Nonce></xml>"
    )


def _render_into(parts: list[str], fields: Mapping[str, Any]) -> None:
    for tag, value in fields.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else (value,)
        for item in values:
            if item is None:
                continue
            parts.append(f"<{tag}>")
            if isinstance(item, Mapping):
                _render_into(parts, item)
            elif isinstance(item, bool):
                parts.append(str(int(item)))
            elif isinstance(item, int | float):
                parts.append(str(item))
            else:
                parts.append(f"<![CDATA[{escape_cdata(str(item))}]]>")
            parts.append(f"</{tag}>")
