"""Template messages in the admin: the templates synced from WeChat (with a "Sync from
WeChat" button that syncs now, and "Sync in the background" that enqueues
:func:`django_wechat.tasks.sync_templates`), a "Send a test message" page built from a
template's keywords, and the read-only log of what was sent.

The extra pages are added with ``get_urls()`` and ``admin_site.admin_view()``, as
``UserAdmin`` adds its password page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import tasks
from ..exceptions import APIError, WeChatError
from ..models import MessageTemplate, TemplateMessage, WeChatUser
from ..models.templates import keyword_labels
from ..sync.templates import sync_templates
from ..template_messages import InvalidTemplateMessage, keyword_limit, send_template_message
from .common import (
    ReadOnlyAdminMixin,
    follower_link,
    official_accounts,
    posted_account,
    with_follower,
)
from .tasks import start_sync

if TYPE_CHECKING:
    _TemplateAdmin = admin.ModelAdmin[MessageTemplate]
    _MessageAdmin = admin.ModelAdmin[TemplateMessage]
else:  # ModelAdmin is generic only in django-stubs
    _TemplateAdmin = _MessageAdmin = admin.ModelAdmin

#: The prefix of a keyword's field on the test-send form (a keyword may be called "url").
KEYWORD_PREFIX = "keyword_"
#: How many followers the follower field suggests.
SUGGESTED_FOLLOWERS = 200


def refusal_meanings() -> dict[int, str]:
    """What WeChat's refusals of a template send mean (模板消息接口 doc, 全局返回码)."""
    return {
        40003: _("the openid is not a follower of this account"),
        40036: _("the template_id is not valid"),
        40037: _("the template_id is not a template of this account"),
        41028: _("the form_id is not valid"),
        43004: _("the follower has unfollowed the account"),
        43101: _("the follower refused messages from the account"),
        45009: _("the daily quota of template messages is used up (100,000 a day)"),
        47001: _("the data is not valid JSON"),
        47003: _("a keyword's value is missing or breaks its rule"),
    }


def describe(exc: WeChatError) -> str:
    """WeChat's answer (or the failure to get one), for the page; no secret is in it."""
    if isinstance(exc, APIError):
        meaning = refusal_meanings().get(exc.errcode)
        answer = _("errcode %(errcode)s: %(errmsg)s") % {
            "errcode": exc.errcode,
            "errmsg": exc.errmsg,
        }
        if meaning:
            return _("WeChat refused the message: %(meaning)s (%(answer)s).") % {
                "meaning": meaning,
                "answer": answer,
            }
        return _("WeChat refused the message (%(answer)s).") % {"answer": answer}
    return _("Could not talk to WeChat: %(error)s") % {"error": exc}


