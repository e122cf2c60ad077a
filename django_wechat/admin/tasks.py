"""The admin of background work: broadcasts with their progress bar (cancel, resume), the
deferred replies of ``defer=True`` handlers (both records of work done by tasks: read-only
here), and :func:`start_sync`, the view behind the "in the background" sync buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import broadcasts, tasks
from ..models import Broadcast, DeferredReply
from .common import posted_account

if TYPE_CHECKING:
    _BroadcastAdmin = admin.ModelAdmin[Broadcast]
    _DeferredAdmin = admin.ModelAdmin[DeferredReply]
else:  # ModelAdmin is generic only in django-stubs
    _BroadcastAdmin = _DeferredAdmin = admin.ModelAdmin


def start_sync(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    task: Any,
    *,
    permission: str,
    done_url: str,
    **options: Any,
) -> HttpResponse:
    """POST ``account``: enqueue ``task(account, **options)`` (one of the scheduled syncs of
    :mod:`django_wechat.tasks`), say which task it became, and go back to ``done_url``.

    Staff without ``permission`` get 403; with no Tasks framework, or a broken
    ``settings.TASKS``, the message says so and nothing is enqueued.
    """
    if not request.user.has_perm(permission):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseRedirect(done_url)
    account = posted_account(model_admin, request)
    if account is None:
        return HttpResponseRedirect(done_url)
    try:
        result = task.enqueue(account, **options)
    except ImproperlyConfigured as exc:  # no framework (wechat.E150), or an unknown backend
        model_admin.message_user(
            request,
            gettext("Could not start the sync in the background: %(error)s") % {"error": exc},
            messages.ERROR,
        )
        return HttpResponseRedirect(done_url)
    failed = result.status == type(result.status).FAILED
    model_admin.message_user(
        request,
        gettext("Sync of account %(account)s enqueued as task %(id)s: %(status)s.")
        % {"account": account, "id": result.id, "status": result.status.label},
        messages.ERROR if failed else messages.SUCCESS,
    )
    return HttpResponseRedirect(done_url)


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Broadcast)
class BroadcastAdmin(_ReadOnly, _BroadcastAdmin):
    """Each broadcast's progress; start one with ``manage.py wechat_broadcast``."""

    list_display = ("__str__", "account", "kind", "state", "progress_bar", "counts", "created_at")
    list_filter = ("account", "kind", "state")
    readonly_fields = ("progress_bar", "counts")
    fields = (
        "account",
        "kind",
        "state",
        "payload",
        "batch_size",
        "concurrency",
        "progress_bar",
        "counts",
        "created_at",
        "finished_at",
    )
    actions = ("cancel", "resume")

    @admin.display(description=_("progress"))
    def progress_bar(self, obj: Broadcast) -> str:
        p = broadcasts.progress(obj)
        return format_html(
            '<progress class="broadcast-progress" value="{}" max="{}">{}%</progress> {}%',
            p.total - p.remaining,
            p.total or 1,
            p.percent,
            p.percent,
        )

    @admin.display(description=_("sent / failed / blocked / remaining"))
    def counts(self, obj: Broadcast) -> str:
        p = broadcasts.progress(obj)
        return format_html(
            '<span class="broadcast-counts">{} / {} / {} / {}</span>',
            p.sent,
            p.failed,
            p.blocked,
            p.remaining,
        )

    @admin.action(description=_("Cancel the selected broadcasts"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[Broadcast]) -> None:
        done = sum(broadcasts.cancel(job) for job in queryset)
        self.message_user(
            request,
            gettext("Broadcasts cancelled: %(n)d.") % {"n": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Resume the selected broadcasts"))
    def resume(self, request: HttpRequest, queryset: QuerySet[Broadcast]) -> None:
        done = sum(tasks.resume_broadcast(job) for job in queryset)
        self.message_user(
            request,
            gettext("Broadcasts resumed: %(n)d.") % {"n": done},
            messages.SUCCESS,
        )


@admin.register(DeferredReply)
class DeferredReplyAdmin(_ReadOnly, _DeferredAdmin):
    """What each ``defer=True`` handler's reply became."""

    list_display = ("handler", "account", "openid", "state", "runs", "created_at", "updated_at")
    list_filter = ("account", "state", "handler")
    search_fields = ("openid", "handler")
