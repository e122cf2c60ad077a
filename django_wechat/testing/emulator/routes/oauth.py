"""The emulated web OAuth (网页授权) and website QR login (网站应用微信登录).

``connect/oauth2/authorize`` (an official account) serves a consent page: pick a demo
follower, approve or deny; WeChat then redirects to ``redirect_uri`` with ``code`` and
``state`` (or only ``state`` when denied). ``connect/qrconnect`` (a website app, scope
``snsapi_login``) serves the desktop page with the QR code, where a button stands in for
scanning it with the phone and confirming. The code is single-use and lives five minutes.
``sns/oauth2/access_token``, ``sns/oauth2/refresh_token``, ``sns/userinfo`` and
``sns/auth`` follow.
"""

from __future__ import annotations

import secrets
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from ....conf import AccountKind
from ..http import Reply, Request, WeChatFault, route, url_host
from ..state import (
    CODE_TTL,
    REFRESH_TTL,
    TOKEN_TTL,
    AccountState,
    Code,
    Emulator,
    Follower,
    Token,
    new_token,
)
from .common import take_code
from .token import check_app

SCOPES = ("snsapi_base", "snsapi_userinfo")
#: The website QR login's one scope (网站应用微信登录).
QR_SCOPE = "snsapi_login"
AUTHORIZE = "connect/oauth2/authorize"
CONFIRM = "connect/oauth2/authorize/confirm"
QRCONNECT = "connect/qrconnect"
#: The scopes whose token answer carries the unionid and which may call sns/userinfo.
PROFILE_SCOPES = ("snsapi_userinfo", QR_SCOPE)


class _PageError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(code, message)


def _params(
    emulator: Emulator, values: dict[str, str], qr: bool | None = None
) -> tuple[AccountState, dict[str, str]]:
    """Check the authorize parameters as WeChat's page does (网页授权 doc, error codes
    10003 redirect_uri, 10005 scope)."""
    state = emulator.states.get(values.get("appid", ""))
    if state is None:
        raise _PageError("", _("The appid parameter is wrong."))
    if qr is None:  # the consent form: the flow its account started
        qr = state.account.kind is AccountKind.WEBSITE
    if qr and state.account.kind is not AccountKind.WEBSITE:
        # qrconnect takes only a website app's AppID: "Scope参数错误或没有Scope权限".
        raise _PageError("", _("The appid has no permission for scope snsapi_login."))
    if not qr and state.account.kind is AccountKind.WEBSITE:
        # 网页授权's list of page errors: "10016 不支持微信开放平台的Appid,请使用公众号Appid".
        raise _PageError("10016", _("An open-platform AppID cannot use this page."))
    if state.account.kind is AccountKind.MINIPROGRAM:
        raise _PageError("", _("The appid parameter is wrong."))
    redirect_uri = values.get("redirect_uri", "")
    host = url_host(redirect_uri)
    if host is None:
        raise _PageError(
            "10003",
            _(
                "redirect_uri %(uri)s is not a plain absolute http(s) URL (no user info, "
                "backslash, space or non-ASCII character)."
            )
            % {"uri": redirect_uri},
        )
    port = urlsplit(redirect_uri).port
    if not _domain_allowed(state, host, port):
        # WeChat's page: "redirect_uri域名与后台配置不一致" (10003).
        raise _PageError(
            "10003",
            _(
                "redirect_uri's domain %(host)s is not one of the account's web "
                "authorisation domains."
            )
            % {"host": host},
        )
    if values.get("response_type") != "code":
        raise _PageError("", _("response_type must be 'code'."))
    scope = values.get("scope", "")
    if scope not in ((QR_SCOPE,) if qr else SCOPES):
        raise _PageError(
            "10005", _("The account has no permission for scope %(scope)s.") % {"scope": scope}
        )
    if len(values.get("state", "").encode()) > 128:
        raise _PageError("", _("state is longer than 128 bytes."))
    keep = ("appid", "redirect_uri", "response_type", "scope", "state")
    return state, {k: values.get(k, "") for k in keep}


