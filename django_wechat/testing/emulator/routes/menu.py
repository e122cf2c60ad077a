"""The emulated custom menus (自定义菜单): the default menu, conditional (personalised)
menus, and what a follower would see.

Every function here is called with the state lock held and a checked access_token.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ..http import Reply, Request, WeChatFault, route
from ..state import AccountState, Emulator, Follower
from .common import nbytes
from .tag import find_tag_id

# Limits from 创建接口 (api_createcustommenu): 1-3 buttons of at most 16 bytes, 1-5
# sub-buttons of at most 60 bytes, key at most 128 bytes, url at most 1024 bytes.

MENU_TYPES = {
    "click": ("key",),
    "view": ("url",),
    "scancode_push": ("key",),
    "scancode_waitmsg": ("key",),
    "pic_sysphoto": ("key",),
    "pic_photo_or_album": ("key",),
    "pic_weixin": ("key",),
    "location_select": ("key",),
    "media_id": ("media_id",),
    "view_limited": ("media_id",),
    "miniprogram": ("url", "appid", "pagepath"),
    "article_id": ("article_id",),
    "article_view_limited": ("article_id",),
}
# errcodes for (top-level, sub-button) problems.
BUTTON_ERRCODES = {
    "size": (40016, 40023),
    "type": (40017, 40024),
    "name": (40018, 40025),
    "key": (40019, 40026),
    "url": (40055, 40054),
    "url_size": (40020, 40027),
}


def _check_button(button: Any, sub: bool) -> dict[str, Any]:
    level = 1 if sub else 0

    def fault(problem: str, detail: str) -> WeChatFault:
        code = BUTTON_ERRCODES[problem][level]
        return WeChatFault(code, None if problem != "url" else f"invalid button url: {detail}")

    if not isinstance(button, dict):
        raise WeChatFault(47001)
    name = button.get("name")
    limit = 60 if sub else 16
    if not isinstance(name, str) or not name or nbytes(name) > limit:
        raise fault("name", "")
    children = button.get("sub_button")
    if not sub and isinstance(children, list) and children:
        if len(children) > 5:
            raise WeChatFault(40023)
        return {"name": name, "sub_button": [_check_button(c, True) for c in children]}
    kind = button.get("type")
    if kind not in MENU_TYPES:
        raise fault("type", "")
    clean: dict[str, Any] = {"type": kind, "name": name}
    for required in MENU_TYPES[kind]:
        value = button.get(required)
        if required == "key":
            if not isinstance(value, str) or not value or nbytes(value) > 128:
                raise fault("key", "")
        elif required == "url":
            if not isinstance(value, str) or not re.match(r"https?://[^/\s]+", value):
                raise fault("url", str(value))
            if nbytes(value) > 1024:
                raise fault("url_size", "")
        elif not isinstance(value, str) or not value:
            raise WeChatFault(40097, f"invalid args: {required} missing for {kind} button")
        clean[required] = value
    clean["sub_button"] = []
    return clean


def _check_buttons(buttons: Any, *, missing: int) -> list[dict[str, Any]]:
    """A menu's ``button`` list, checked; ``missing`` is the errcode for no buttons."""
    if not isinstance(buttons, list) or not buttons:
        raise WeChatFault(missing)
    if len(buttons) > 3:
        raise WeChatFault(40016)
    return [_check_button(b, False) for b in buttons]


