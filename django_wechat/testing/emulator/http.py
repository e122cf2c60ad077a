"""The emulator's HTTP plumbing: request/reply types, the route table, WeChat's error
answers, staged faults, the call log's records, and URL host checks.

Each emulated API is a function registered with :func:`route`; it gets the parsed
:class:`Request` and answers a :class:`Reply`, or raises :class:`WeChatFault` for a
WeChat errcode. Nothing here knows about sockets: :mod:`.server` does the serving.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ...client.logs import REDACTED, SECRET_FIELDS

#: WeChat's errmsg for the errcodes the emulator answers (global return code table,
#: https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html).
ERRMSG: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid meida size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40029: "invalid code",
    40030: "invalid refresh_token",
    40032: "invalid openid list size",
    40037: "invalid template_id",
    40054: "invalid sub button url domain",
    40055: "invalid button url domain",
    40097: "invalid args",
    40102: "invalid industry id",
    40125: "invalid appsecret",
    40163: "code been used",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    41008: "missing code",
    41009: "missing openid",
    42001: "access_token expired",
    42002: "refresh_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43004: "require subscribe",
    44002: "empty post data",
    44003: "empty news data",
    44004: "empty content",
    45008: "argument out of limit",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45026: "template size out of limit",
    45056: "too many tags",
    45057: "can't delete the tag that has too many fans",
    45058: "can't modify sys tag",
    45059: "too many tag now, no need to add",
    45157: "invalid tag name",
    45158: "tag name too long",
    45159: "invalid tag id",
    46003: "menu no exist",
    47001: "data format error",
    47003: "argument invalid",
    48001: "api unauthorized",
    49003: "not match openid with appid",
    # Conditional menus (个性化菜单). WeChat's English errmsg is known for 65304 only
    # ("match rule empty hint", seen in a WeChat community report); the others are ours,
    # after the Chinese meanings in the global return code table.
    65301: "no conditional menu with this menuid",
    65302: "no such user",
    65303: "no default menu, create one before a conditional menu",
    65304: "match rule empty hint",
    65305: "too many conditional menus",
    65307: "conditional menu button empty",
    65316: "too many url domains in conditional menus (at most 3)",
    65320: "matchrule contains private info (sex, region, language)",
}


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ``::1``, with or
    without brackets). Names are not resolved: a name that resolves to 127.0.0.1 today
    may resolve elsewhere tomorrow (DNS rebinding)."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host(url: str) -> str | None:
    """The host of an absolute http(s) ``url``, or None when the URL is ambiguous.

    Parsers disagree on some URLs: ``http://evil.example\\@127.0.0.1/`` is host
    ``127.0.0.1`` to :func:`urllib.parse.urlsplit` but ``evil.example`` to browsers and to
    urllib3. Checking a host is only sound when every parser reads the same one, so a URL
    with user info, a backslash, white space, a control or a non-ASCII character has
    none.
    """
    if not url.isascii() or any(c.isspace() or c == "\\" or not 32 <= ord(c) < 127 for c in url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc:
        return None
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError:
        return None
    return parts.hostname or None


class WeChatFault(Exception):
    """Raised by an emulated API to answer ``{"errcode": ..., "errmsg": ...}``."""

    def __init__(self, errcode: int, errmsg: str | None = None) -> None:
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "emulated error")
        super().__init__(errcode, self.errmsg)


def error_body(errcode: int, errmsg: str | None = None) -> dict[str, Any]:
    """WeChat's error answer; like WeChat, the errmsg ends with a request id (``rid``)."""
    text = errmsg or ERRMSG.get(errcode, "emulated error")
    return {
        "errcode": errcode,
        "errmsg": f"{text} rid: {secrets.token_hex(4)}-{secrets.token_hex(6)}",
    }


@dataclass
class Reply:
    """What the emulator answers: a status, a body, and its headers."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    #: The JSON document the body holds, kept for the call log.
    data: Any = None

    @classmethod
    def json(cls, data: Mapping[str, Any], status: int = 200) -> Reply:
        """A JSON answer, encoded as WeChat does: UTF-8, Chinese not escaped."""
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        # WeChat's own (non-standard) content type: clients must decode the bytes as UTF-8.
        return cls(status, body, "application/json; encoding=utf-8", data=dict(data))

    @classmethod
    def ok(cls, **fields: Any) -> Reply:
        """``{"errcode": 0, "errmsg": "ok", **fields}``."""
        return cls.json({"errcode": 0, "errmsg": "ok", **fields})

    @classmethod
    def html(cls, text: str, status: int = 200) -> Reply:
        """An HTML page."""
        return cls(status, text.encode(), "text/html; charset=utf-8")

    @classmethod
    def redirect(cls, location: str) -> Reply:
        """A 302 redirect, as WeChat's authorize page answers."""
        return cls(302, b"", "text/html; charset=utf-8", {"Location": location})