def _domain_allowed(state: AccountState, host: str, port: int | None) -> bool:
    """Is ``host`` one of the account's web authorisation domains?

    WeChat compares the full domain (网页授权 doc: "授权回调域名配置规范为全域名"): with
    ``www.qq.com`` configured, ``www.qq.com/music.html`` may authorise but ``qq.com`` and
    ``pay.qq.com`` may not. An entry ``host:port`` also pins the port.
    """
    allowed = {domain.lower() for domain in state.oauth_domains}
    host = host.lower()
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address, as written in a URL
    return (
        host in allowed or shown in allowed or (port is not None and f"{shown}:{port}" in allowed)
    )


def _redirect(redirect_uri: str, **params: str) -> Reply:
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return Reply.redirect(urlunsplit(parts._replace(query=urlencode(query), fragment="")))


def _approve(
    emulator: Emulator,
    state: AccountState,
    params: dict[str, str],
    openid: str,
    snapshot: bool = False,
) -> Reply:
    if openid not in state.followers:
        raise _PageError("", _("Choose one of the demo followers."))
    code = secrets.token_urlsafe(24)
    emulator.codes[code] = Code(
        state.app_id, openid, params["scope"], emulator.clock.now() + CODE_TTL, snapshot=snapshot
    )
    return _redirect(params["redirect_uri"], code=code, state=params["state"])


# --- snapshot pages and open-platform followers -----------------------------------------------


def snapshot_openid(openid: str) -> str:
    """The virtual openid a snapshot page (快照页) gives ``openid``'s follower: WeChat's
    announcement of 2022-05-09 says openid and unionid there are "虚拟账号数据"."""
    return "o-snapshot-" + openid.removeprefix("o-")


def add_follower(
    emulator: Emulator,
    account: str,
    openid: str,
    *,
    nickname: str = "",
    unionid: str = "",
    **fields: Any,
) -> Follower:
    """Add a follower to ``account`` (a name or AppID); ``unionid`` links them to the same
    person's openid in another account of the open platform (开放平台)::

        add_follower(emulator, "shop", "o-shop-1", nickname="张伟",
                     unionid=emulator.state().followers["o-demo-follower-1"].unionid)
    """
    with emulator.lock:
        state = emulator.state(account)
        follower = Follower(
            openid=openid,
            nickname=nickname or openid,
            unionid=unionid,
            subscribe_time=int(emulator.clock.now()),
            **fields,
        )
        state.followers[openid] = follower
        return follower


def _language(request: Request) -> str:
    """The language a Django site would pick from the browser's ``Accept-Language``."""
    # WeChat shows its pages in the WeChat app's language; a browser's header stands in.
    meta = HttpRequest()
    meta.META["HTTP_ACCEPT_LANGUAGE"] = request.headers.get("accept-language", "")
    return translation.get_language_from_request(meta)


def _error_page(error: _PageError) -> Reply:
    code = f"{escape(error.code)} " if error.code else ""
    # Translated outside the f-strings: xgettext (makemessages) does not look inside them.
    title = _("Error")
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"</head><body><h1>Oops! Something went wrong:(</h1>"
        f"<p class='error'>{code}{escape(error.message)}</p></body></html>"
    )
    return Reply.html(body, status=400)


@route(AUTHORIZE, needs_token=False)
def authorize(emulator: Emulator, request: Request) -> Reply:
    """``GET connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state``.

    Shows the consent page, or with ``emulator.oauth_auto_approve`` set to an openid,
    redirects at once as that follower.
    """
    with translation.override(_language(request)):
        try:
            state, params = _params(emulator, request.query, qr=False)
            if emulator.oauth_auto_approve:
                return _approve(emulator, state, params, emulator.oauth_auto_approve)
        except _PageError as error:
            return _error_page(error)
        return Reply.html(_consent_page(state, params))


@route(QRCONNECT, needs_token=False)
def qrconnect(emulator: Emulator, request: Request) -> Reply:
    """``GET connect/qrconnect?appid&redirect_uri&response_type=code&scope=snsapi_login&state``:
    the desktop page with the QR code (a website app's AppID only)."""
    with translation.override(_language(request)):
        try:
            state, params = _params(emulator, request.query, qr=True)
            if emulator.oauth_auto_approve:
                return _approve(emulator, state, params, emulator.oauth_auto_approve)
        except _PageError as error:
            return _error_page(error)
        return Reply.html(_consent_page(state, params))


