"""Menus between the database and WeChat: push, pull, delete, compare, try a match.

Shared by the admin's actions and ``manage.py wechat_sync_menu``. Every push is checked
by :mod:`django_wechat.menu_rules` first, so nothing WeChat would refuse spends one of
menu/create's 1,000 calls a day.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import APIError
from ..menu_rules import BUTTON_TYPES, PLATFORMS, check_menu
from ..models import Button, Menu

if TYPE_CHECKING:
    from ..client import WeChatClient

#: delconditional for a menuid WeChat does not have.
NO_CONDITIONAL_MENU = 65301


# --- WeChat's menus, in one shape --------------------------------------------------------


def clean_button(button: Mapping[str, Any]) -> dict[str, Any]:
    """A button as menu/create takes it: menu/get's empty ``sub_button`` lists dropped,
    only the fields its type uses."""
    subs = button.get("sub_button")
    if isinstance(subs, Mapping):  # get_current_selfmenu_info wraps them: {"list": [...]}
        subs = subs.get("list")
    if subs:
        return {"name": button.get("name", ""), "sub_button": [clean_button(s) for s in subs]}
    kind = button.get("type", "")
    clean: dict[str, Any] = {"type": kind, "name": button.get("name", "")}
    for name in BUTTON_TYPES.get(kind, ()):
        if name in button:
            clean[name] = button[name]
    return clean


def clean_matchrule(rule: Mapping[str, Any]) -> dict[str, str]:
    """A match rule with its empty fields dropped, as strings.

    menu/get answers the tag as ``group_id`` though addconditional takes ``tag_id``
    (WxJava's WxMenuRule reads both names for that reason).
    """
    clean = {k: str(v) for k, v in rule.items() if v not in (None, "")}
    if "group_id" in clean:
        clean.setdefault("tag_id", clean.pop("group_id"))
    return clean


@dataclass
class WeChatMenus:
    """What WeChat holds for an account: the default menu and the conditional menus."""

    #: The default menu (``{"button": [...]}``), None when there is none.
    default: dict[str, Any] | None = None
    #: Conditional menus: ``{"button", "matchrule", "menuid"}`` each.
    conditional: list[dict[str, Any]] = field(default_factory=list)
    #: Whether the default menu was made in WeChat's web console (get_current_selfmenu_info).
    from_console: bool = False
    #: What a pull had to change (console-only button types), for a person.
    notes: list[str] = field(default_factory=list)

    def find(self, menu: Menu) -> dict[str, Any] | None:
        """WeChat's counterpart of ``menu``: the default menu, or the conditional menu with its
        menuid (else its match rule)."""
        if not menu.is_conditional:
            return self.default
        for candidate in self.conditional:
            if menu.menuid and str(candidate.get("menuid")) == menu.menuid:
                return candidate
        for candidate in self.conditional:
            if candidate["matchrule"] == menu.matchrule():
                return candidate
        return None


def read_wechat(client: WeChatClient) -> WeChatMenus:
    """The account's menus on WeChat.

    menu/get knows only menus set through the API; a menu made in WeChat's console is
    read with get_current_selfmenu_info, whose shape differs (查询自定义菜单信息 doc).
    """
    answer = client.menu.get()
    if answer is not None:
        menu = answer.get("menu") or {}
        menus = WeChatMenus(
            default={"button": [clean_button(b) for b in menu.get("button", [])]},
        )
        for conditional in answer.get("conditionalmenu") or []:
            menus.conditional.append(
                {
                    "button": [clean_button(b) for b in conditional.get("button", [])],
                    "matchrule": clean_matchrule(conditional.get("matchrule") or {}),
                    "menuid": str(conditional.get("menuid", "")),
                }
            )
        return menus
    info = client.menu.get_menu_info()
    buttons = (info.get("selfmenu_info") or {}).get("button") or []
    if not info.get("is_menu_open") or not buttons:
        return WeChatMenus()
    notes: list[str] = []
    converted = [_from_console(b, notes) for b in buttons]
    return WeChatMenus(default={"button": converted}, from_console=True, notes=notes)


#: Types only WeChat's console makes, which menu/create does not take.
CONSOLE_TYPES = ("text", "img", "voice", "video", "news")


def _from_console(button: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    """A console button as one menu/create takes.

    A console reply (text, image, voice, video, news) becomes a ``click`` button whose key
    names the content; the site answers that click with a ``@handler``.
    """
    subs = button.get("sub_button")
    if isinstance(subs, Mapping):
        subs = subs.get("list")
    if subs:
        return {
            "name": button.get("name", ""),
            "sub_button": [_from_console(s, notes) for s in subs],
        }
    kind = button.get("type", "")
    if kind not in CONSOLE_TYPES:
        return clean_button(button)
    value = str(button.get("value", ""))
    key = f"console_{kind}_{hashlib.md5(value.encode()).hexdigest()[:12]}"
    notes.append(
        _(
            "“%(name)s” replied with a %(type)s set in WeChat's console; it is now a click "
            'button with key %(key)s: answer it with @handler(event="CLICK", key="%(key)s").'
        )
        % {"name": button.get("name", ""), "type": kind, "key": key}
    )
    return {"type": "click", "name": button.get("name", ""), "key": key}


# --- readable menus and their differences -------------------------------------------------


def button_line(button: Mapping[str, Any]) -> str:
    """One button on one line: its name, type and what it points at."""
    if button.get("sub_button"):
        return str(button.get("name", ""))
    kind = button.get("type", "")
    values = ", ".join(f"{f}={button.get(f, '')}" for f in BUTTON_TYPES.get(kind, ()))
    return f"{button.get('name', '')} ({kind}{': ' + values if values else ''})"


def menu_lines(menu: Mapping[str, Any] | None) -> list[str]:
    """A menu as lines, sub-buttons indented; no lines for no menu."""
    if not menu:
        return []
    lines = []
    for button in menu.get("button", []):
        lines.append(button_line(button))
        lines.extend("    " + button_line(s) for s in button.get("sub_button") or [])
    return lines


def describe_rule(rule: Mapping[str, Any]) -> str:
    """A match rule for a person: "tag 100, iOS"."""
    parts = []
    if rule.get("tag_id"):
        parts.append(_("tag %(tag)s") % {"tag": rule["tag_id"]})
    if rule.get("client_platform_type"):
        platform = rule["client_platform_type"]
        parts.append(str(PLATFORMS.get(str(platform), platform)))
    return ", ".join(parts)


def menu_title(menu: Mapping[str, Any]) -> str:
    """ "default menu", or "conditional menu (tag 100, iOS)"."""
    if menu.get("matchrule"):
        return _("conditional menu (%(rule)s)") % {"rule": describe_rule(menu["matchrule"])}
    return _("default menu")


def unified_diff(before: Iterable[str], after: Iterable[str], title: str) -> list[str]:
    """The lines of ``difflib.unified_diff`` between WeChat's menu and ours."""
    return list(
        difflib.unified_diff(
            list(before),
            list(after),
            fromfile=_("WeChat: %(title)s") % {"title": title},
            tofile=_("to push: %(title)s") % {"title": title},
            lineterm="",
        )
    )


@dataclass(frozen=True)
class Row:
    """A row of a side-by-side comparison; ``changed`` when the two sides differ."""

    left: str
    right: str
    changed: bool


def side_by_side(before: list[str], after: list[str]) -> list[Row]:
    """WeChat's lines beside ours, aligned, with the differing rows marked."""
    rows = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = before[i1:i2], after[j1:j2]
        for n in range(max(len(left), len(right))):
            rows.append(
                Row(
                    left[n] if n < len(left) else "",
                    right[n] if n < len(right) else "",
                    tag != "equal",
                )
            )
    return rows


# --- pushing ---------------------------------------------------------------------------


def publish(menu: Menu, client: WeChatClient) -> None:
    """Push ``menu`` to WeChat and mark it published.

    A default menu replaces WeChat's (menu/create). A conditional menu cannot be edited on
    WeChat: its old copy is removed (delconditional) and it is added anew
    (addconditional), which gives it a new menuid.

    Raises :class:`~django_wechat.menu_rules.InvalidMenu` before any call when WeChat would
    refuse the menu, :class:`~django_wechat.exceptions.APIError` when WeChat refuses it.
    """
    body = menu.to_wechat()
    check_menu(body)
    if menu.is_conditional:
        if menu.menuid:
            remove_conditional(client, menu.menuid)
        menu.menuid = str(client.menu.add_conditional(body)["menuid"])
    else:
        client.menu.create(body)
    menu.state = Menu.State.PUBLISHED
    menu.published_at = timezone.now()
    menu.save(update_fields=["menuid", "state", "published_at"])


def remove_conditional(client: WeChatClient, menuid: str) -> bool:
    """delconditional; False when WeChat had no such menu (65301) any more."""
    try:
        client.menu.del_conditional(menuid)
    except APIError as exc:
        if exc.errcode == NO_CONDITIONAL_MENU:
            return False
        raise
    return True


def unpublish(menu: Menu, client: WeChatClient) -> None:
    """Remove a conditional menu from WeChat; it stays in the database as a draft."""
    if menu.menuid:
        remove_conditional(client, menu.menuid)
    Menu.objects.filter(pk=menu.pk).update(state=Menu.State.DRAFT, menuid="", published_at=None)


def published_menus(account: str) -> list[Menu]:
    """The account's published menus, the default one first."""
    menus = Menu.objects.filter(account=account, state=Menu.State.PUBLISHED).prefetch_related(
        "buttons"
    )
    return sorted(menus, key=lambda m: m.is_conditional)


def push_file(data: Mapping[str, Any], client: WeChatClient) -> WeChatMenus:
    """Push WeChat's own JSON (``{"button": [...]}``; with ``"conditionalmenu": [...]``,
    WeChat's conditional menus are replaced by those). Returns what was pushed."""
    default = {"button": data["button"]}
    conditional = list(data.get("conditionalmenu") or [])
    client.menu.create(default)
    pushed = WeChatMenus(default=default)
    if "conditionalmenu" in data:
        for old in read_wechat(client).conditional:
            remove_conditional(client, old["menuid"])
        for menu in conditional:
            body = {"button": menu["button"], "matchrule": clean_matchrule(menu["matchrule"])}
            menuid = client.menu.add_conditional(body)["menuid"]
            pushed.conditional.append({**body, "menuid": str(menuid)})
    return pushed


def check_file(data: Any) -> None:
    """Raise InvalidMenu for a file WeChat would refuse (each conditional menu too)."""
    check_menu({"button": data.get("button")} if isinstance(data, Mapping) else data)
    for menu in data.get("conditionalmenu") or []:
        check_menu(menu)
        if "matchrule" not in menu:
            check_menu({**menu, "matchrule": None})


def delete_all(account: str, client: WeChatClient) -> None:
    """menu/delete (the default menu and every conditional menu); the database keeps them
    as drafts."""
    client.menu.delete()
    Menu.objects.filter(account=account).update(
        state=Menu.State.DRAFT, menuid="", published_at=None
    )


# --- pulling ---------------------------------------------------------------------------


def to_file(menus: WeChatMenus) -> dict[str, Any]:
    """WeChat's menus as the JSON ``--file`` pushes: ``{"button": [...]}`` and
    ``"conditionalmenu"`` when there are some."""
    data: dict[str, Any] = {"button": (menus.default or {}).get("button", [])}
    if menus.conditional:
        data["conditionalmenu"] = [
            {"button": m["button"], "matchrule": m["matchrule"]} for m in menus.conditional
        ]
    return data


def _replace_buttons(menu: Menu, buttons: list[dict[str, Any]]) -> None:
    menu.buttons.all().delete()
    rows = []
    for column, button in enumerate(buttons, 1):
        rows.append(Button.from_wechat(button, column=column, row=0))
        for row, sub in enumerate(button.get("sub_button") or [], 1):
            rows.append(Button.from_wechat(sub, column=column, row=row))
    for row_button in rows:
        row_button.menu = menu
    Button.objects.bulk_create(rows)


@transaction.atomic
def save_pulled(account: str, menus: WeChatMenus) -> list[Menu]:
    """Store WeChat's menus as the account's published menus; returns them.

    The default menu replaces the database's; each conditional menu replaces the one with
    its menuid (or match rule). Conditional menus WeChat no longer has become drafts.
    """
    now = timezone.now()
    saved = []
    if menus.default is not None:
        menu = Menu.objects.filter(
            account=account, tag_id__isnull=True, client_platform_type=""
        ).first() or Menu(account=account, title=_("Menu pulled from WeChat"))
        menu.state, menu.published_at, menu.menuid = Menu.State.PUBLISHED, now, ""
        menu.save()
        _replace_buttons(menu, menus.default["button"])
        saved.append(menu)
    kept = []
    for conditional in menus.conditional:
        rule = conditional["matchrule"]
        candidates = Menu.objects.filter(account=account).exclude(
            tag_id__isnull=True, client_platform_type=""
        )
        found = candidates.filter(menuid=conditional["menuid"]).first() or next(
            (m for m in candidates if m.matchrule() == rule and m.pk not in kept), None
        )
        menu = found or Menu(
            account=account,
            title=_("Conditional menu pulled from WeChat (%(rule)s)")
            % {"rule": describe_rule(rule)},
        )
        menu.tag_id = int(rule["tag_id"]) if rule.get("tag_id") else None
        menu.client_platform_type = rule.get("client_platform_type", "")
        menu.menuid, menu.state, menu.published_at = (
            conditional["menuid"],
            Menu.State.PUBLISHED,
            now,
        )
        menu.save()
        _replace_buttons(menu, conditional["button"])
        kept.append(menu.pk)
        saved.append(menu)
    Menu.objects.filter(account=account).exclude(menuid="").exclude(pk__in=kept).update(
        state=Menu.State.DRAFT, menuid="", published_at=None
    )
    return saved


def import_menu(account: str, body: Mapping[str, Any], *, title: str) -> Menu:
    """A draft menu made from WeChat's JSON (``{"button": [...]}``, with ``matchrule`` for a
    conditional menu), checked first; raises InvalidMenu for a menu WeChat would refuse."""
    check_menu(body)
    rule = clean_matchrule(body.get("matchrule") or {})
    with transaction.atomic():
        menu = Menu.objects.create(
            account=account,
            title=title,
            tag_id=int(rule["tag_id"]) if rule.get("tag_id") else None,
            client_platform_type=rule.get("client_platform_type", ""),
        )
        _replace_buttons(menu, [clean_button(b) for b in body["button"]])
    return menu


def try_match(client: WeChatClient, user_id: str) -> dict[str, Any]:
    """The menu the follower ``user_id`` (an openid or WeChat ID) sees: ``{"button": [...]}``."""
    answer = client.menu.try_match(user_id)
    return {"button": [clean_button(b) for b in answer.get("button", [])]}


# --- WeChat's refusals, in words ------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A refusal by WeChat for a person: what it means and the field it concerns."""

    errcode: int
    errmsg: str
    meaning: str
    field: str

    def __str__(self) -> str:
        return _("WeChat refused the menu: %(meaning)s (errcode %(errcode)s: %(errmsg)s)") % {
            "meaning": self.meaning,
            "errcode": self.errcode,
            "errmsg": self.errmsg,
        }


def _refusals() -> dict[int, tuple[str, str]]:
    # The code table of 全局返回码; 40054/40055 from the menu API's own doc.
    return {
        40015: ("type", _("a button type is not valid")),
        40016: ("button", _("the menu has too many or too few buttons")),
        40017: ("type", _("a button type is not valid")),
        40018: ("name", _("a button name is too long")),
        40019: ("key", _("a button key is too long")),
        40020: ("url", _("a button url is too long")),
        40023: ("sub_button", _("a button has too many or too few sub-buttons")),
        40024: ("type", _("a sub-button type is not valid")),
        40025: ("name", _("a sub-button name is too long")),
        40026: ("key", _("a sub-button key is too long")),
        40027: ("url", _("a sub-button url is too long or missing")),
        40028: ("", _("the account's custom menu is switched off in WeChat's console")),
        40048: ("url", _("a url's domain is not allowed")),
        40054: ("url", _("a sub-button url's domain is not allowed")),
        40055: ("url", _("a button url's domain is not allowed")),
        40007: ("media_id", _("a media_id does not exist")),
        40119: ("appid", _("the mini program is not bound to the account")),
        40120: ("type", _("a button type is not allowed for this account")),
        45009: ("", _("the daily quota of this API is used up (1,000 menu/create calls a day)")),
        46003: ("", _("the account has no menu")),
        65301: ("menuid", _("WeChat has no conditional menu with this menuid")),
        65302: ("user_id", _("no such follower")),
        65303: ("", _("publish a default menu before any conditional menu")),
        65304: ("matchrule", _("the match rule is empty")),
        65305: ("", _("the account has too many conditional menus")),
        65316: ("url", _("the menus link to more than 3 domains")),
        65317: ("url", _("a url is not valid")),
        65320: ("matchrule", _("WeChat no longer matches on sex, region or language")),
    }


def refusal(exc: APIError) -> Refusal:
    """``exc`` in plain words, with the field its errcode names (empty when none)."""
    field_name, meaning = _refusals().get(
        exc.errcode, ("", _("errcode %(errcode)s") % {"errcode": exc.errcode})
    )
    return Refusal(exc.errcode, exc.errmsg, meaning, field_name)
