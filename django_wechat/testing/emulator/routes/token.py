"""The emulated credential APIs: ``cgi-bin/token``, ``cgi-bin/stable_token`` and
``cgi-bin/ticket/getticket``, with WeChat's rules for rotation and expiry.
"""

from __future__ import annotations

import secrets
from typing import Any

from ..http import Reply, Request, WeChatFault, route
from ..state import (
    STABLE_RENEW_BEFORE,
    TOKEN_OVERLAP,
    TOKEN_TTL,
    AccountState,
    Emulator,
    Token,
    new_token,
)

TICKET_TYPES = ("jsapi", "wx_card")


def check_app(emulator: Emulator, app_id: Any, secret: Any) -> AccountState:
    """The account for ``appid``/``secret``: 41002/40013 for the appid, 41004/40125 the secret."""
    if not app_id:
        raise WeChatFault(41002)
    state = emulator.states.get(str(app_id))
    if state is None:
        raise WeChatFault(40013)
    if not secret:
        raise WeChatFault(41004)
    if not secrets.compare_digest(str(secret).encode(), state.account.app_secret.encode()):
        raise WeChatFault(40125)
    return state


def issue(emulator: Emulator, state: AccountState, kind: str) -> Token:
    """A new base token of ``kind``; the previous one of that kind stops working after
    WeChat's five-minute overlap (at once with ``strict_token_rotation``).
    """
    now = emulator.clock.now()
    previous = state.current.get(kind)
    if previous is not None:
        # AccessToken doc: "在刷新过程中，5分钟内，新老 access_token 都可使用".
        cutoff = now if emulator.strict_token_rotation else now + TOKEN_OVERLAP
        if previous.revoked_at is None or previous.revoked_at > cutoff:
            previous.revoked_at = cutoff
    token = Token(new_token(), state.app_id, kind, now, now + TOKEN_TTL)
    emulator.tokens[token.value] = token
    state.current[kind] = token
    return token


def _answer(emulator: Emulator, token: Token) -> Reply:
    expires_in = round(token.expires_at - emulator.clock.now())
    return Reply.json({"access_token": token.value, "expires_in": expires_in})


@route("cgi-bin/token", method="GET", needs_token=False)
def token(emulator: Emulator, request: Request) -> Reply:
    """``GET cgi-bin/token?grant_type=client_credential&appid=...&secret=...``.

    Every call issues a new token, even while the previous one is valid: that is what
    makes a fleet of workers fetching their own tokens invalidate each other.
    """
    query = request.query
    if query.get("grant_type") != "client_credential":
        raise WeChatFault(40002)
    state = check_app(emulator, query.get("appid"), query.get("secret"))
    return _answer(emulator, issue(emulator, state, "token"))


@route("cgi-bin/stable_token", method="POST", needs_token=False)
def stable_token(emulator: Emulator, request: Request) -> Reply:
    """``POST cgi-bin/stable_token`` ``{grant_type, appid, secret, force_refresh}``.

    Returns the current stable token while it has more than five minutes left (the
    platform renews it then); ``force_refresh`` issues a new one. Stable tokens are
    independent of ``cgi-bin/token``'s: fetching one never invalidates the other.
    """
    body = request.json()
    if body.get("grant_type") != "client_credential":
        raise WeChatFault(40002)
    state = check_app(emulator, body.get("appid"), body.get("secret"))
    force = body.get("force_refresh", False)
    if not isinstance(force, bool):
        raise WeChatFault(47001)
    now = emulator.clock.now()
    current = state.current.get("stable")
    if (
        force
        or current is None
        or current.check(now) != 0
        or current.expires_at - now <= STABLE_RENEW_BEFORE
    ):
        current = issue(emulator, state, "stable")
    return _answer(emulator, current)


@route("cgi-bin/ticket/getticket", method="GET")
def getticket(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/ticket/getticket?access_token=...&type=jsapi|wx_card``.

    The same ticket until it expires (7200 s), as WeChat answers.
    """
    kind = request.query.get("type", "")
    if kind not in TICKET_TYPES:
        raise WeChatFault(40097)
    now = emulator.clock.now()
    ticket = state.tickets.get(kind)
    if ticket is None or ticket[1] <= now:
        ticket = (secrets.token_urlsafe(64), now + TOKEN_TTL)
        state.tickets[kind] = ticket
    return Reply.ok(ticket=ticket[0], expires_in=round(ticket[1] - now))
