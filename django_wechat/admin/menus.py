"""The menu editor: a menu with its buttons inline, a phone-style preview beside it, and
the pages that talk to WeChat (publish with a comparison, pull, try a follower's match).

The publish action has Django's ``delete_selected`` shape (a confirmation page, then the
work on ``post=yes``); the extra pages are added with ``get_urls()`` and
``admin_site.admin_view()`` as ``UserAdmin`` adds its password page.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..client import get_client
from ..conf import get_accounts
from ..exceptions import APIError, WeChatError
from ..menu_rules import MAX_BUTTONS, button_problems, count_problem, menu_problems
from ..models import Button, Menu
from ..sync import menus as sync

#: The columns of the editor's button rows.
BUTTON_FIELDS = (
    "column",
    "row",
    "name",
    "type",
    "key",
    "url",
    "media_id",
    "appid",
    "pagepath",
    "article_id",
)


class ButtonFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """The menu's buttons, checked together with :mod:`~django_wechat.menu_rules`: each
    error lands on its row's field."""

    def clean(self) -> None:
        super().clean()
        rows = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("column")
            and not form.cleaned_data.get("DELETE")
        ]
        columns: dict[int, list[forms.ModelForm[Button]]] = {}
        for form in rows:
            columns.setdefault(form.cleaned_data["column"], []).append(form)
        for column, forms_in_column in columns.items():
            subs = [f for f in forms_in_column if f.cleaned_data.get("row")]
            tops = [f for f in forms_in_column if not f.cleaned_data.get("row")]
            if subs and not tops:
                for form in subs:
                    form.add_error(
                        "row",
                        _("Column %(column)d has no button on the bar (row 0) to hold this one.")
                        % {"column": column},
                    )
            for form in forms_in_column:
                top = not form.cleaned_data.get("row")
                problems = button_problems(
                    form.cleaned_data, top=top, has_sub_buttons=top and bool(subs)
                )
                for field, message in problems.items():
                    form.add_error(field, message)
        tops = [f for f in rows if not f.cleaned_data.get("row")]
        count_message = count_problem(len(tops), top=True)
        if count_message and not any(form.errors for form in rows):
            raise forms.ValidationError(count_message)


class ButtonInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Button
    formset = ButtonFormSet
    fields = BUTTON_FIELDS
    extra = 0
    max_num = MAX_BUTTONS * 6
    classes = ("wechat-buttons",)

    def get_formset(self, request: HttpRequest, obj: Menu | None = None, **kwargs: Any) -> Any:
        # Django builds up to max_num + 1,000 forms for whatever TOTAL_FORMS a POST says;
        # a menu has at most 18 buttons, so no more forms are built (the rest is refused).
        kwargs.setdefault("absolute_max", self.max_num)
        return super().get_formset(request, obj, **kwargs)

    def get_extra(self, request: HttpRequest, obj: Menu | None = None, **kwargs: Any) -> int:
        # Room for a first menu without JavaScript's "Add another".
        return 3 if obj is None else 1