@route("cgi-bin/menu/create", method="POST")
def menu_create(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/menu/create`` ``{"button": [...]}``: replaces the default menu.

    The conditional menus stay (only menu/delete removes them).
    """
    state.menu = {"button": _check_buttons(request.json().get("button"), missing=40016)}
    state.menu_id = _next_menu_id(state)
    # "由于开发者通过接口修改了菜单配置,当前菜单配置已失效并停用": the console's menu is gone.
    state.console_menu = None
    return Reply.ok()


@route("cgi-bin/menu/get")
def menu_get(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/menu/get``: 46003 when the account has no menu.

    With conditional menus, WeChat adds the default menu's ``menuid`` and lists them
    under ``conditionalmenu`` (查询接口 doc, "返回说明（有个性化菜单时）").
    """
    if state.menu is None:
        raise WeChatFault(46003)
    answer: dict[str, Any] = {"menu": dict(state.menu)}
    if state.conditional_menus:
        answer["menu"]["menuid"] = state.menu_id
        answer["conditionalmenu"] = [dict(m) for m in state.conditional_menus]
    return Reply.json(answer)


@route("cgi-bin/menu/delete")
def menu_delete(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/menu/delete``: the default menu and every conditional menu."""
    state.menu = None
    state.conditional_menus.clear()
    state.console_menu = None
    return Reply.ok()


# --- conditional menus ------------------------------------------------------------------
# 个性化菜单接口 doc (offiaccount/Custom_Menus/Personalized_menu_interface.html):
# - a default menu must exist first (65303), and deleting it deletes them all;
# - they are matched newest first, falling back to the default menu;
# - a follower with several tags is matched by the tag given last;
# - all conditional menus together link to at most 3 domains (65316);
# - "为保护个人隐私": rules on sex, region or language are refused with 65320, so only
#   tag_id and client_platform_type are left to match on.
# The errcodes are WeChat's (65301-65320); the doc does not give the limit on how many
# conditional menus an account may have (65305), so the emulator sets none.

MATCH_FIELDS = ("tag_id", "sex", "country", "province", "city", "client_platform_type", "language")
PRIVATE_FIELDS = frozenset({"sex", "country", "province", "city", "language"})
#: client_platform_type: 1 iOS, 2 Android, 3 other.
PLATFORMS = ("1", "2", "3")
MAX_DOMAINS = 3


def _next_menu_id(state: AccountState) -> int:
    menu_id = state.next_menu_id
    state.next_menu_id += 1
    return menu_id


def _check_matchrule(state: AccountState, rule: Any) -> dict[str, str]:
    """The rule's non-empty fields as strings (WeChat's docs send them as strings)."""
    if rule is None:
        raise WeChatFault(65304)
    if not isinstance(rule, dict):
        raise WeChatFault(47001)
    clean = {k: str(rule[k]) for k in MATCH_FIELDS if rule.get(k) not in (None, "")}
    if not clean:
        raise WeChatFault(65304)
    private = sorted(PRIVATE_FIELDS.intersection(clean))
    if private:
        raise WeChatFault(65320, f"matchrule contains private info: {', '.join(private)}")
    if "tag_id" in clean:
        # Whether WeChat refuses a tag the account does not have is not documented; the
        # emulator does (45159), so a typo shows up in tests rather than as a menu that
        # nobody ever sees.
        find_tag_id(state, clean["tag_id"])
    if clean.get("client_platform_type", "1") not in PLATFORMS:
        raise WeChatFault(40097, "invalid args: client_platform_type")
    return clean


def _domains(buttons: list[dict[str, Any]]) -> set[str]:
    """The hosts the buttons (and their sub-buttons) link to.

    The doc does not say whether a miniprogram button's fallback ``url`` counts towards
    the three domains; the emulator counts it (the stricter reading).
    """
    hosts = set()
    for button in buttons:
        if button.get("url"):
            hosts.add(urlsplit(button["url"]).hostname or "")
        hosts |= _domains(button.get("sub_button") or [])
    return hosts


@route("cgi-bin/menu/addconditional", method="POST")
def menu_addconditional(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/menu/addconditional`` ``{"button": [...], "matchrule": {...}}``.

    The buttons follow menu/create's rules; answers ``{"menuid": "..."}``.
    """
    body = request.json()
    if state.menu is None:
        raise WeChatFault(65303)
    # 65307 "个性化菜单信息为空" for a body without buttons is our reading of the code
    # table; WeChat's docs show no example of it.
    buttons = _check_buttons(body.get("button"), missing=65307)
    rule = _check_matchrule(state, body.get("matchrule"))
    domains = _domains(buttons)
    for menu in state.conditional_menus:
        domains |= _domains(menu["button"])
    if len(domains) > MAX_DOMAINS:
        raise WeChatFault(65316)
    menu_id = _next_menu_id(state)
    state.conditional_menus.append({"button": buttons, "matchrule": rule, "menuid": menu_id})
    # The doc's example answers the menuid as a string; menu/get shows it as a number.
    return Reply.json({"menuid": str(menu_id)})


@route("cgi-bin/menu/delconditional", method="POST")
def menu_delconditional(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/menu/delconditional`` ``{"menuid": "..."}``: 65301 when unknown."""
    value = request.json().get("menuid")
    try:
        menu_id = int(str(value))
    except ValueError:
        raise WeChatFault(65301) from None
    for menu in state.conditional_menus:
        if menu["menuid"] == menu_id:
            state.conditional_menus.remove(menu)
            return Reply.ok()
    raise WeChatFault(65301)


def _matches(rule: dict[str, str], follower: Follower) -> bool:
    if "tag_id" in rule:
        # "当用户身上的标签超过1个时，以最后打上的标签为匹配".
        last_tag = follower.tagid_list[-1] if follower.tagid_list else None
        if int(rule["tag_id"]) != last_tag:
            return False
    platform = rule.get("client_platform_type")
    return platform is None or int(platform) == follower.client_platform_type


@route("cgi-bin/menu/trymatch", method="POST")
def menu_trymatch(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/menu/trymatch`` ``{"user_id": openid}``: ``{"button": [...]}``, the
    menu that follower sees (the newest conditional menu they match, else the default).

    WeChat also takes a WeChat ID (微信号) as ``user_id``; emulated followers have none.
    Unknown users answer 65302, an account without a menu 46003.
    """
    user_id = request.json().get("user_id")
    follower = state.followers.get(user_id) if isinstance(user_id, str) else None
    if follower is None:
        raise WeChatFault(65302)
    if state.menu is None:
        raise WeChatFault(46003)
    for menu in reversed(state.conditional_menus):
        if _matches(menu["matchrule"], follower):
            return Reply.json({"button": menu["button"]})
    return Reply.json({"button": state.menu["button"]})


def _selfmenu_button(button: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in button.items() if k != "sub_button"}
    if "type" not in button:
        shown["sub_button"] = {"list": [_selfmenu_button(b) for b in button["sub_button"]]}
    return shown


@route("cgi-bin/get_current_selfmenu_info")
def selfmenu_info(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/get_current_selfmenu_info``: the menu in the console's shape.

    Sub-buttons come wrapped as ``{"sub_button": {"list": [...]}}`` and leaves carry no
    empty ``sub_button`` (查询自定义菜单信息 doc, the example of a menu set by the API).
    Without a menu the emulator answers ``is_menu_open`` 0 and no buttons; what WeChat
    answers then is not documented.
    """
    if state.menu is None and state.console_menu is not None:
        return Reply.json({"is_menu_open": 1, "selfmenu_info": {"button": state.console_menu}})
    buttons = state.menu["button"] if state.menu is not None else []
    return Reply.json(
        {
            "is_menu_open": 1 if state.menu is not None else 0,
            "selfmenu_info": {"button": [_selfmenu_button(b) for b in buttons]},
        }
    )


def set_console_menu(state: AccountState, buttons: list[dict[str, Any]]) -> None:
    """Stage a menu made in WeChat's web console (公众平台 → 自定义菜单), which only
    get_current_selfmenu_info shows: menu/get answers 46003 for it.

    ``buttons`` are in get_current_selfmenu_info's shape: sub-buttons under
    ``{"sub_button": {"list": [...]}}``, and the console's own types ``text`` (``value``
    is the text), ``img`` / ``voice`` (``value`` a media_id), ``video`` (``value`` a URL),
    ``news`` (``news_info``) beside ``view`` and ``click``. The API's menu replaces it,
    as on WeChat. Call it with the emulator's lock held (``with emulator.lock:``).
    """
    state.menu = None
    state.conditional_menus.clear()
    state.console_menu = buttons
