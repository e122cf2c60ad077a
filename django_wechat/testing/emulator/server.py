"""The emulator's server: ``WeChatEmulator``, its HTTP server and request handler.

A local WeChat: a real HTTP server that speaks WeChat's API with WeChat's rules.

::

    with WeChatEmulator() as emulator:
        with emulator.override_settings():
            get_client().menu.get()        # talks HTTP to 127.0.0.1:<port>
        assert emulator.count("cgi-bin/token") == 1

Tokens expire by :attr:`WeChatEmulator.clock`, a new ``cgi-bin/token`` leaves the old
one valid for five minutes, every API checks its token, and :meth:`WeChatEmulator.fail`
stages WeChat's bad days (errcode -1 or 45009, HTTP 500/502, delays, dropped
connections). Every call is logged for assertions (:meth:`WeChatEmulator.calls`).
"""

from __future__ import annotations

import collections
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.utils.translation import gettext as _

from ...conf import Account, AccountKind, get_accounts
from ...exceptions import ImproperlyConfigured
from . import control, routes  # noqa: F401  (importing routes registers the APIs)
from .http import (
    FAULT_KINDS,
    ROUTES,
    Call,
    Fault,
    Reply,
    Request,
    WeChatFault,
    error_body,
    fault_reply,
    is_loopback,
    redact,
    url_host,
)
from .push import PushResult, push
from .routes.template import TEMPLATE_LIBRARY, seed_templates
from .state import CODE_TTL, AccountState, Clock, Code, Token, seed_account

__all__ = ["EmulatorRefused", "WeChatEmulator"]

logger = logging.getLogger("django_wechat.testing.emulator")

#: Larger than WeChat's largest upload (10 MB video); bigger bodies get HTTP 413.
MAX_BODY = 20 * 1024 * 1024