@route(CONFIRM, method="POST", needs_token=False)
def confirm(emulator: Emulator, request: Request) -> Reply:
    """The consent page's form: approve (as the chosen follower) or deny."""
    form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    with translation.override(_language(request)):
        try:
            state, params = _params(emulator, form)
            action = form.get("action")
            if action not in ("approve", "snapshot"):
                # 网页授权 doc: "若用户禁止授权，则重定向后不会带上code参数，仅会带上state参数".
                return _redirect(params["redirect_uri"], state=params["state"])
            openid = form.get("openid", "")
            snapshot = action == "snapshot" and params["scope"] != QR_SCOPE
            return _approve(emulator, state, params, openid, snapshot=snapshot)
        except _PageError as error:
            return _error_page(error)


def _consent_page(state: AccountState, params: dict[str, str]) -> str:
    hidden = "".join(
        f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>" for k, v in params.items()
    )
    choices = "".join(
        f"<li><label><input type='radio' name='openid' value='{escape(f.openid)}'"
        f"{' checked' if n == 0 else ''}> {escape(f.nickname)} "
        f"<code>{escape(f.openid)}</code></label></li>"
        for n, f in enumerate(state.followers.values())
    )
    qr = params["scope"] == QR_SCOPE
    asks = (
        _("wants your public profile (nickname and avatar).")
        if params["scope"] in PROFILE_SCOPES
        else _("wants to know who you are (your openid).")
    )
    # Translated outside the f-strings: xgettext (makemessages) does not look inside them.
    title = _("WeChat authorization (emulator)")
    intro = _("This is the django_wechat emulator: choose who you are.")
    allow, deny = _("Allow"), _("Deny")
    snapshot = _("Snapshot page (browse only)")
    if qr:
        # The desktop page shows a QR code to scan with WeChat; the emulator has no phone,
        # so one button stands in for scanning and confirming on it.
        title = _("WeChat login: scan the QR code (emulator)")
        intro = _("On a real site you scan this code with WeChat. Here: choose who you are.")
        allow = _("Scan with WeChat and confirm")
    buttons = (
        f"<button type='submit' name='action' value='approve'>{escape(allow)}</button>"
        f"<button type='submit' name='action' value='deny'>{escape(deny)}</button>"
    )
    if not qr:
        buttons += (
            f"<button type='submit' name='action' value='snapshot'>{escape(snapshot)}</button>"
        )
    qr_box = (
        "<div class='qrcode' aria-hidden='true' style='width:10em;height:10em;margin:1em 0;"
        "background:repeating-conic-gradient(#000 0 25%,#fff 0 50%) 0 0/1.25em 1.25em'>"
        "</div>"
        if qr
        else ""
    )
    return (
        f"<!doctype html><html lang='{escape(translation.get_language())}'><head>"
        "<meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:28em;margin:2em auto;padding:0 1em}"
        "ul{list-style:none;padding:0}li{margin:.5em 0}button{font-size:1em;margin-right:1em}"
        "code{color:#888}</style></head><body>"
        f"<h1>{escape(state.account.name)}</h1>"
        f"<p>{escape(state.app_id)} {escape(asks)}</p>"
        f"{qr_box}<p>{escape(intro)}</p>"
        f"<form method='post' action='/{CONFIRM}'>{hidden}<ul>{choices}</ul>{buttons}"
        "</form></body></html>"
    )


def _web_token(emulator: Emulator, state: AccountState, openid: str, scope: str) -> Token:
    now = emulator.clock.now()
    token = Token(
        new_token(), state.app_id, "oauth", now, now + TOKEN_TTL, openid=openid, scope=scope
    )
    emulator.tokens[token.value] = token
    return token


def _token_answer(emulator: Emulator, state: AccountState, token: Token, refresh: str) -> Reply:
    answer = {
        "access_token": token.value,
        "expires_in": TOKEN_TTL,
        "refresh_token": refresh,
        "openid": token.openid,
        "scope": token.scope,
    }
    unionid = state.followers[token.openid].unionid
    # Only with snsapi_userinfo (or a website's snsapi_login), and only for accounts bound
    # to an open platform.
    if token.scope in PROFILE_SCOPES and unionid:
        answer["unionid"] = unionid
    return Reply.json(answer)


