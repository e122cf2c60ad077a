"""Custom menus kept in the database: a menu per account (the default one and conditional
ones), each a tree of buttons, with what WeChat knows of it (``menuid``, when published).

A button's place is its ``column`` (1 to 3, left to right on the bar) and its ``row``: 0 is
the button on the bar, 1 to 5 the sub-buttons that pop up above it, bottom to top as
WeChat lists them. Editing the two numbers reorders the menu.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..conf import DEFAULT_ACCOUNT, get_accounts
from ..menu_rules import (
    BUTTON_TYPES,
    MAX_BUTTONS,
    MAX_SUB_BUTTONS,
    PLATFORMS,
    TYPE_LABELS,
    VALUE_FIELDS,
)


class Menu(models.Model):
    """One menu of an account: its default menu, or a conditional (personalised) one."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    account = models.CharField(
        _("account"),
        max_length=64,
        default=DEFAULT_ACCOUNT,
        help_text=_("The name of the account in settings.WECHAT['ACCOUNTS']."),
    )
    title = models.CharField(
        _("title"), max_length=100, help_text=_("For you; WeChat never shows it.")
    )
    tag_id = models.PositiveIntegerField(
        _("tag id"),
        null=True,
        blank=True,
        help_text=_("Conditional menus: shown to followers with this tag."),
    )
    client_platform_type = models.CharField(
        _("client platform"),
        max_length=1,
        blank=True,
        choices=list(PLATFORMS.items()),
        help_text=_("Conditional menus: shown to followers on this platform."),
    )
    menuid = models.CharField(_("WeChat's menuid"), max_length=32, blank=True, editable=False)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, editable=False
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("menu")
        verbose_name_plural = _("menus")
        ordering = ("account", "tag_id", "client_platform_type", "pk")
        constraints = (
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(tag_id__isnull=True, client_platform_type=""),
                name="django_wechat_one_default_menu",
                violation_error_message=_(
                    "This account has a default menu already; give this one a tag or a "
                    "client platform to make it a conditional menu."
                ),
            ),
        )

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """An account that ``settings.WECHAT`` has."""
        accounts = get_accounts()
        if self.account not in accounts:
            raise ValidationError(
                {
                    "account": _("No account named %(account)s; configured: %(accounts)s.")
                    % {"account": self.account, "accounts": ", ".join(accounts)}
                }
            )

    @property
    def is_conditional(self) -> bool:
        """Whether WeChat shows it only to the followers its match rule selects."""
        return self.tag_id is not None or bool(self.client_platform_type)

    def matchrule(self) -> dict[str, str]:
        """The match rule as WeChat's addconditional takes it (strings)."""
        rule = {}
        if self.tag_id is not None:
            rule["tag_id"] = str(self.tag_id)
        if self.client_platform_type:
            rule["client_platform_type"] = self.client_platform_type
        return rule

    def tree(self) -> list[tuple[Button, list[Button]]]:
        """Each button on the bar with its sub-buttons, in order."""
        return buttons_tree(self.buttons.all())

    def to_wechat(self) -> dict[str, Any]:
        """The menu in WeChat's shape: ``{"button": [...]}``, and ``matchrule`` if conditional."""
        body: dict[str, Any] = {
            "button": [top.to_wechat([s.to_wechat() for s in subs]) for top, subs in self.tree()]
        }
        if self.is_conditional:
            body["matchrule"] = self.matchrule()
        return body


def buttons_tree(buttons: Any) -> list[tuple[Any, list[Any]]]:
    """Group buttons (anything with ``column`` and ``row``) into (top, [sub-buttons]).

    Sub-buttons whose column has no top button are left out: the admin form refuses them.
    """
    tops: dict[int, Any] = {}
    subs: dict[int, list[Any]] = {}
    for button in sorted(buttons, key=lambda b: (b.column, b.row)):
        if button.row == 0:
            tops[button.column] = button
        else:
            subs.setdefault(button.column, []).append(button)
    return [(tops[c], subs.get(c, [])) for c in sorted(tops)]


class Button(models.Model):
    """A button of a menu: on the bar (``row`` 0) or in the sub-menu above it."""

    menu = models.ForeignKey(
        Menu, on_delete=models.CASCADE, related_name="buttons", verbose_name=_("menu")
    )
    column = models.PositiveSmallIntegerField(
        _("column"),
        choices=[(n, str(n)) for n in range(1, MAX_BUTTONS + 1)],
        help_text=_("1 to 3, left to right."),
    )
    row = models.PositiveSmallIntegerField(
        _("row"),
        default=0,
        choices=[(n, str(n)) for n in range(MAX_SUB_BUTTONS + 1)],
        help_text=_("0 on the bar; 1 to 5 in its sub-menu."),
    )
    name = models.CharField(_("name"), max_length=60)
    type = models.CharField(
        _("type"),
        max_length=20,
        blank=True,
        choices=[(t, TYPE_LABELS[t]) for t in BUTTON_TYPES],
        help_text=_("Leave empty for a button with sub-buttons."),
    )
    key = models.CharField(_("key"), max_length=128, blank=True)
    url = models.CharField(_("URL"), max_length=1024, blank=True)
    media_id = models.CharField(_("media_id"), max_length=128, blank=True)
    appid = models.CharField(_("mini program appid"), max_length=32, blank=True)
    pagepath = models.CharField(_("mini program page"), max_length=1024, blank=True)
    article_id = models.CharField(_("article_id"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("button")
        verbose_name_plural = _("buttons")
        ordering = ("column", "row")
        constraints = (
            models.UniqueConstraint(
                fields=["menu", "column", "row"],
                name="django_wechat_button_place",
                violation_error_message=_("Two buttons of this menu have the same column and row."),
            ),
        )

    def __str__(self) -> str:
        return self.name

    def to_wechat(self, sub_buttons: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The button in WeChat's shape; with ``sub_buttons``, a button without a type."""
        if sub_buttons:
            return {"name": self.name, "sub_button": sub_buttons}
        body: dict[str, Any] = {"type": self.type, "name": self.name}
        for field in BUTTON_TYPES.get(self.type, ()):
            body[field] = getattr(self, field)
        return body

    @classmethod
    def from_wechat(cls, data: dict[str, Any], *, column: int, row: int) -> Button:
        """An unsaved button from WeChat's JSON (its sub-buttons aside)."""
        values = {f: str(data.get(f) or "") for f in VALUE_FIELDS}
        return cls(
            column=column,
            row=row,
            name=str(data.get("name", "")),
            type=data.get("type", ""),
            **values,
        )