@dataclass
class Upload:
    """A file part of a ``multipart/form-data`` body."""

    name: str
    filename: str
    content_type: str
    content: bytes


@dataclass
class Request:
    """One request to the emulator, parsed."""

    method: str
    api: str
    query: dict[str, str]
    #: Header names in lower case.
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; 44002 when empty, 47001 when not a JSON object."""
        if not self.body.strip():
            raise WeChatFault(44002)
        try:
            data = json.loads(self.body)
        except (UnicodeDecodeError, ValueError):
            raise WeChatFault(47001) from None
        if not isinstance(data, dict):
            raise WeChatFault(47001)
        return data

    def parsed_body(self) -> Any:
        """The body for the call log: JSON, a form, a multipart summary, or None."""
        if not self.body:
            return None
        content_type = self.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            return {
                part.name: {"filename": part.filename, "size": len(part.content)}
                for part in self.files().values()
            }
        if content_type.startswith("application/x-www-form-urlencoded"):
            return dict(parse_qsl(self.body.decode("utf-8", "replace")))
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, ValueError):
            return None

    def files(self) -> dict[str, Upload]:
        """The file parts of a ``multipart/form-data`` body, by field name."""
        content_type = self.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            return {}
        # The email package parses MIME multipart bodies; cgi.FieldStorage is gone in 3.13.
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + self.body
        )
        uploads: dict[str, Upload] = {}
        if not message.is_multipart():
            return uploads
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            if not name or filename is None:
                continue
            payload = part.get_payload(decode=True) or b""
            uploads[str(name)] = Upload(
                str(name), str(filename), part.get_content_type(), bytes(payload)
            )
        return uploads


#: An emulated API: ``func(emulator, request, account_state)`` for APIs called with an
#: access_token, ``func(emulator, request)`` for the others; ``emulator`` is a
#: :class:`~.state.Emulator`.
Handler = Callable[..., Reply]


@dataclass(frozen=True)
class Route:
    """An emulated API: its handler, the HTTP method WeChat requires, what authorises it."""

    func: Handler
    method: str | None
    #: True: called with a base access_token (cgi-bin/token or stable_token).
    needs_token: bool


ROUTES: dict[str, Route] = {}


def route(
    api: str, *, method: str | None = "GET", needs_token: bool = True
) -> Callable[[Handler], Handler]:
    """Register ``func`` as the emulation of ``api`` (a path such as ``"cgi-bin/menu/get"``).

    With ``needs_token`` (the default) the emulator checks the ``access_token`` first
    (41001 / 40001 / 42001) and passes the token's :class:`AccountState`.
    """

    def register(func: Handler) -> Handler:
        ROUTES[api] = Route(func, method, needs_token)
        return func

    return register


FAULT_KINDS = ("errcode", "http500", "http502", "delay", "drop", "lost_answer")


@dataclass
class Fault:
    """A staged misbehaviour: see :meth:`~.server.WeChatEmulator.fail`."""

    kind: str
    api: str | None
    times: int
    errcode: int
    delay: float


def fault_reply(fault: Fault) -> Reply | None:
    """What a staged fault answers instead of the API (None: drop the connection)."""
    if fault.kind == "errcode":
        return Reply.json(error_body(fault.errcode))
    if fault.kind == "drop":
        return None
    status = 500 if fault.kind == "http500" else 502
    title = "500 Internal Server Error" if status == 500 else "502 Bad Gateway"
    return Reply.html(f"<html><body><h1>{title}</h1></body></html>", status=status)


@dataclass(frozen=True)
class Call:
    """One request the emulator received, for assertions.

    Credentials (``secret``, ``access_token``, ``refresh_token``, codes, tickets: the
    names of :data:`django_wechat.client.logs.SECRET_FIELDS`) are replaced by
    ``"********"`` in ``query`` and ``body``, so a call can be printed safely.
    """

    api: str
    method: str
    query: Mapping[str, str]
    #: The parsed body: a JSON document, a form, ``{field: {"filename", "size"}}`` for
    #: multipart uploads, or None.
    body: Any
    #: The AppID the call was made for (from ``appid`` or the access_token), if known.
    app_id: str | None
    status: int
    #: The JSON answer's errcode (0 for a success without one); None for non-JSON answers.
    errcode: int | None
    #: The fault that answered this call instead of the API ("errcode", "drop", ...).
    fault: str | None
    time: float


def redact(value: Any) -> Any:
    """``value`` with the values of credential keys replaced, at any depth."""
    if isinstance(value, Mapping):
        return {k: (REDACTED if k in SECRET_FIELDS else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