@route("sns/oauth2/access_token", needs_token=False)
def oauth_access_token(emulator: Emulator, request: Request) -> Reply:
    """``GET sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code``."""
    query = request.query
    state = check_app(emulator, query.get("appid"), query.get("secret"))
    if query.get("grant_type") != "authorization_code":
        raise WeChatFault(40002)
    # An OAuth code serves only the OAuth exchange (not jscode2session, not a phone number).
    code = take_code(emulator, state, query.get("code"), (*SCOPES, QR_SCOPE))
    if code.snapshot:
        return _snapshot_answer(emulator, state, code)
    token = _web_token(emulator, state, code.openid, code.scope)
    now = emulator.clock.now()
    refresh = Token(
        new_token(),
        state.app_id,
        "refresh",
        now,
        now + REFRESH_TTL,
        openid=code.openid,
        scope=code.scope,
    )
    emulator.tokens[refresh.value] = refresh
    return _token_answer(emulator, state, token, refresh.value)


def _snapshot_answer(emulator: Emulator, state: AccountState, code: Code) -> Reply:
    """The token answer for a snapshot page: a virtual openid (and unionid), and the flag
    that only this answer carries (WxJava PR #3170: "只在getAccessToken接口返回")."""
    virtual = snapshot_openid(code.openid)
    token = _web_token(emulator, state, virtual, code.scope)
    answer: dict[str, Any] = {
        "access_token": token.value,
        "expires_in": TOKEN_TTL,
        "refresh_token": new_token(),
        "openid": virtual,
        "scope": code.scope,
        "is_snapshotuser": 1,
    }
    if code.scope == "snsapi_userinfo":
        answer["unionid"] = "u-snapshot-" + virtual
    return Reply.json(answer)


@route("sns/oauth2/refresh_token", needs_token=False)
def oauth_refresh_token(emulator: Emulator, request: Request) -> Reply:
    """``GET sns/oauth2/refresh_token?appid&grant_type=refresh_token&refresh_token`` (30 days)."""
    query = request.query
    state = emulator.states.get(query.get("appid", ""))
    if state is None:
        raise WeChatFault(40013)
    if query.get("grant_type") != "refresh_token":
        raise WeChatFault(40002)
    refresh = emulator.tokens.get(query.get("refresh_token", ""))
    if refresh is None or refresh.kind != "refresh" or refresh.app_id != state.app_id:
        raise WeChatFault(40030)
    if refresh.check(emulator.clock.now()):
        raise WeChatFault(42002)
    token = _web_token(emulator, state, refresh.openid, refresh.scope)
    return _token_answer(emulator, state, token, refresh.value)


def _web_check(emulator: Emulator, request: Request) -> Token:
    value = request.query.get("access_token")
    if not value:
        raise WeChatFault(41001)
    token = emulator.tokens.get(value)
    if token is None or token.kind != "oauth":
        raise WeChatFault(40001)
    errcode = token.check(emulator.clock.now())
    if errcode:
        raise WeChatFault(errcode)
    if request.query.get("openid") != token.openid:
        raise WeChatFault(40003)
    return token


@route("sns/userinfo", needs_token=False)
def oauth_userinfo(emulator: Emulator, request: Request) -> Reply:
    """``GET sns/userinfo?access_token&openid&lang``: snsapi_userinfo scope only (48001)."""
    token = _web_check(emulator, request)
    followers = emulator.states[token.app_id].followers
    # A snapshot page's virtual user gets 48001 too (developers.weixin.qq.com community
    # thread 0006eec7030d28b7656ea683e55400).
    if token.scope not in PROFILE_SCOPES or token.openid not in followers:
        raise WeChatFault(48001)
    return Reply.json(emulator.states[token.app_id].followers[token.openid].sns_info())


@route("sns/auth", needs_token=False)
def oauth_auth(emulator: Emulator, request: Request) -> Reply:
    """``GET sns/auth?access_token&openid``: is this web access_token valid?"""
    _web_check(emulator, request)
    return Reply.ok()
