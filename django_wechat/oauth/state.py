"""The login's ``state``: kept server-side, bound to the browser when its cookie comes back.

WeChat's in-app browser is known to lose the session cookie between our redirect and
WeChat's callback (overtrue/socialite #97), so what a state stands for (account, scope,
``next``) lives in the shared cache (``WECHAT["CACHE"]``) under the state itself, not in
the session. The state is 32 random letters and digits (WeChat allows ``a-zA-Z0-9``, at
most 128 bytes), lives ``WECHAT["OAUTH_STATE_TIMEOUT"]`` seconds and serves one login.

The login also sets a cookie with a random nonce (reused while it lives, so two tabs share
it), and the state records the nonce's digest. When the callback brings the cookie, it
must match; when it brings none, the state alone is trusted: that is the gap a lost
cookie leaves (login CSRF with a callback URL an attacker started), documented in
docs/oauth.rst.

The callback is idempotent: the first load with a state claims it and stores its outcome;
a second load (WeChat's webview is known to load the callback twice) waits for that
outcome and gets the same one, without a second exchange of the code.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.core.cache import BaseCache, caches
from django.utils.crypto import constant_time_compare, get_random_string

from ..cache import call, oauth_claim_key, oauth_outcome_key, oauth_state_key
from ..conf import wechat_settings

__all__ = [
    "BINDING_COOKIE",
    "LoginState",
    "Outcome",
    "issue_state",
    "load_state",
    "new_nonce",
    "run_once",
    "valid_nonce",
]

#: The cookie that binds a state to the browser that asked for it.
BINDING_COOKIE = "wechat_oauth"
#: WeChat's rule for ``state``: "a-zA-Z0-9的参数值，最多128字节" (网页授权 doc).
STATE_RE = re.compile(r"[A-Za-z0-9]{1,128}")
STATE_LENGTH = 32
_NONCE_RE = re.compile(r"[A-Za-z0-9]{32}")
#: How long a second load waits for the first one's outcome, at most (seconds).
WAIT_FOR_OUTCOME = 15.0


def _cache() -> BaseCache:
    return caches[wechat_settings.CACHE]


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def new_nonce() -> str:
    """A fresh browser nonce for :data:`BINDING_COOKIE`."""
    return get_random_string(32)


def valid_nonce(value: str) -> bool:
    """Is ``value`` a nonce we could have set?"""
    return _NONCE_RE.fullmatch(value) is not None


@dataclass(frozen=True)
class LoginState:
    """What one login's ``state`` stands for."""

    value: str
    account: str
    scope: str
    next: str
    #: The SHA-256 of the browser's nonce.
    binding: str

    def matches(self, nonce: str) -> bool:
        """Did the browser that brought ``nonce`` start this login?"""
        return constant_time_compare(_digest(nonce), self.binding)


def issue_state(account: str, scope: str, next_url: str, nonce: str) -> LoginState:
    """A new state for one login, stored for ``OAUTH_STATE_TIMEOUT`` seconds; raises
    :class:`~django_wechat.cache.CacheFailed` when the cache does."""
    state = LoginState(get_random_string(STATE_LENGTH), account, scope, next_url, _digest(nonce))
    record = {k: v for k, v in asdict(state).items() if k != "value"}
    call(_cache().set, oauth_state_key(state.value), record, wechat_settings.OAUTH_STATE_TIMEOUT)
    return state


def load_state(value: str) -> LoginState | None:
    """The state called ``value``, or None when it is malformed, expired or not ours."""
    if not STATE_RE.fullmatch(value):
        return None
    record = call(_cache().get, oauth_state_key(value))
    if not isinstance(record, dict):
        return None
    try:
        return LoginState(value=value, **record)
    except TypeError:
        return None


@dataclass(frozen=True)
class Outcome:
    """How the callback with a state ended: a logged-in user, or the failure's reason.

    A login also records what a later load must bring to be given the same user: the
    SHA-256 of the first load's code, and whether that load came with the browser's
    binding cookie (:meth:`admits`).
    """

    user_pk: str = ""
    backend: str = ""
    next: str = ""
    failure: str = ""
    code: str = ""
    bound: bool = False

    @classmethod
    def logged_in(
        cls, user_pk: str, backend: str, next_url: str, *, code: str, bound: bool
    ) -> Outcome:
        """The outcome of a first load that logged ``user_pk`` in with ``code``, from a
        browser that brought its binding cookie (``bound``) or not."""
        return cls(user_pk, backend, next_url, code=_digest(code), bound=bound)

    def admits(self, code: str, bound: bool) -> bool:
        """May a later load with ``code`` (from a browser with its binding cookie, or
        not) be given this login? Only with the same code, and with the cookie when the
        first load had it: else the callback URL, seen in a log, would log anyone in."""
        return constant_time_compare(_digest(code), self.code) and (bound or not self.bound)


def run_once(state: LoginState, attempt: Callable[[], Outcome]) -> tuple[Outcome, bool]:
    """Run ``attempt`` for the first load with ``state``; later loads get its outcome.

    Returns the outcome and whether this call ran it. A later load waits up to
    :data:`WAIT_FOR_OUTCOME` seconds for the first to finish, then gets
    ``Outcome(failure="busy")``.
    """
    cache = _cache()
    timeout = wechat_settings.OAUTH_STATE_TIMEOUT
    if call(cache.add, oauth_claim_key(state.value), "1", timeout):
        try:
            outcome = attempt()
        except BaseException:
            call(
                cache.set, oauth_outcome_key(state.value), asdict(Outcome(failure="error")), timeout
            )
            raise
        call(cache.set, oauth_outcome_key(state.value), asdict(outcome), timeout)
        return outcome, True
    deadline = time.monotonic() + WAIT_FOR_OUTCOME
    while True:
        stored = call(cache.get, oauth_outcome_key(state.value))
        if isinstance(stored, dict):
            return Outcome(**stored), False
        if time.monotonic() >= deadline:
            return Outcome(failure="busy"), False
        time.sleep(0.05)
