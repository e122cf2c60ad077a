"""WeChat's rules for custom menus (自定义菜单), checked before anything is sent.

One validator for every way a menu comes in: the admin's forms, ``manage.py
wechat_sync_menu`` and a JSON file. Lengths are counted as WeChat counts them, in UTF-8
bytes (a Chinese character is 3 bytes), and every problem names its field.

The limits are those of 创建接口
(https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu):
1 to 3 buttons, 1 to 5 sub-buttons under each; a name at most 16 bytes on top and 60
below; ``key`` at most 128 bytes, ``url`` at most 1024. A button with sub-buttons has no
type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .exceptions import WeChatError

MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
TOP_NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024

#: The fields a button may carry beside ``type`` and ``name``.
VALUE_FIELDS = ("key", "url", "media_id", "appid", "pagepath", "article_id")

#: Each button type and the fields it requires.
BUTTON_TYPES: dict[str, tuple[str, ...]] = {
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
    # url is where clients too old for mini programs go.
    "miniprogram": ("url", "appid", "pagepath"),
    "article_id": ("article_id",),
    "article_view_limited": ("article_id",),
}

#: What each type does, for the admin's type menu.
TYPE_LABELS = {
    "click": gettext_lazy("Click: send an event with a key"),
    "view": gettext_lazy("View: open a web page"),
    "scancode_push": gettext_lazy("Scan a code and send it"),
    "scancode_waitmsg": gettext_lazy("Scan a code, then wait for the reply"),
    "pic_sysphoto": gettext_lazy("Take a photo"),
    "pic_photo_or_album": gettext_lazy("Take a photo or choose one"),
    "pic_weixin": gettext_lazy("Choose from the WeChat album"),
    "location_select": gettext_lazy("Send a location"),
    "media_id": gettext_lazy("Send a permanent material (media_id)"),
    "view_limited": gettext_lazy("Open a permanent material (media_id)"),
    "miniprogram": gettext_lazy("Open a mini program"),
    "article_id": gettext_lazy("Send a published article (article_id)"),
    "article_view_limited": gettext_lazy("Open a published article (article_id)"),
}

#: client_platform_type in a conditional menu's matchrule.
PLATFORMS = {"1": "iOS", "2": "Android", "3": gettext_lazy("Other")}

_URL = re.compile(r"https?://[^/\s?#]+", re.IGNORECASE)


def nbytes(value: str) -> int:
    """The length WeChat checks: UTF-8 bytes."""
    return len(value.encode("utf-8"))


def too_long(value: str, limit: int) -> str | None:
    """The message for ``value`` longer than ``limit`` bytes, or None when it fits."""
    size = nbytes(value)
    if size <= limit:
        return None
    return _("'%(value)s' is %(bytes)d bytes; at most %(limit)d") % {
        "value": value,
        "bytes": size,
        "limit": limit,
    }


def button_problems(
    button: Mapping[str, Any], *, top: bool, has_sub_buttons: bool
) -> dict[str, str]:
    """The problems of one button, by field (``name``, ``type``, ``key``, ...).

    ``top`` says whether it is a top-level button (16-byte names) or a sub-button (60);
    ``has_sub_buttons`` whether sub-buttons hang under it, which leaves it without a type.
    """
    problems: dict[str, str] = {}
    name = button.get("name")
    if not isinstance(name, str) or not name.strip():
        problems["name"] = _("Give the button a name.")
    else:
        message = too_long(name, TOP_NAME_BYTES if top else SUB_NAME_BYTES)
        if message:
            problems["name"] = message
    kind = button.get("type") or ""
    if has_sub_buttons:
        if kind:
            problems["type"] = _(
                "A button with sub-buttons has no type: WeChat opens its sub-menu."
            )
        return problems
    if not isinstance(kind, str) or kind not in BUTTON_TYPES:
        if kind:
            problems["type"] = _(
                "'%(type)s' is not a WeChat button type; use one of %(types)s."
            ) % {
                "type": kind,
                "types": ", ".join(BUTTON_TYPES),
            }
        elif top:
            problems["type"] = _("Choose a type, or add sub-buttons under this button.")
        else:
            problems["type"] = _("Choose a type.")
        return problems
    for required in BUTTON_TYPES[kind]:
        value = button.get(required)
        if not isinstance(value, str) or not value.strip():
            problems[required] = _("A %(type)s button needs %(field)s.") % {
                "type": kind,
                "field": required,
            }
            continue
        if required == "key":
            message = too_long(value, KEY_BYTES)
        elif required == "url":
            message = too_long(value, URL_BYTES)
            if message is None and not _URL.match(value):
                message = _("'%(value)s' is not an http:// or https:// address.") % {"value": value}
        else:
            message = None
        if message:
            problems[required] = message
    return problems


@dataclass(frozen=True)
class Problem:
    """One thing WeChat would refuse: where (``button 2 › sub-button 1``), the field, why."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        if self.where:
            return f"{self.where} › {self.field}: {self.message}"
        return f"{self.field}: {self.message}"