class EmulatorRefused(ImproperlyConfigured):
    """:meth:`WeChatEmulator.start` refused: it would listen beyond loopback, or serve
    accounts that may be a live site's, without being allowed to.

    ``reason`` says why; ``option`` names the :class:`WeChatEmulator` argument that
    allows it anyway (``"allow_remote"`` or ``"allow_real_accounts"``).
    """

    def __init__(self, reason: str, option: str) -> None:
        self.reason = reason
        self.option = option
        super().__init__(
            reason
            + " "
            + _("Pass %(option)s=True to WeChatEmulator to start it anyway.") % {"option": option}
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The client's load test opens 64 connections at once; the default backlog of 5
    # would make the kernel refuse some of them.
    request_queue_size = 1024
    allow_reuse_address = True
    emulator: WeChatEmulator

    def __init__(self, address: tuple[str, int], emulator: WeChatEmulator) -> None:
        self.emulator = emulator
        # Open connections, so stop() can close kept-alive ones too: a stopped emulator
        # must look down even to a client's pooled connection.
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def close_connections(self) -> None:
        with self.connections_lock:
            connections, self.connections = self.connections, set()
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    # Keep-alive, like WeChat's servers, so a requests.Session reuses its connections.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm and the client's
    # delayed ACK every kept-alive answer would then wait ~40 ms. Send at once.
    disable_nagle_algorithm = True
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 30
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def version_string(self) -> str:
        return "django_wechat-emulator"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the emulator's call log replaces the access log."""

    def _serve(self) -> None:
        split = urlsplit(self.path)
        try:
            body = self._read_body()
        except ValueError as exc:
            self.close_connection = True
            self._send(Reply(413 if "large" in str(exc) else 400, str(exc).encode()))
            return
        request = Request(
            method=self.command,
            api=split.path.strip("/"),
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        reply = self.server.emulator.handle(request)
        if reply is None:  # a staged dropped connection
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(reply)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk_size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if chunk_size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                size += chunk_size
                if size > MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(chunk_size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)


class WeChatEmulator:
    """WeChat's API servers (``api.weixin.qq.com`` and ``open.weixin.qq.com``) on loopback.

    :param accounts: the Official Accounts it knows; by default those of
        ``settings.WECHAT["ACCOUNTS"]``.
    :param host: the address to listen on.
    :param port: the port; 0 (the default) picks a free one, so parallel test
        workers never clash.
    :param followers: how many demo followers (``o-demo-follower-1`` ...) each account has.
    :param templates: how many templates of the template library (``TM00015``,
        ``OPENTM411587302``, ``OPENTM207791277``, in that order) each Official Account
        has already added, as if with ``api_add_template``; none by default.
    :param allow_remote_push: let :meth:`push` deliver to any host; by default only
        loopback URLs (127.0.0.0/8, ``::1``, ``localhost``) are pushed to, since a push
        carries a valid signature made with the account's TOKEN.
    :param oauth_domains: each account's web authorisation domains (网页授权域名), the
        hosts ``connect/oauth2/authorize`` may redirect to; by default loopback hosts and
        ``testserver``. Change one account's with ``emulator.state(...).oauth_domains``.
    :param allow_remote: let ``host`` be an address beyond loopback. Anyone who can
        reach the emulator can call its API, so :meth:`start` refuses otherwise.
    :param allow_real_accounts: serve beyond loopback accounts that may be a live site's
        (:meth:`real_accounts_reason`): the emulator knows their TOKEN and AES key and
        signs callbacks with them, so :meth:`start` refuses otherwise.

    :meth:`start` raises :class:`EmulatorRefused` when a guard holds (see :meth:`guard`).
    """

    def __init__(
        self,
        accounts: Iterable[Account] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        followers: int = 5,
        templates: int = 0,
        allow_remote_push: bool = False,
        oauth_domains: Iterable[str] | None = None,
        allow_remote: bool = False,
        allow_real_accounts: bool = False,
    ) -> None:
        self.accounts: list[Account] = (
            list(get_accounts().values()) if accounts is None else list(accounts)
        )
        if not self.accounts:
            raise ValueError("The emulator needs at least one account.")
        self.host = host
        self.port = port
        self.followers = followers
        if not 0 <= templates <= len(TEMPLATE_LIBRARY):
            raise ValueError(
                f"templates must be from 0 to {len(TEMPLATE_LIBRARY)} (the size of the "
                f"emulator's template library), not {templates}."
            )
        self.templates = templates
        self.allow_remote_push = allow_remote_push
        self.allow_remote = allow_remote
        self.allow_real_accounts = allow_real_accounts
        self.oauth_domains = None if oauth_domains is None else frozenset(oauth_domains)
        #: The secret the HTTP control API (``/_emulator/...``) wants in the
        #: ``X-Emulator-Token`` header; new for each emulator. The Python API needs none.
        #: Hex, so that it is safe to paste on a command line (a URL-safe token may
        #: start with "-", which argparse takes for an option).
        self.control_token = secrets.token_hex(24)
        self.clock = Clock()
        #: When True a new ``cgi-bin/token`` invalidates the previous token at once,
        #: instead of WeChat's five minutes of overlap.
        self.strict_token_rotation = False
        #: When set to an openid, ``connect/oauth2/authorize`` approves at once as
        #: that follower instead of showing the consent page (for tests).
        self.oauth_auto_approve: str | None = None
        #: How many openids ``cgi-bin/user/get`` returns per page (WeChat: 10,000).
        self.user_page_size = 10000
        #: Seconds between a template send and its TEMPLATESENDJOBFINISH push (to the
        #: account's ``state(...).callback_url``).
        self.job_event_delay = 0.2
        # One lock around all state: WeChat's token rules must hold when 64 clients
        # ask at once. Handlers do no I/O while holding it.
        self.lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._calls: list[Call] = []
        #: Per API: how many of its calls are being answered now, and the most ever at once.
        self._in_flight: collections.Counter[str] = collections.Counter()
        self._peak: collections.Counter[str] = collections.Counter()
        self._faults: list[Fault] = []
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, Code] = {}
        #: QR code tickets to the AppID that made them (showqrcode needs no token).
        self.qr_tickets: dict[str, str] = {}
        #: Every push made with :meth:`push`, oldest first.
        self.pushes: list[PushResult] = []
        self.states: dict[str, AccountState] = {}
        self._seed()

    # --- life cycle ----------------------------------------------------------------

    def real_accounts_reason(self) -> str | None:
        """Why the accounts may be a live site's, or None when they look local.

        They look local when ``DEBUG`` is on and ``WECHAT["API_BASE_URL"]`` is a loopback
        URL on this emulator's port (any port while it is 0): the site then talks to this
        emulator, not to WeChat. A URL whose host parsers disagree on (user info, a
        backslash...: :func:`~.http.url_host`) is not a loopback URL.
        """
        from django.conf import settings

        from ...conf import wechat_settings

        if not settings.DEBUG:
            return _("settings.DEBUG is False, so these may be a live site's accounts.")
        base_url = wechat_settings.API_BASE_URL
        host = url_host(base_url)
        local = host is not None and is_loopback(host)
        if local and self.port:
            parts = urlsplit(base_url)
            local = (parts.port or (443 if parts.scheme.lower() == "https" else 80)) == self.port
        if not local:
            return _(
                "WECHAT['API_BASE_URL'] is %(url)s, not this emulator, so these may be the "
                "accounts of a site that talks to WeChat."
            ) % {"url": base_url}
        return None

    def guard(self, *, strict: bool = False) -> list[str]:
        """Refuse to serve where, or what, the emulator must not; return the warnings.

        Raises :class:`EmulatorRefused` for a ``host`` beyond loopback without
        ``allow_remote``, and for accounts that may be real (:meth:`real_accounts_reason`)
        without ``allow_real_accounts`` when listening beyond loopback, or anywhere with
        ``strict`` (the ``wechat_emulator`` command, which runs on a site's settings).
        What is allowed but risky comes back as warnings. :meth:`start` calls it.
        """
        warnings: list[str] = []
        remote = not is_loopback(self.host)
        if remote:
            if not self.allow_remote:
                raise EmulatorRefused(
                    _(
                        "Refusing to listen on %(host)s: anyone who can reach it could use "
                        "the emulator."
                    )
                    % {"host": self.host},
                    "allow_remote",
                )
            warnings.append(
                _(
                    "Warning: listening on %(host)s, beyond loopback: anyone who can "
                    "reach it can call the emulator's API."
                )
                % {"host": self.host}
            )
        if remote or strict:
            reason = self.real_accounts_reason()
            if reason is not None:
                if not self.allow_real_accounts:
                    raise EmulatorRefused(
                        reason
                        + " "
                        + _("The emulator can sign callbacks with their TOKEN and AES key."),
                        "allow_real_accounts",
                    )
                warnings.append(_("Warning: %(reason)s") % {"reason": reason})
        return warnings

    def start(
        self, *, strict: bool = False, warn: Callable[[str], object] | None = None
    ) -> WeChatEmulator:
        """Start serving in a background thread; returns the emulator.

        Raises :class:`EmulatorRefused` when :meth:`guard` (with ``strict``) does; its
        warnings go to ``warn``, by default the ``django_wechat.testing.emulator`` logger.
        """
        if self._server is not None:
            return self
        for warning in self.guard(strict=strict):
            (warn or logger.warning)(warning)
        server = _Server((self.host, self.port), self)
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"WeChatEmulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the management command)."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        finally:
            self.stop()

    def __enter__(self) -> WeChatEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self._server is not None else "stopped"
        return f"<WeChatEmulator {state} accounts={[a.name for a in self.accounts]}>"

    @property
    def url(self) -> str:
        """The base URL, e.g. ``"http://127.0.0.1:54321"`` (the port is known once started)."""
        return f"http://{self.host}:{self.port}"

    def reset(self) -> None:
        """Forget every call, fault, token, code and change; back to the seeded state."""
        with self.lock:
            self.clock.reset()
            self.strict_token_rotation = False
            self.oauth_auto_approve = None
            self.user_page_size = 10000
            self.job_event_delay = 0.2
            self._calls.clear()
            self._peak.clear()
            self._faults.clear()
            self.pushes.clear()
            self._seed()

    def _seed(self) -> None:
        now = self.clock.now()
        self.tokens = {}
        self.codes = {}
        self.qr_tickets = {}
        self.states = {a.app_id: seed_account(a, self.followers, now) for a in self.accounts}
        for account in self.accounts:
            if account.kind is AccountKind.OFFICIAL:
                seed_templates(self.states[account.app_id], self.templates)
        if self.oauth_domains is not None:
            for state in self.states.values():
                state.oauth_domains = set(self.oauth_domains)

    # --- settings --------------------------------------------------------------------

    def settings_override(self) -> dict[str, Any]:
        """``settings.WECHAT`` with ``API_BASE_URL`` and ``OAUTH_BASE_URL`` pointing here.

        Without a WECHAT setting, the emulator's own accounts become ``ACCOUNTS``.
        """
        from django.conf import settings

        base = getattr(settings, "WECHAT", None)
        if not isinstance(base, Mapping):
            base = {"ACCOUNTS": {a.name: _account_settings(a) for a in self.accounts}}
        return {**base, "API_BASE_URL": self.url, "OAUTH_BASE_URL": self.url}

    @contextmanager
    def override_settings(self) -> Iterator[WeChatEmulator]:
        """Point ``settings.WECHAT`` at the emulator for the ``with`` block."""
        from django.test import override_settings

        with override_settings(WECHAT=self.settings_override()):
            yield self

    # --- accounts and followers -------------------------------------------------------

    def state(self, account: str | Account | None = None) -> AccountState:
        """The emulated state of an account, by AppID, name or :class:`Account`.

        Without an argument: the first account (``"default"`` from settings).
        """
        with self.lock:
            if account is None:
                return self.states[self.accounts[0].app_id]
            key = account.app_id if isinstance(account, Account) else account
            if key in self.states:
                return self.states[key]
            for a in self.accounts:
                if a.name == key:
                    return self.states[a.app_id]
        raise LookupError(f"The emulator has no account {key!r}.")

    def generate_followers(self, count: int, account: str | Account | None = None) -> None:
        """Give the account ``count`` more followers, ``o-gen-000000001`` ..., made on demand.

        They cost no memory until an API changes one, so a test or a benchmark can page
        through 1,000,000 followers; :meth:`reset` takes them away again.
        """
        if count < 0:
            raise ValueError("count must not be negative.")
        with self.lock:
            self.state(account).generated += count

    def record_message(self, openid: str, account: str | Account | None = None) -> None:
        """Note that ``openid`` just wrote to the account: opens the 48-hour window."""
        with self.lock:
            state = self.state(account)
            if openid not in state.followers:
                raise LookupError(f"{openid!r} does not follow {state.account.name!r}.")
            state.followers[openid].last_message_at = self.clock.now()

    def sent_messages(
        self, openid: str | None = None, account: str | Account | None = None
    ) -> list[dict[str, Any]]:
        """Customer-service and template messages delivered, oldest first."""
        with self.lock:
            sent = self.state(account).sent
            return [dict(m) for m in sent if openid is None or m["touser"] == openid]

    def js_code(self, openid: str, account: str | Account | None = None) -> str:
        """A mini program ``wx.login()`` code for ``openid`` (for ``sns/jscode2session``)."""
        with self.lock:
            state = self.state(account)
            code = "js-" + _short_id()
            self.codes[code] = Code(state.app_id, openid, "js_code", self.clock.now() + CODE_TTL)
            return code

    # --- pushing to a callback URL -------------------------------------------------------

    def push(
        self,
        url: str,
        message: Mapping[str, Any],
        *,
        account: str | Account | None = None,
        openid: str = "o-demo-follower-1",
        timeout: float = 5.0,
        attempts: int = 3,
        timestamp: int | None = None,
        nonce: str | None = None,
    ) -> PushResult:
        """Deliver ``message`` to the callback ``url`` the way WeChat does.

        :param message: the message's XML fields, e.g. ``{"MsgType": "text", "Content":
            "你好"}``; ToUserName, FromUserName (``openid``), CreateTime and MsgId are
            filled in.
        :param timeout: WeChat's deadline for an answer (5 s); slower answers are
            retried, up to ``attempts`` deliveries in all. Tests pass a short one.

        The query is signed, the body encrypted per the account's ENCRYPT_MODE, and the
        reply checked as WeChat checks it; :attr:`PushResult.error` says what WeChat
        would refuse. A follower's message opens their 48-hour service window.
        """
        result = push(
            self,
            url,
            message,
            account=account,
            openid=openid,
            timeout=timeout,
            attempts=attempts,
            timestamp=timestamp,
            nonce=nonce,
        )
        with self.lock:
            self.pushes.append(result)
        return result

    def push_text(self, url: str, content: str, **options: Any) -> PushResult:
        """Push a text message (``MsgType=text``); options as for :meth:`push`."""
        return self.push(url, {"MsgType": "text", "Content": content}, **options)

    def push_event(
        self, url: str, event: str, key: str | None = None, **options: Any
    ) -> PushResult:
        """Push an event (``subscribe``, ``CLICK`` with ``key``...); options as for :meth:`push`."""
        fields: dict[str, Any] = {"MsgType": "event", "Event": event}
        if key is not None:
            fields["EventKey"] = key
        return self.push(url, fields, **options)

    # --- tokens -----------------------------------------------------------------------

    def invalidate_tokens(self, app_id: str) -> None:
        """Make every current access_token of the account invalid (40001 from now on)."""
        with self.lock:
            state = self.state(app_id)
            now = self.clock.now()
            for token in self.tokens.values():
                if token.app_id == state.app_id and token.kind in ("token", "stable"):
                    token.revoked_at = (
                        now if token.revoked_at is None else min(token.revoked_at, now)
                    )
            state.current.clear()

    def check_token(self, value: str | None) -> AccountState:
        """The account a base access_token belongs to; WeChatFault 41001/40001/42001."""
        if not value:
            raise WeChatFault(41001)
        token = self.tokens.get(value)
        if token is None or token.kind not in ("token", "stable"):
            raise WeChatFault(40001)
        errcode = token.check(self.clock.now())
        if errcode:
            raise WeChatFault(errcode)
        return self.states[token.app_id]

    # --- faults and the call log ---------------------------------------------------------

    def fail(
        self,
        kind: str,
        *,
        api: str | None = None,
        times: int = 1,
        errcode: int | None = None,
        delay: float = 0,
    ) -> None:
        """Make the next ``times`` calls to ``api`` (or to any API) misbehave.

        :param kind: ``"errcode"`` (answer ``{"errcode": errcode}``, -1 by default; 45009
            for the daily quota), ``"http500"``, ``"http502"``, ``"delay"`` (answer
            normally after ``delay`` seconds), ``"drop"`` (close the connection without
            an answer) or ``"lost_answer"`` (carry the call out, log it, then wait
            ``delay`` seconds and close the connection: WeChat did it, but the answer
            never arrives).
        :param api: a path such as ``"cgi-bin/menu/create"``; None for every API.
        :param delay: seconds to wait before misbehaving (any kind; for
            ``"lost_answer"``, after carrying the call out).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault {kind!r}; use one of {', '.join(FAULT_KINDS)}.")
        if times < 1:
            raise ValueError("times must be at least 1.")
        if kind == "delay" and delay <= 0:
            raise ValueError("A 'delay' fault needs delay > 0 seconds.")
        with self.lock:
            self._faults.append(
                Fault(kind, api.strip("/") if api else None, times, errcode or -1, delay)
            )

    def calls(self, api: str | None = None) -> list[Call]:
        """Every call received (of ``api`` only, when given), oldest first."""
        with self.lock:
            if api is None:
                return list(self._calls)
            api = api.strip("/")
            return [c for c in self._calls if c.api == api]

    def count(self, api: str | None = None) -> int:
        """How many calls ``api`` (or every API) received."""
        return len(self.calls(api))

    def peak_in_flight(self, api: str) -> int:
        """The most calls of ``api`` the emulator was answering at once (since the last
        :meth:`reset`): how many a client sends in parallel, with a ``"delay"`` fault
        making each call last."""
        with self.lock:
            return self._peak[api.strip("/")]

    def _take_fault(self, api: str) -> Fault | None:
        for fault in self._faults:
            if fault.api is None or fault.api == api:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # --- serving ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply | None:
        """Answer one request (None: drop the connection). Called by the server threads."""
        if request.api.startswith(control.CONTROL_PREFIX):
            return control.handle(self, request)
        with self.lock:
            self._in_flight[request.api] += 1
            self._peak[request.api] = max(self._peak[request.api], self._in_flight[request.api])
        try:
            return self._answer(request)
        finally:
            with self.lock:
                self._in_flight[request.api] -= 1

    def _answer(self, request: Request) -> Reply | None:
        with self.lock:
            fault = self._take_fault(request.api)
        lost = fault if fault is not None and fault.kind == "lost_answer" else None
        if fault is not None and fault.delay > 0 and lost is None:
            time.sleep(fault.delay)
        app_id: str | None = request.query.get("appid")
        reply: Reply | None
        if fault is not None and fault.kind not in ("delay", "lost_answer"):
            reply = fault_reply(fault)
        else:
            fault = None
            route = ROUTES.get(request.api)
            if route is None:
                reply = Reply.json(
                    {"errcode": 404, "errmsg": f"django_wechat emulator: no API {request.api!r}"},
                    status=404,
                )
            else:
                with self.lock:
                    try:
                        if route.method and request.method != route.method:
                            raise WeChatFault(43002 if route.method == "POST" else 43001)
                        if route.needs_token:
                            state = self.check_token(request.query.get("access_token"))
                            app_id = state.app_id
                            reply = route.func(self, request, state)
                        else:
                            reply = route.func(self, request)
                    except WeChatFault as exc:
                        reply = Reply.json(error_body(exc.errcode, exc.errmsg))
                    except Exception:
                        # A bug in the emulator: answer, log it, and keep serving.
                        logger.exception("The WeChat emulator failed on %s", request.api)
                        reply = Reply.json(
                            {"errcode": -1, "errmsg": "django_wechat emulator error"}, status=500
                        )
        self._deliver_outbox()
        if lost is not None:
            # Logged as done (it was), then the answer is held back and dropped.
            self._log(request, reply, app_id, lost)
            time.sleep(lost.delay)
            return None
        self._log(request, reply, app_id, fault)
        return reply

    def _deliver_outbox(self) -> None:
        # Events a call caused (TEMPLATESENDJOBFINISH) go to the site's callback from a
        # thread of their own, after job_event_delay: WeChat sends them once the
        # follower's phone has the message, never inside the API call.
        with self.lock:
            pending = [(s, s.outbox.pop(0)) for s in self.states.values() for _ in list(s.outbox)]
        if pending:
            threading.Thread(
                target=self._push_events, args=(pending,), name="WeChatEmulator:events", daemon=True
            ).start()

    def _push_events(self, pending: list[tuple[AccountState, dict[str, Any]]]) -> None:
        time.sleep(self.job_event_delay)
        for state, fields in pending:
            if state.callback_url is None:
                continue
            try:
                self.push(state.callback_url, fields, account=state.app_id)
            except ValueError:
                logger.exception("The WeChat emulator cannot push to %s", state.callback_url)

    def wait_for_push(self, event: str, *, count: int = 1, timeout: float = 10.0) -> PushResult:
        """The ``count``-th push of ``event`` (e.g. ``"TEMPLATESENDJOBFINISH"``), once made;
        waits up to ``timeout`` seconds, then raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                done = [p for p in self.pushes if p.message.get("Event") == event]
            if len(done) >= count:
                return done[count - 1]
            if time.monotonic() > deadline:
                raise TimeoutError(f"No push of {event} number {count} in {timeout:g} s.")
            time.sleep(0.02)

    def _log(
        self, request: Request, reply: Reply | None, app_id: str | None, fault: Fault | None
    ) -> None:
        errcode: int | None = None
        if reply is not None and isinstance(reply.data, dict):
            errcode = int(reply.data.get("errcode", 0))
        body = request.parsed_body()
        if app_id is None and isinstance(body, dict) and isinstance(body.get("appid"), str):
            app_id = body["appid"]
        call = Call(
            api=request.api,
            method=request.method,
            query=redact(request.query),
            body=redact(body),
            app_id=app_id,
            status=0 if reply is None else reply.status,
            errcode=errcode,
            fault=fault.kind if fault is not None else None,
            time=self.clock.now(),
        )
        with self.lock:
            self._calls.append(call)


def _account_settings(account: Account) -> dict[str, Any]:
    base = {"KIND": account.kind.value, "APP_ID": account.app_id, "APP_SECRET": account.app_secret}
    if not account.receives_callbacks:
        return base
    return {
        **base,
        "TOKEN": account.token,
        "ENCODING_AES_KEY": account.encoding_aes_key,
        "ENCRYPT_MODE": account.encrypt_mode.value,
        "TOKEN_SOURCE": account.token_source.value,
    }


def _short_id() -> str:
    return secrets.token_urlsafe(24)