@admin.register(Menu)
class MenuAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Menus and their buttons; publishing, pulling and trymatch talk to WeChat."""

    list_display = ("title", "account", "kind", "state", "published_at", "menuid")
    list_filter = ("account", "state")
    search_fields = ("title", "buttons__name")
    readonly_fields = ("state", "published_at", "menuid")
    fieldsets = (
        (None, {"fields": ("account", "title")}),
        (
            gettext_lazy("Conditional menu"),
            {
                "fields": ("tag_id", "client_platform_type"),
                "description": gettext_lazy(
                    "Leave both empty for the default menu. WeChat no longer matches on "
                    "sex, region or language."
                ),
            },
        ),
        (gettext_lazy("On WeChat"), {"fields": ("state", "published_at", "menuid")}),
    )
    inlines = (ButtonInline,)
    actions = ("publish_to_wechat", "remove_from_wechat")
    change_form_template = "admin/django_wechat/menu/change_form.html"
    change_list_template = "admin/django_wechat/menu/change_list.html"

    class Media:
        css: ClassVar[dict[str, tuple[str, ...]]] = {"all": ("django_wechat/menu_editor.css",)}
        js = ("django_wechat/menu_preview.js",)

    @admin.display(description=gettext_lazy("kind"))
    def kind(self, menu: Menu) -> str:
        return sync.menu_title({"matchrule": menu.matchrule()})

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        view = self.admin_site.admin_view
        name = f"{opts.app_label}_{opts.model_name}"
        return [
            path("pull/", view(self.pull_view), name=f"{name}_pull"),
            path("trymatch/", view(self.trymatch_view), name=f"{name}_trymatch"),
            path("<path:object_id>/publish/", view(self.publish_view), name=f"{name}_publish"),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        menu = self.get_object(request, object_id)
        context = {**(extra_context or {}), "preview": preview(menu.to_wechat() if menu else None)}
        return super().change_view(request, object_id, form_url, context)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), "preview": preview(None)}
        return super().add_view(request, form_url, context)

    # --- publishing ----------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Publish to WeChat"), permissions=["change"])
    def publish_to_wechat(
        self, request: HttpRequest, queryset: QuerySet[Menu]
    ) -> TemplateResponse | None:
        """A page with WeChat's menu and each selected one side by side; publish on ``post``."""
        menus = sorted(
            queryset.prefetch_related("buttons"), key=lambda m: (m.account, m.is_conditional)
        )
        return self.publish_page(request, menus, action=True)

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        # As UserAdmin's password page: the admin's queryset, and a 404 for an id that is
        # none (get_object() answers None for a malformed one, not a ValueError).
        menu = self.get_object(request, unquote(object_id))
        if menu is None:
            raise Http404
        if not self.has_change_permission(request, menu):
            return HttpResponseRedirect(reverse("admin:index"))
        return self.publish_page(request, [menu], action=False) or HttpResponseRedirect(
            reverse("admin:django_wechat_menu_change", args=[menu.pk])
        )

    def publish_page(
        self, request: HttpRequest, menus: list[Menu], *, action: bool
    ) -> TemplateResponse | None:
        items: list[dict[str, Any]] = []
        wechat: dict[str, sync.WeChatMenus] = {}
        page_error = ""
        for menu in menus:
            body = menu.to_wechat()
            item: dict[str, Any] = {
                "menu": menu,
                "title": sync.menu_title(body),
                "problems": [str(p) for p in menu_problems(body)],
                "refusal": None,
            }
            try:
                if menu.account not in wechat:
                    wechat[menu.account] = sync.read_wechat(get_client(menu.account))
                current = wechat[menu.account].find(menu)
            except WeChatError as exc:
                page_error = describe(exc)
                current = None
            item["rows"] = sync.side_by_side(sync.menu_lines(current), sync.menu_lines(body))
            item["unchanged"] = current is not None and not any(r.changed for r in item["rows"])
            item["current"], item["ours"] = preview(current), preview(body)
            items.append(item)
        if request.method == "POST" and request.POST.get("post") == "yes" and not page_error:
            failed = False
            for item in items:
                if item["problems"]:
                    failed = True
                    continue
                menu = item["menu"]
                try:
                    sync.publish(menu, get_client(menu.account))
                except APIError as exc:
                    item["refusal"] = sync.refusal(exc)
                    item["refused_field"] = field_label(item["refusal"].field)
                    failed = True
                except WeChatError as exc:
                    page_error, failed = describe(exc), True
                else:
                    self.message_user(
                        request,
                        _("“%(menu)s” is published on WeChat.") % {"menu": menu.title},
                        messages.SUCCESS,
                    )
            if not failed:
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish to WeChat"),
            "opts": self.model._meta,
            "items": items,
            "error": page_error,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/django_wechat/menu/publish.html", context)

    @admin.action(
        description=gettext_lazy("Remove conditional menus from WeChat"), permissions=["change"]
    )
    def remove_from_wechat(self, request: HttpRequest, queryset: QuerySet[Menu]) -> None:
        """delconditional for each selected conditional menu; they stay here as drafts."""
        for menu in queryset:
            if not menu.is_conditional:
                self.message_user(
                    request,
                    _(
                        "“%(menu)s” is the default menu: “manage.py wechat_sync_menu --delete” "
                        "deletes it, with every conditional menu."
                    )
                    % {"menu": menu.title},
                    messages.WARNING,
                )
                continue
            try:
                sync.unpublish(menu, get_client(menu.account))
            except WeChatError as exc:
                self.message_user(request, describe(exc), messages.ERROR)
            else:
                self.message_user(
                    request, _("“%(menu)s” is removed from WeChat.") % {"menu": menu.title}
                )

    # --- pulling and trying a match -----------------------------------------------------

    def pull_view(self, request: HttpRequest) -> HttpResponse:
        """WeChat's menus for an account, and a button to store them here."""
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        account = request.POST.get("account") or request.GET.get("account") or "default"
        accounts = list(get_accounts())
        if account not in accounts:
            account = accounts[0]
        error, current = "", None
        try:
            current = sync.read_wechat(get_client(account))
        except WeChatError as exc:
            error = describe(exc)
        if request.method == "POST" and current is not None and current.default is not None:
            saved = sync.save_pulled(account, current)
            for note in current.notes:
                self.message_user(request, note, messages.WARNING)
            self.message_user(
                request,
                _("Pulled %(count)d menus of account %(account)s from WeChat.")
                % {"count": len(saved), "account": account},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:django_wechat_menu_changelist"))
        menus = []
        if current is not None:
            for body in [current.default, *current.conditional]:
                if body:
                    menus.append({"title": sync.menu_title(body), "preview": preview(body)})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Pull from WeChat"),
            "opts": self.model._meta,
            "accounts": accounts,
            "account": account,
            "menus": menus,
            "from_console": bool(current and current.from_console),
            "notes": current.notes if current else [],
            "error": error,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/django_wechat/menu/pull.html", context)

    def trymatch_view(self, request: HttpRequest) -> HttpResponse:
        """Which menu a follower sees (menu/trymatch)."""
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        accounts = list(get_accounts())
        account = request.GET.get("account") or accounts[0]
        user_id = request.GET.get("user_id", "").strip()
        error, seen = "", None
        if account not in accounts:
            error = _("No account named %(account)s.") % {"account": account}
        elif user_id:
            try:
                seen = sync.try_match(get_client(account), user_id)
            except APIError as exc:
                error = str(sync.refusal(exc))
            except WeChatError as exc:
                error = describe(exc)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Which menu does this follower see?"),
            "opts": self.model._meta,
            "accounts": accounts,
            "account": account,
            "user_id": user_id,
            "seen": preview(seen) if seen else None,
            "seen_lines": sync.menu_lines(seen),
            "error": error,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/django_wechat/menu/trymatch.html", context)


def preview(body: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The phone preview's columns: each button's name and its sub-buttons' names."""
    if not body:
        return []
    return [
        {"name": b.get("name", ""), "subs": [s.get("name", "") for s in b.get("sub_button") or []]}
        for b in body.get("button", [])
    ]


def field_label(name: str) -> str:
    """The editor's label of the field a refusal names (``url`` -> "url", ``tag_id`` ->
    "tag id"), or the name itself when no field of ours has it."""
    for model in (Button, Menu):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        return str(getattr(field, "verbose_name", name))
    return name


def describe(exc: WeChatError) -> str:
    """A failure to reach or use WeChat, for the page (no secret is in it)."""
    if isinstance(exc, APIError):
        return str(sync.refusal(exc))
    return _("Could not talk to WeChat: %(error)s") % {"error": exc}
