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
from .exceptions import ReplyError, XMLError

__all__ = ["escape_cdata", "parse", "render"]

DEFAULT_MAX_SIZE = 256 * 1024

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


def _default_max_size() -> int:
    from django.conf import settings

    if not settings.configured:
        return DEFAULT_MAX_SIZE
    from .conf import wechat_settings

    return wechat_settings.MAX_BODY_SIZE


def parse(data: bytes | str, *, max_size: int | None = None) -> dict[str, Any]:
    """Parse a WeChat XML document into a dict of its root element's children.

    Text elements become ``str`` (``""`` when empty), elements with children become
    dicts, and repeated elements become lists. Raises
    :class:`~django_wechat.exceptions.XMLError` for oversize, hostile or malformed input.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    elif not isinstance(data, bytes | bytearray | memoryview):
        raise XMLError(_("XML must be bytes or str, not %(type)s.") % {"type": type(data).__name__})
    limit = _default_max_size() if max_size is None else max_size
    if len(data) > limit:
        raise XMLError(
            _("The XML body is %(size)d bytes, more than the %(limit)d allowed (MAX_BODY_SIZE).")
            % {"size": len(data), "limit": limit}
        )
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
        root = etree.fromstring(bytes(data), _parser())
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
        value: Any = _children(child) if len(child) else (child.text or "")
        if tag in result:
            previous = result[tag]
            if type(previous) is list:
                previous.append(value)
            else:
                result[tag] = [previous, value]
        else:
            result[tag] = value
    return result


def escape_cdata(value: str) -> str:
    """``value`` made safe inside ``<![CDATA[...]]>``.

    ``]]>`` would end the section, so it is split across two sections:
    ``]]]]><![CDATA[>``. Characters XML cannot carry at all raise
    :class:`~django_wechat.exceptions.ReplyError`.
    """
    if _ILLEGAL.search(value):
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
