"""Why a WeChat login failed: one reason per branch, each with its page's status and words."""

from __future__ import annotations

from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..exceptions import WeChatError


class Reason(StrEnum):
    """What went wrong; the error page's ``reason`` (and its CSS class)."""

    DENIED = "denied"  #: the follower refused consent (WeChat came back without ``code``)
    STATE_MISSING = "state_missing"  #: no (or a malformed) ``state``
    STATE_EXPIRED = "state_expired"  #: a ``state`` we don't know: expired, or never ours
    STATE_OTHER_BROWSER = "state_other_browser"  #: a ``state`` issued to another browser
    SCOPE_INVALID = "scope_invalid"  #: ``?scope=`` is neither snsapi_base nor snsapi_userinfo
    CODE_INVALID = "code_invalid"  #: WeChat refused the code (40029, 40163, 41008, 42003)
    CODE_USED = "code_used"  #: the code was exchanged already (here, by another login)
    SNAPSHOT = "snapshot"  #: a snapshot-page (快照页) virtual user
    SIGNUP_CLOSED = "signup_closed"  #: the adapter allows no new users
    INACTIVE = "inactive"  #: the Django user exists but may not log in
    NOT_ALLOWED = "not_allowed"  #: the adapter's ``can_log_in()`` refused the user
    WECHAT_REFUSED = "wechat_refused"  #: any other errcode (a wrong AppSecret, 48001 ...)
    UNREACHABLE = "unreachable"  #: WeChat could not be reached (a TransportError)
    BUSY = "busy"  #: another load of the same callback is still running
    NOT_CONFIGURED = "not_configured"  #: WeChatBackend is not in AUTHENTICATION_BACKENDS
    ERROR = "error"  #: anything unexpected (logged with its traceback)
    # The mini-program login's own (its JSON errors' ``code``):
    HIGH_RISK = "high_risk"  #: jscode2session's 40226: WeChat blocks a high-risk user
    RATE_LIMITED = "rate_limited"  #: 45011, or this client's MINIPROGRAM_LOGIN_RATE
    BAD_REQUEST = "bad_request"  #: not a JSON object with a ``code`` string
    LOGIN_REQUIRED = "login_required"  #: the phone number asked for by an anonymous user


#: The HTTP status of each reason's page: the follower's or the link's fault is 400,
#: a refusal by the site 403, WeChat's or the site's own trouble 502.
STATUS: dict[Reason, int] = {
    Reason.DENIED: 400,
    Reason.STATE_MISSING: 400,
    Reason.STATE_EXPIRED: 400,
    Reason.STATE_OTHER_BROWSER: 400,
    Reason.SCOPE_INVALID: 400,
    Reason.CODE_INVALID: 400,
    Reason.CODE_USED: 400,
    Reason.SNAPSHOT: 400,
    Reason.SIGNUP_CLOSED: 403,
    Reason.INACTIVE: 403,
    Reason.NOT_ALLOWED: 403,
    Reason.WECHAT_REFUSED: 502,
    Reason.UNREACHABLE: 502,
    Reason.BUSY: 502,
    Reason.NOT_CONFIGURED: 502,
    Reason.ERROR: 502,
    Reason.HIGH_RISK: 403,
    Reason.RATE_LIMITED: 429,
    Reason.BAD_REQUEST: 400,
    Reason.LOGIN_REQUIRED: 401,
}

#: What the page says for each reason: a title and a sentence.
MESSAGES: dict[Reason, tuple[Promise, Promise]] = {
    Reason.DENIED: (
        _("You did not allow the login"),
        _("You chose not to let this site know who you are on WeChat."),
    ),
    Reason.STATE_MISSING: (
        _("This login link is incomplete"),
        _("The link WeChat sent you back with is missing its state."),
    ),
    Reason.STATE_EXPIRED: (
        _("This login has expired"),
        _("A login must be finished within a few minutes, and each link works once."),
    ),
    Reason.STATE_OTHER_BROWSER: (
        _("This login was started elsewhere"),
        _("The login link belongs to another browser or tab."),
    ),
    Reason.SCOPE_INVALID: (
        _("This login link is wrong"),
        _("The scope must be snsapi_base or snsapi_userinfo."),
    ),
    Reason.CODE_INVALID: (
        _("WeChat did not accept this login"),
        _("The authorization code was invalid, expired or already used."),
    ),
    Reason.CODE_USED: (
        _("This login was already used"),
        _("The authorization code was used by another login."),
    ),
    Reason.SNAPSHOT: (
        _("Please use the full service"),
        _(
            "You are viewing a snapshot of this page. Tap “使用完整服务” (Use full service) "
            "at the bottom right to log in."
        ),
    ),
    Reason.SIGNUP_CLOSED: (
        _("Sign-up is closed"),
        _("This site does not accept new users through WeChat."),
    ),
    Reason.INACTIVE: (
        _("This account is disabled"),
        _("The user linked to your WeChat account may not log in."),
    ),
    Reason.NOT_ALLOWED: (
        _("Log in another way"),
        _("The user linked to your WeChat account cannot log in with WeChat on this site."),
    ),
    Reason.WECHAT_REFUSED: (
        _("WeChat refused the login"),
        _("WeChat did not accept the site's request. The site's team has been told."),
    ),
    Reason.UNREACHABLE: (
        _("WeChat could not be reached"),
        _("The site could not talk to WeChat just now."),
    ),
    Reason.BUSY: (
        _("The login is still in progress"),
        _("Another load of this page is still logging you in."),
    ),
    Reason.NOT_CONFIGURED: (
        _("WeChat login is not set up"),
        _("The site's WeChat login is not configured. The site's team has been told."),
    ),
    Reason.ERROR: (
        _("The login failed"),
        _("Something went wrong on the site. The site's team has been told."),
    ),
    Reason.HIGH_RISK: (
        _("WeChat blocked this login"),
        _("WeChat considers this login risky and refused it."),
    ),
    Reason.RATE_LIMITED: (
        _("Too many logins"),
        _("Too many login attempts in a short time; try again in a minute."),
    ),
    Reason.BAD_REQUEST: (
        _("This request is wrong"),
        _("Send a JSON object with the code from WeChat."),
    ),
    Reason.LOGIN_REQUIRED: (
        _("Please log in first"),
        _("Log in with WeChat before asking for this."),
    ),
}


class LoginFailure(WeChatError):
    """A WeChat login that cannot go on; turned into the error page, never raised to Django.

    ``detail`` is for the log (an API path and errcode, never a code or a token).
    """

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason = Reason(reason)
        self.detail = detail
        super().__init__(f"{self.reason.value}: {detail}" if detail else self.reason.value)

    @property
    def status(self) -> int:
        """The error page's HTTP status."""
        return STATUS[self.reason]
