"""The emulator's control API (``/_emulator/...``), for tests in another process and the demo.

``POST _emulator/fail`` (the arguments of :meth:`~.server.WeChatEmulator.fail` as JSON),
``POST _emulator/reset``, ``POST _emulator/clock/advance`` ``{"seconds": n}``,
``POST _emulator/invalidate_tokens`` ``{"app_id": ...}``,
``POST _emulator/strict_token_rotation`` ``{"enabled": true}``,
``POST _emulator/js_code`` ``{"openid": ..., "app_id": ...}``,
``POST _emulator/push`` ``{"url": ..., "message": {...}, "timeout": 5}``,
``POST _emulator/template_events`` ``{"url": ..., "status": "success", "account": ...}``
(where TEMPLATESENDJOBFINISH is pushed after each template send, with which ``Status``),
``GET _emulator/calls?api=...``, ``GET _emulator/sent?openid=...``. Each needs the
emulator's ``control_token`` in the ``X-Emulator-Token`` header (a GET may pass it as
``?token=``), and each POST a JSON body. ``GET _emulator/media/<media_id>`` needs none:
it stands in for the video URLs of ``cgi-bin/media/get``.

Each action is a small function in :data:`ACTIONS`; one answering None answers
``{"ok": true}``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ...conf import Account
from .http import Call, Reply, Request, WeChatFault
from .push import PushResult, check_target
from .state import Emulator

#: Paths of the control API (for tests in other processes and the demo).
CONTROL_PREFIX = "_emulator/"
#: The header that carries ``WeChatEmulator.control_token`` to the control API.
CONTROL_TOKEN_HEADER = "X-Emulator-Token"


class Controlled(Emulator, Protocol):
    """What the control API drives: :class:`~.server.WeChatEmulator`'s Python API."""

    @property
    def accounts(self) -> Sequence[Account]:
        """The emulated accounts."""

    @property
    def control_token(self) -> str:
        """The secret the control API wants."""

    def fail(
        self, kind: str, *, api: str | None, times: int, errcode: int | None, delay: float
    ) -> None:
        """Stage a fault."""

    def reset(self) -> None:
        """Back to the seeded state."""

    def invalidate_tokens(self, app_id: str) -> None:
        """Invalidate an account's current tokens."""

    def js_code(self, openid: str, account: Any = None) -> str:
        """A mini program login code."""

    def calls(self, api: str | None = None) -> list[Call]:
        """The call log."""

    def sent_messages(self, openid: str | None = None) -> list[dict[str, Any]]:
        """The messages delivered."""

    def push(
        self,
        url: str,
        message: Mapping[str, Any],
        *,
        account: Any,
        openid: str,
        timeout: float,
        attempts: int,
    ) -> PushResult:
        """Deliver a message to a callback URL."""


#: A control action: ``action(emulator, request, json_arguments)``.
Action = Callable[[Controlled, Request, dict[str, Any]], Reply | None]


def _fail(emulator: Controlled, request: Request, args: dict[str, Any]) -> None:
    emulator.fail(
        str(args.get("kind", "")),
        api=args.get("api"),
        times=int(args.get("times", 1)),
        errcode=args.get("errcode"),
        delay=float(args.get("delay", 0)),
    )


def _reset(emulator: Controlled, request: Request, args: dict[str, Any]) -> None:
    emulator.reset()


def _advance_clock(emulator: Controlled, request: Request, args: dict[str, Any]) -> None:
    emulator.clock.advance(float(args.get("seconds", 0)))


def _invalidate_tokens(emulator: Controlled, request: Request, args: dict[str, Any]) -> None:
    emulator.invalidate_tokens(str(args.get("app_id", emulator.accounts[0].app_id)))


def _strict_token_rotation(emulator: Controlled, request: Request, args: dict[str, Any]) -> None:
    emulator.strict_token_rotation = bool(args.get("enabled", True))


def _js_code(emulator: Controlled, request: Request, args: dict[str, Any]) -> Reply:
    return Reply.json({"js_code": emulator.js_code(str(args["openid"]), args.get("app_id"))})


def _calls(emulator: Controlled, request: Request, args: dict[str, Any]) -> Reply:
    calls = emulator.calls(request.query.get("api") or None)
    return Reply.json({"calls": [call_dict(c) for c in calls]})