class TestSendForm(forms.Form):
    """A field per keyword of the template (with its limit), the follower, and where the
    message leads."""

    follower = forms.CharField(
        label=gettext_lazy("Follower"),
        help_text=gettext_lazy("The nickname or openid of a WeChat user of this account."),
    )
    url = forms.URLField(
        label=gettext_lazy("URL"),
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("The page the message opens (optional)."),
    )
    miniprogram_appid = forms.CharField(
        label=gettext_lazy("Mini program AppID"),
        required=False,
        help_text=gettext_lazy("Open a mini program page instead (WeChat prefers it to the URL)."),
    )
    miniprogram_pagepath = forms.CharField(label=gettext_lazy("Mini program page"), required=False)

    def __init__(self, template: MessageTemplate, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        labels = keyword_labels(template.content)
        for keyword in template.keywords:
            limit = keyword_limit(keyword)
            self.fields[KEYWORD_PREFIX + keyword] = forms.CharField(
                label=f"{labels[keyword]} ({keyword})" if keyword in labels else keyword,
                max_length=limit,
                help_text=_("At most %(limit)d characters, on one line.") % {"limit": limit},
            )
        self.order_fields([KEYWORD_PREFIX + k for k in template.keywords])

    def clean_follower(self) -> WeChatUser:
        value = self.cleaned_data["follower"].strip()
        users = WeChatUser.objects.filter(account=self.template.account)
        found = users.filter(openid=value).first()
        if found is not None:
            return found
        named = list(users.filter(nickname=value)[:2])
        if len(named) > 1:
            raise forms.ValidationError(
                _("Several followers are called %(name)s: give the openid.") % {"name": value}
            )
        if not named:
            raise forms.ValidationError(
                _("No WeChat user of account %(account)s has this nickname or openid.")
                % {"account": self.template.account}
            )
        return named[0]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("miniprogram_pagepath") and not cleaned.get("miniprogram_appid"):
            self.add_error("miniprogram_appid", _("A mini program page needs its AppID."))
        return cleaned

    def data_values(self) -> dict[str, str]:
        """Each keyword's value as typed."""
        return {k: self.cleaned_data[KEYWORD_PREFIX + k] for k in self.template.keywords}


@admin.register(MessageTemplate)
class MessageTemplateAdmin(_TemplateAdmin):
    """The account's templates as WeChat lists them; read-only, refreshed from WeChat."""

    list_display = ("title", "account", "keyword_list", "template_id", "removed", "send_link")
    list_filter = ("account", "removed", "primary_industry")
    search_fields = ("title", "template_id", "content")
    readonly_fields = (
        "account",
        "template_id",
        "title",
        "primary_industry",
        "deputy_industry",
        "content",
        "example",
        "keyword_list",
        "removed",
        "synced_at",
    )
    fields = readonly_fields
    change_list_template = "admin/django_wechat/messagetemplate/change_list.html"
    change_form_template = "admin/django_wechat/messagetemplate/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # templates come from WeChat

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # removed on WeChat is marked, and sent messages point at it

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # what WeChat says, shown; made and edited in WeChat's console

    @admin.display(description=gettext_lazy("keywords"))
    def keyword_list(self, template: MessageTemplate) -> str:
        return ", ".join(template.keywords)

    @admin.display(description=gettext_lazy("test"))
    def send_link(self, template: MessageTemplate) -> str:
        if template.removed:
            return "-"
        url = reverse("admin:django_wechat_messagetemplate_send", args=[template.pk])
        return format_html('<a href="{}">{}</a>', url, _("Send a test message"))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("sync/", view(self.sync_view), name="django_wechat_messagetemplate_sync"),
            path("start/", view(self.start_view), name="django_wechat_messagetemplate_start"),
            path(
                "<path:object_id>/send/",
                view(self.send_view),
                name="django_wechat_messagetemplate_send",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), "accounts": official_accounts()}
        return super().changelist_view(request, context)

    def sync_view(self, request: HttpRequest) -> HttpResponse:
        """POST: get_all_private_template of the chosen account into the table."""
        changelist = reverse("admin:django_wechat_messagetemplate_changelist")
        allowed = request.user.has_perm("django_wechat.change_messagetemplate")
        if request.method != "POST" or not allowed:
            return HttpResponseRedirect(changelist)
        account = posted_account(self, request)
        if account is None:
            return HttpResponseRedirect(changelist)
        try:
            result = sync_templates(account)
        except WeChatError as exc:
            self.message_user(
                request,
                _("Could not sync the templates: %(error)s") % {"error": exc},
                messages.ERROR,
            )
            return HttpResponseRedirect(changelist)
        self.message_user(
            request,
            _(
                "Templates of account %(account)s synced from WeChat: %(added)d added, "
                "%(changed)d changed, %(removed)d removed."
            )
            % {
                "account": account,
                "added": len(result.added),
                "changed": len(result.changed),
                "removed": len(result.removed),
            },
            messages.SUCCESS,
        )
        return HttpResponseRedirect(changelist)

    def start_view(self, request: HttpRequest) -> HttpResponse:
        """POST ``account``: enqueue the template sync (for a backend with workers)."""
        return start_sync(
            self,
            request,
            tasks.sync_templates,
            permission="django_wechat.change_messagetemplate",
            done_url=reverse("admin:django_wechat_messagetemplate_changelist"),
        )

    def send_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The "Send a test message" page: the form, then WeChat's answer."""
        template = get_object_or_404(MessageTemplate, pk=object_id)
        if not request.user.has_perm("django_wechat.add_templatemessage"):
            return HttpResponseRedirect(reverse("admin:index"))
        form = TestSendForm(template, request.POST if request.method == "POST" else None)
        sent: TemplateMessage | None = None
        error = ""
        if template.removed:
            error = _("This template was removed on WeChat; it can no longer be sent.")
        elif request.method == "POST" and form.is_valid():
            mini = None
            if form.cleaned_data["miniprogram_appid"]:
                mini = {
                    "appid": form.cleaned_data["miniprogram_appid"],
                    "pagepath": form.cleaned_data["miniprogram_pagepath"],
                }
            try:
                sent = send_template_message(
                    template.account,
                    form.cleaned_data["follower"].openid,
                    template.template_id,
                    form.data_values(),
                    url=form.cleaned_data["url"],
                    miniprogram=mini,
                )
            except InvalidTemplateMessage as exc:
                name = KEYWORD_PREFIX + exc.field
                form.add_error(name if name in form.fields else None, exc.message)
            except WeChatError as exc:
                error = describe(exc)
                sent = (
                    TemplateMessage.objects.filter(
                        template=template, openid=form.cleaned_data["follower"].openid
                    )
                    .order_by("-pk")
                    .first()
                )
        followers = WeChatUser.objects.filter(account=template.account).order_by("nickname")[
            :SUGGESTED_FOLLOWERS
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Send a test message"),
            "opts": self.model._meta,
            "original": template,
            "form": form,
            "followers": followers,
            "sent": sent,
            "sent_url": reverse("admin:django_wechat_templatemessage_change", args=[sent.pk])
            if sent
            else "",
            "accepted": _("WeChat accepted the message: msgid %(msgid)s (%(status)s).")
            % {"msgid": sent.msgid, "status": sent.get_status_display()}
            if sent
            else "",
            "error": error,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/django_wechat/messagetemplate/send.html", context)


@admin.register(TemplateMessage)
class TemplateMessageAdmin(ReadOnlyAdminMixin, _MessageAdmin):
    """The sent log: every template message, with its delivery status; read-only."""

    list_display = ("sent_at", "template", "follower", "status", "msgid", "finished_at")
    list_filter = ("status", "template", "account")
    search_fields = ("openid", "msgid", "client_msg_id")
    list_select_related = ("template",)
    date_hierarchy = "sent_at"
    fields = (
        "account",
        "template",
        "follower",
        "data",
        "url",
        "miniprogram_appid",
        "miniprogram_pagepath",
        "client_msg_id",
        "msgid",
        "status",
        "error",
        "sent_at",
        "finished_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[TemplateMessage]:
        return with_follower(super().get_queryset(request))

    @admin.display(description=gettext_lazy("follower"), ordering="openid")
    def follower(self, message: TemplateMessage) -> str:
        return follower_link(message)
