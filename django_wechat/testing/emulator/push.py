"""WeChat's side of a callback: deliver a message to a callback URL the way WeChat does.

Signed (``signature``, and ``msg_signature`` when encrypted), encrypted per the account's
mode, retried when the answer is slower than the deadline (WeChat: 5 s, three tries in
all), and the reply checked the way WeChat checks it: ``success`` or empty, or XML that
(in safe mode) decrypts with the account's key and carries a valid MsgSignature.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from ...exceptions import DecryptError, InvalidSignature, ReplyError, XMLError
from ..callback import read_reply, seal
from .http import is_loopback, url_host
from .state import AccountState, Emulator

#: WeChat waits this long for an answer before it gives up and tries again (消息推送 doc:
#: "微信服务器在五秒内收不到响应会断掉连接，并且重新发起请求，总共重试三次").
DEADLINE = 5.0
#: How many deliveries in all. The doc's "总共重试三次" is read as three in total
#: (PROTOCOL.md B3 marks this uncertain); pass ``attempts=4`` for the other reading.
ATTEMPTS = 3
REPLY_TYPES = ("text", "image", "voice", "video", "music", "news", "transfer_customer_service")


@dataclass
class PushResult:
    """What happened when the emulator pushed a message to a callback URL."""

    url: str
    #: The plaintext message pushed (the XML fields, as sent).
    message: dict[str, Any]
    #: How many deliveries were made (more than 1 when answers were too slow).
    attempts: int = 0
    #: The HTTP status of the last answer; None when no answer came.
    status: int | None = None
    #: The answer's body as received.
    body: str = ""
    #: The plaintext reply XML (decrypted when the reply was encrypted); "" for none.
    reply_xml: str = ""
    #: The reply's fields; None for ``success``/empty (no reply).
    reply: dict[str, Any] | None = None
    #: True when the reply came encrypted.
    encrypted: bool = False
    #: Why WeChat would show the follower "该公众号暂时无法提供服务，请稍后再试"; None when fine.
    error: str | None = None
    #: The query string sent with the last delivery.
    query: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when WeChat would accept the answer."""
        return self.error is None

    @property
    def content(self) -> str | None:
        """A text reply's ``Content``, else None."""
        if self.reply is None:
            return None
        value = self.reply.get("Content")
        return value if isinstance(value, str) else None


def build_message(
    state: AccountState, now: float, fields: Mapping[str, Any], openid: str
) -> dict[str, Any]:
    """The full message: ``fields`` plus ToUserName, FromUserName, CreateTime and, for
    messages that are not events, a MsgId."""
    message: dict[str, Any] = {
        "ToUserName": state.original_id,
        "FromUserName": openid,
        "CreateTime": int(now),
    }
    message.update(fields)
    message.setdefault("MsgType", "text")
    if message["MsgType"] != "event":
        message.setdefault("MsgId", int.from_bytes(secrets.token_bytes(7), "big"))
    return message


def push(
    emulator: Emulator,
    url: str,
    fields: Mapping[str, Any],
    *,
    account: Any = None,
    openid: str = "o-demo-follower-1",
    timeout: float = DEADLINE,
    attempts: int = ATTEMPTS,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> PushResult:
    """Deliver one message to ``url`` as WeChat would; see :meth:`WeChatEmulator.push`."""
    check_target(url, allow_remote=emulator.allow_remote_push)
    with emulator.lock:
        state = emulator.state(account)
        now = emulator.clock.now()
        message = build_message(state, now, fields, str(fields.get("FromUserName", openid)))
        _note_follower(state, message, now)
    # The signature's timestamp is the wall clock (the callback checks it against its
    # own); CreateTime follows the emulator's clock.
    body, query = seal(
        state.account,
        message,
        timestamp=timestamp,
        nonce=nonce or str(secrets.randbelow(10**10)),
    )
    result = PushResult(url=url, message=message, query=query)
    with requests.Session() as session:
        # No proxy from the environment: a proxy would make "127.0.0.1" its own loopback.
        session.trust_env = False
        for attempt in range(1, attempts + 1):
            result.attempts = attempt
            try:
                response = session.post(
                    url,
                    params=query,
                    data=body,
                    headers={
                        "Content-Type": "text/xml; charset=utf-8",
                        "User-Agent": "Mozilla/4.0",
                    },
                    timeout=timeout,
                    allow_redirects=False,
                )
            except requests.Timeout:
                result.error = f"no answer within {timeout:g} s"
                continue
            except requests.ConnectionError as exc:
                result.error = f"connection failed: {type(exc).__name__}"
                continue
            result.status = response.status_code
            result.body = response.content.decode("utf-8", "replace")
            result.error = None
            _check_reply(state, message, response, result)
            break
    return result


def check_target(url: str, *, allow_remote: bool = False) -> None:
    """Refuse (ValueError) a push to anything but an http(s) URL on loopback.

    A push is a genuine callback, signed with the account's TOKEN (and encrypted with its
    key): sent elsewhere it could be a forged message to a live site, or a request into
    a network the emulator can reach and its caller cannot.
    """
    host = url_host(url)
    if host is None:
        raise ValueError(
            f"Cannot push to {url!r}: not an absolute http(s) URL without user info, "
            "backslashes, spaces or non-ASCII characters."
        )
    if not allow_remote and not is_loopback(host):
        raise ValueError(
            f"Cannot push to {url!r}: the emulator pushes only to loopback URLs "
            "(127.0.0.0/8, ::1, localhost). Create it with allow_remote_push=True to push "
            "elsewhere."
        )


def _note_follower(state: AccountState, message: Mapping[str, Any], now: float) -> None:
    follower = state.followers.get(str(message["FromUserName"]))
    if follower is None:
        return
    event = str(message.get("Event", "")).lower()
    if message["MsgType"] != "event":
        follower.last_message_at = now  # opens the 48-hour customer-service window
    elif event == "subscribe":
        follower.subscribe = 1
    elif event == "unsubscribe":
        follower.subscribe = 0


def _check_reply(
    state: AccountState,
    message: Mapping[str, Any],
    response: requests.Response,
    result: PushResult,
) -> None:
    if response.status_code != 200:
        result.error = f"HTTP {response.status_code}"
        return
    try:
        answer = read_reply(response.content, account=state.account)
    except XMLError as exc:
        result.error = f"the reply is not valid XML: {exc}"
        return
    except (InvalidSignature, DecryptError) as exc:
        result.error = f"the encrypted reply does not verify or decrypt: {exc}"
        return
    except ReplyError as exc:
        result.error = str(exc)
        return
    if answer.empty:
        return  # ``success`` or empty: no reply, and no encryption needed (消息推送 doc)
    result.reply_xml = answer.xml
    result.encrypted = answer.encrypted
    reply = result.reply = answer.fields
    problems = []
    if reply.get("ToUserName") != message["FromUserName"]:
        problems.append("ToUserName is not the follower's openid")
    if reply.get("FromUserName") != message["ToUserName"]:
        problems.append("FromUserName is not the account's original id")
    if not str(reply.get("CreateTime", "")).isdigit():
        problems.append("CreateTime is not a number")
    if reply.get("MsgType") not in REPLY_TYPES:
        problems.append(f"MsgType {reply.get('MsgType')!r} is not a reply type")
    if problems:
        result.error = "; ".join(problems)