def _push(emulator: Controlled, request: Request, args: dict[str, Any]) -> Reply:
    result = emulator.push(
        str(args["url"]),
        dict(args.get("message") or {}),
        account=args.get("account"),
        openid=str(args.get("openid", "o-demo-follower-1")),
        timeout=float(args.get("timeout", 5.0)),
        attempts=int(args.get("attempts", 3)),
    )
    return Reply.json(
        {
            "ok": result.ok,
            "error": result.error,
            "attempts": result.attempts,
            "status": result.status,
            "reply": result.reply,
        }
    )


def _sent(emulator: Controlled, request: Request, args: dict[str, Any]) -> Reply:
    return Reply.json({"sent": emulator.sent_messages(request.query.get("openid") or None)})


def _template_events(emulator: Controlled, request: Request, args: dict[str, Any]) -> None:
    # Where TEMPLATESENDJOBFINISH goes, with which Status: {"url", "status", "account"}.
    url = args.get("url")
    if url is not None:
        check_target(str(url), allow_remote=emulator.allow_remote_push)
    with emulator.lock:
        state = emulator.state(args.get("account"))
        state.callback_url = None if url is None else str(url)
        if "status" in args:
            state.template_job_status = None if args["status"] is None else str(args["status"])


#: The control actions, by path after ``_emulator/``.
ACTIONS: dict[str, Action] = {
    "fail": _fail,
    "reset": _reset,
    "clock/advance": _advance_clock,
    "invalidate_tokens": _invalidate_tokens,
    "strict_token_rotation": _strict_token_rotation,
    "js_code": _js_code,
    "calls": _calls,
    "push": _push,
    "sent": _sent,
    "template_events": _template_events,
}


def handle(emulator: Controlled, request: Request) -> Reply:
    """Answer one request to the control API (a path under :data:`CONTROL_PREFIX`)."""
    action = request.api[len(CONTROL_PREFIX) :]
    if action.startswith("media/") and request.method in ("GET", "HEAD"):
        # Stands in for the video URLs of cgi-bin/media/get, which need no token.
        return _media_download(emulator, action.removeprefix("media/"))
    refused = _refuse_control(emulator, request)
    if refused is not None:
        return refused
    try:
        args: dict[str, Any] = request.json() if request.method == "POST" else {}
    except WeChatFault:
        args = {}
    act = ACTIONS.get(action)
    if act is None:
        return Reply.json({"error": f"unknown control action {action!r}"}, status=404)
    try:
        reply = act(emulator, request, args)
    except (ValueError, KeyError, LookupError, TypeError) as exc:
        return Reply.json({"error": str(exc)}, status=400)
    return Reply.json({"ok": True}) if reply is None else reply


def _refuse_control(emulator: Controlled, request: Request) -> Reply | None:
    """The answer for a control request that may not act, or None.

    A web page can make a browser POST a ``text/plain`` body to 127.0.0.1 without
    asking first, but not a JSON one nor one with a custom header (both need a CORS
    preflight, which this server does not answer): requiring both keeps other sites
    from driving the emulator. GETs may carry the token as ``?token=``, so the call
    log opens in a browser.
    """
    if request.method == "POST":
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return Reply.json(
                {"error": "the control API takes Content-Type: application/json"},
                status=415,
            )
    given = request.headers.get(CONTROL_TOKEN_HEADER.lower(), "")
    if not given and request.method in ("GET", "HEAD"):
        given = request.query.get("token", "")
    if not hmac.compare_digest(given.encode(), emulator.control_token.encode()):
        return Reply.json(
            {
                "error": f"the control API needs the emulator's control token in the "
                f"{CONTROL_TOKEN_HEADER} header (WeChatEmulator.control_token; the "
                f"wechat_emulator command prints it)"
            },
            status=403,
        )
    return None


def _media_download(emulator: Emulator, media_id: str) -> Reply:
    with emulator.lock:
        for state in emulator.states.values():
            media = state.media.get(media_id)
            if media is not None:
                return Reply(200, media.content, media.content_type)
    return Reply(404, b"")


def call_dict(call: Call) -> dict[str, Any]:
    """A call of the log as JSON, for ``GET _emulator/calls``."""
    return {
        "api": call.api,
        "method": call.method,
        "query": dict(call.query),
        "body": call.body,
        "app_id": call.app_id,
        "status": call.status,
        "errcode": call.errcode,
        "fault": call.fault,
        "time": call.time,
    }