def count_problem(count: int, *, top: bool) -> str | None:
    """The message when a menu has no or too many buttons (or sub-buttons), else None."""
    limit = MAX_BUTTONS if top else MAX_SUB_BUTTONS
    if 1 <= count <= limit:
        return None
    if top:
        return _("A menu has 1 to %(limit)d buttons; this one has %(count)d.") % {
            "limit": limit,
            "count": count,
        }
    return _("A button has 1 to %(limit)d sub-buttons; this one has %(count)d.") % {
        "limit": limit,
        "count": count,
    }


def menu_problems(menu: Any) -> list[Problem]:
    """Every problem of a menu in WeChat's JSON shape (``{"button": [...]}``).

    A ``matchrule``, when present, is checked too (a conditional menu).
    """
    if not isinstance(menu, Mapping):
        return [Problem("", "button", _('A menu is a JSON object: {"button": [...]}.'))]
    buttons = menu.get("button")
    if not isinstance(buttons, list):
        return [Problem("", "button", _("A menu needs a list of buttons under “button”."))]
    problems: list[Problem] = []
    message = count_problem(len(buttons), top=True)
    if message:
        problems.append(Problem("", "button", message))
    for i, button in enumerate(buttons, 1):
        where = _("button %(n)d") % {"n": i}
        if not isinstance(button, Mapping):
            problems.append(Problem(where, "button", _("A button is a JSON object.")))
            continue
        subs = button.get("sub_button")
        subs = subs.get("list") if isinstance(subs, Mapping) else subs
        subs = subs if isinstance(subs, list) else []
        for field, msg in button_problems(button, top=True, has_sub_buttons=bool(subs)).items():
            problems.append(Problem(where, field, msg))
        if len(subs) > MAX_SUB_BUTTONS:
            problems.append(Problem(where, "sub_button", count_problem(len(subs), top=False) or ""))
        for j, sub in enumerate(subs, 1):
            sub_where = _("%(button)s › sub-button %(n)d") % {"button": where, "n": j}
            if not isinstance(sub, Mapping):
                problems.append(Problem(sub_where, "button", _("A button is a JSON object.")))
                continue
            for field, msg in button_problems(sub, top=False, has_sub_buttons=False).items():
                problems.append(Problem(sub_where, field, msg))
    if "matchrule" in menu:
        for field, msg in matchrule_problems(menu["matchrule"]).items():
            problems.append(Problem("matchrule", field, msg))
    return problems


def matchrule_problems(rule: Any) -> dict[str, str]:
    """The problems of a conditional menu's ``matchrule``, by field.

    WeChat no longer matches on sex, region or language (65320, 个性化菜单接口): only
    ``tag_id`` and ``client_platform_type`` are left, and at least one must be set (65304).
    """
    if not isinstance(rule, Mapping):
        return {"matchrule": _("A match rule is a JSON object.")}
    problems: dict[str, str] = {}
    private = sorted(
        k
        for k in ("sex", "country", "province", "city", "language")
        if rule.get(k) not in (None, "")
    )
    if private:
        problems["matchrule"] = _(
            "WeChat no longer matches menus on %(fields)s; match on a tag or the client platform."
        ) % {"fields": ", ".join(private)}
    tag_id = rule.get("tag_id", rule.get("group_id"))
    platform = rule.get("client_platform_type")
    if tag_id not in (None, "") and not str(tag_id).isdigit():
        problems["tag_id"] = _("'%(value)s' is not a tag id (a number).") % {"value": tag_id}
    if platform not in (None, "") and str(platform) not in PLATFORMS:
        problems["client_platform_type"] = _(
            "'%(value)s' is not a client platform: 1 (iOS), 2 (Android) or 3 (other)."
        ) % {"value": platform}
    if tag_id in (None, "") and platform in (None, "") and not private:
        problems["matchrule"] = _("A conditional menu matches on a tag, a client platform or both.")
    return problems


class InvalidMenu(WeChatError, ValueError):
    """A menu WeChat would refuse; ``problems`` lists each, with its field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def check_menu(menu: Any) -> None:
    """Raise :class:`InvalidMenu` unless WeChat would accept ``menu``."""
    problems = menu_problems(menu)
    if problems:
        raise InvalidMenu(problems)
