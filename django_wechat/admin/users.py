"""The admin for :class:`~django_wechat.models.WeChatUser`: WeChat's fields are read-only;
the follower actions (refresh, send a text, add or remove a tag) go through WeChat.

An action's intermediate page names the first :data:`SHOWN` followers and counts the rest;
with "select all" across the list's pages it carries ``select_across`` and the list's
filters instead of every follower's id (Django's 1,000-field limit on a POST would refuse
the form). A text to more than :data:`SEND_NOW_AT_MOST` followers goes out as a broadcast,
in the background, instead of one send after another inside the request."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_permission_codename, get_user_model
from django.core.cache import caches
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.crypto import get_random_string
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import broadcasts, tasks
from ..cache import CacheFailed, admin_form_key, call
from ..client import get_client
from ..conf import wechat_settings
from ..exceptions import APIError, WeChatError
from ..models import Tag, WeChatUser
from ..sync.followers import refresh_followers, tag_followers

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[WeChatUser]
else:  # ModelAdmin is generic only in django-stubs
    _ModelAdmin = admin.ModelAdmin

logger = logging.getLogger("django_wechat")

#: How many of the chosen followers an action's page names (it counts the others).
SHOWN = 20
#: A text to at most this many followers is sent in the request, with each one's outcome
#: on the next page; to more, as a broadcast (its progress on its own admin page).
SEND_NOW_AT_MOST = 20

#: The hidden field that makes an action's form count once (a double click, a reload).
ONCE_FIELD = "wechat_once"

#: What WeChat owns: shown, never edited here.
WECHAT_FIELDS = (
    "account",
    "openid",
    *WeChatUser.PROFILE_FIELDS,
    "created_at",
    "updated_at",
)


@admin.register(WeChatUser)
class WeChatUserAdmin(_ModelAdmin):
    """List by account, subscribed and language; search by openid, unionid, nickname."""

    list_display = (
        "__str__",
        "account",
        "openid",
        "subscribed",
        "language",
        "tag_names",
        "user_link",
    )
    list_filter = ("account", "subscribed", ("tags", admin.RelatedOnlyFieldListFilter), "language")
    search_fields = ("openid", "unionid", "nickname")
    actions = ("refresh_from_wechat", "send_text", "add_tag", "remove_tag")
    readonly_fields = (*WECHAT_FIELDS, "user_link")
    fields = (*WECHAT_FIELDS, "user", "user_link")
    raw_id_fields = ("user",)
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Never: followers come from logins and follower sync, and every field but the
        user link is WeChat's (a form of blanks would make a follower without an openid)."""
        return False

    def get_readonly_fields(
        self, request: HttpRequest, obj: WeChatUser | None = None
    ) -> list[str] | tuple[str, ...]:
        """``user`` too, unless the staff member may change users: whoever links an
        openid to a user can log in as that user with WeChat."""
        fields = super().get_readonly_fields(request, obj)
        opts = get_user_model()._meta
        if request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}"):
            return fields
        return (*fields, "user")

    def get_queryset(self, request: HttpRequest) -> QuerySet[WeChatUser]:
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description=_("tags"))
    def tag_names(self, obj: WeChatUser) -> str:
        """The follower's tags by name."""
        return ", ".join(t.name for t in obj.tags.all()) or "-"

    # --- actions (issue 14: follower sync) ---------------------------------------------

    @admin.action(description=_("Refresh from WeChat"), permissions=["change"])
    def refresh_from_wechat(self, request: HttpRequest, queryset: QuerySet[WeChatUser]) -> None:
        """Fetch the chosen followers' profiles again (100 a call)."""
        followers = list(queryset)
        try:
            changed = refresh_followers(followers)
        except WeChatError as exc:
            self.message_user(request, _refused(exc), messages.ERROR)
            return
        self.message_user(
            request,
            gettext("Refreshed from WeChat: %(count)d followers, %(changed)d changed.")
            % {"count": len(followers), "changed": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Send a text message"), permissions=["change"])
    def send_text(self, request: HttpRequest, queryset: QuerySet[WeChatUser]) -> Any:
        """A customer-service text message to each chosen follower (after a form)."""
        return self._action_page(
            request,
            queryset,
            TextForm,
            action="send_text",
            title=gettext("Send a text message"),
            submit=gettext("Send"),
            explanation=gettext(
                "WeChat delivers a customer-service message only to followers who wrote to "
                "the account (or clicked its menu, followed it, scanned its QR code) in the "
                "last 48 hours."
            ),
            apply=lambda form, chosen: self._send_text(request, form, chosen),
        )

    @admin.action(description=_("Add a tag"), permissions=["change"])
    def add_tag(self, request: HttpRequest, queryset: QuerySet[WeChatUser]) -> Any:
        """Tag the chosen followers on WeChat (50 a call), after choosing the tag."""
        return self._tag_page(request, queryset, remove=False)

    @admin.action(description=_("Remove a tag"), permissions=["change"])
    def remove_tag(self, request: HttpRequest, queryset: QuerySet[WeChatUser]) -> Any:
        """Untag the chosen followers on WeChat (50 a call), after choosing the tag."""
        return self._tag_page(request, queryset, remove=True)

    def _tag_page(
        self, request: HttpRequest, queryset: QuerySet[WeChatUser], *, remove: bool
    ) -> Any:
        def apply(form: forms.Form, queryset: QuerySet[WeChatUser]) -> None:
            tag: Tag = form.cleaned_data["tag"]
            followers = list(queryset)
            chosen = [f for f in followers if f.account == tag.account]
            try:
                done = tag_followers(tag, chosen, remove=remove)
            except WeChatError as exc:
                self.message_user(request, _refused(exc), messages.ERROR)
                return
            text = (
                gettext("Removed the tag “%(tag)s” from followers: %(count)d.")
                if remove
                else gettext("Added the tag “%(tag)s” to followers: %(count)d.")
            )
            self.message_user(
                request, text % {"tag": tag.name, "count": len(done)}, messages.SUCCESS
            )
            if len(done) < len(followers):
                self.message_user(
                    request,
                    gettext("Followers of other accounts left alone: %(count)d.")
                    % {"count": len(followers) - len(done)},
                    messages.WARNING,
                )

        accounts = set(queryset.values_list("account", flat=True))
        return self._action_page(
            request,
            queryset,
            TagForm,
            form_kwargs={"tags": Tag.objects.filter(account__in=accounts)},
            action="remove_tag" if remove else "add_tag",
            title=gettext("Remove a tag") if remove else gettext("Add a tag"),
            submit=gettext("Remove the tag") if remove else gettext("Add the tag"),
            explanation="",
            apply=apply,
        )

    def _action_page(
        self,
        request: HttpRequest,
        queryset: QuerySet[WeChatUser],
        form_class: type[forms.Form],
        *,
        action: str,
        title: str,
        submit: str,
        explanation: str,
        apply: Any,
        form_kwargs: dict[str, Any] | None = None,
    ) -> TemplateResponse | None:
        """The intermediate page of an action, like Django's delete confirmation: the chosen
        followers and a form; None (back to the list) once the form is applied."""
        if request.POST.get("post"):
            form = form_class(request.POST, **(form_kwargs or {}))
            if form.is_valid():
                if self._first_time(request):
                    apply(form, queryset)
                return None
        else:
            form = form_class(**(form_kwargs or {}))
        select_across = request.POST.get("select_across") == "1"
        count = queryset.count()
        ids = queryset.values_list("pk", flat=True)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "followers": list(queryset[:SHOWN]),
            "count": count,
            "more": max(count - SHOWN, 0),
            "select_across": select_across,
            # Chosen on one page: their ids (at most a page's worth) go back with the form.
            # Across the pages: select_across, and one id, without which Django's
            # changelist would not run an action's second step.
            "chosen_pks": list(ids[:1] if select_across else ids),
            "form": form,
            "once": (ONCE_FIELD, get_random_string(24)),
            "action": action,
            "submit": submit,
            "explanation": explanation,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/django_wechat/wechatuser/action_form.html", context)

    def _first_time(self, request: HttpRequest) -> bool:
        """Is this the first time the form of its page is carried out? Its token is taken
        in the shared cache, so two clicks in flight at once count once too."""
        token = request.POST.get(ONCE_FIELD, "")
        if not token:
            self.message_user(
                request,
                gettext(
                    "This form did not come from its page: nothing was done. Choose the "
                    "action again from the list."
                ),
                messages.WARNING,
            )
            return False
        try:
            first = call(caches[wechat_settings.CACHE].add, admin_form_key(token), 1, 86400)
        except CacheFailed:
            first = None
        if first is None:  # failed, or failed quietly (django-redis' IGNORE_EXCEPTIONS)
            logger.warning("The cache failed: an admin action ran unchecked for repeats")
            return True
        if not first:
            self.message_user(
                request,
                gettext(
                    "This form was sent already (twice clicked, or the page reloaded): "
                    "nothing was done again. To do it again, choose the action again from "
                    "the list."
                ),
                messages.WARNING,
            )
        return bool(first)

    def _send_text(
        self, request: HttpRequest, form: forms.Form, queryset: QuerySet[WeChatUser]
    ) -> None:
        content = form.cleaned_data["content"]
        if queryset.count() > SEND_NOW_AT_MOST:
            self._broadcast_text(request, content, queryset)
            return
        followers = list(queryset)
        sent, outside, failed = 0, [], []
        for follower in followers:
            try:
                get_client(follower.account).message.send_text(follower.openid, content)
            except APIError as exc:
                if exc.errcode == SERVICE_WINDOW_CLOSED:
                    outside.append(str(follower))
                else:
                    failed.append(f"{follower}: {_refused(exc)}")
            except WeChatError as exc:
                failed.append(f"{follower}: {exc}")
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                gettext("Messages sent: %(count)d.") % {"count": sent},
                messages.SUCCESS,
            )
        if outside:
            self.message_user(
                request,
                gettext(
                    "WeChat refused the message to %(names)s (errcode 45015): a "
                    "customer-service message reaches a follower only within 48 hours of "
                    "their last message to the account, menu click, follow or QR code scan. "
                    "Reach them once they write again, or with a template message."
                )
                % {"names": ", ".join(outside)},
                messages.WARNING,
            )
        for problem in failed:
            self.message_user(request, problem, messages.ERROR)

    def _broadcast_text(
        self, request: HttpRequest, content: str, queryset: QuerySet[WeChatUser]
    ) -> None:
        """One broadcast of ``content`` per account among the chosen followers, started;
        only for staff who may add broadcasts."""
        if not request.user.has_perm("django_wechat.add_broadcast"):
            self.message_user(
                request,
                gettext(
                    "A text to more than %(count)d followers goes out as a broadcast, and "
                    "you may not start broadcasts (the “add broadcast” permission). Choose "
                    "at most %(count)d followers."
                )
                % {"count": SEND_NOW_AT_MOST},
                messages.ERROR,
            )
            return
        may_view = request.user.has_perm("django_wechat.view_broadcast")
        for account in sorted(set(queryset.values_list("account", flat=True))):
            job = broadcasts.create_broadcast(
                queryset.filter(account=account), account=account, text=content
            )
            try:
                tasks.start_broadcast(job)
            except Exception as exc:  # no Tasks framework, a broken TASKS, a broker down
                logger.exception("Could not start broadcast %s", job.pk)
                broadcasts.cancel(job)  # not left "running" with no task behind it
                self.message_user(
                    request,
                    gettext("Could not start the broadcast (%(id)s, now cancelled): %(error)s")
                    % {"id": job.pk, "error": exc},
                    messages.ERROR,
                )
                continue
            self.message_user(
                request, self._started(job, account, may_view=may_view), messages.SUCCESS
            )

    @staticmethod
    def _started(job: Any, account: str, *, may_view: bool) -> str:
        values = {"id": job.pk, "count": broadcasts.progress(job).total, "account": account}
        text = (
            gettext("Broadcast %(id)s started for %(count)d followers of account %(account)s.")
            % values
        )
        if not may_view:
            return text
        url = reverse("admin:django_wechat_broadcast_change", args=[job.pk])
        return format_html(
            '{} <a href="{}">{}</a>', text, url, gettext("Its progress is on its page.")
        )

    @admin.display(description=_("Django user"), ordering="user")
    def user_link(self, obj: WeChatUser) -> str:
        """A link to the user's own admin page."""
        if obj.user is None:
            return "-"
        meta = obj.user._meta
        try:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.user.pk])
        except NoReverseMatch:
            return str(obj.user)
        return format_html('<a href="{}">{}</a>', url, obj.user)


#: "out of response count limit": outside the 48-hour customer-service window (客服消息 doc).
SERVICE_WINDOW_CLOSED = 45015


def _refused(exc: WeChatError) -> str:
    if isinstance(exc, APIError):
        return gettext("WeChat refused: errcode %(errcode)s (%(errmsg)s).") % {
            "errcode": exc.errcode,
            "errmsg": exc.errmsg,
        }
    return gettext("WeChat could not be reached: %(error)s") % {"error": exc}


class TextForm(forms.Form):
    """The text of a customer-service message."""

    content = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))


class TagForm(forms.Form):
    """The tag to add or remove: one of the chosen followers' accounts'."""

    tag = forms.ModelChoiceField(
        label=_("Tag"),
        queryset=Tag.objects.none(),
        help_text=_("Tags come from WeChat: manage.py wechat_sync_users syncs them."),
    )

    def __init__(self, *args: Any, tags: QuerySet[Tag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Tag]", self.fields["tag"]).queryset = tags
