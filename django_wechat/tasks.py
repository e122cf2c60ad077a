"""django_wechat's background work, as tasks of Django's Tasks framework.

Each task here is a thin, JSON-argument entry point; the work itself lives in the module
it names (:mod:`django_wechat.deferred`, :mod:`django_wechat.broadcasts`, the syncs).
Which backend runs them is ``settings.TASKS``'s business: the same code runs inside the
request (Django's ImmediateBackend), in one ``manage.py db_worker`` beside the site
(``django-tasks-db``), or on a fleet of RQ workers (``django-tasks-rq``).

This module also holds the system checks about background work (``wechat.E150``,
``wechat.W150``); :mod:`django_wechat.apps` imports it once the apps are ready.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.translation import gettext as _

from . import broadcasts, deferred, taskapi
from .conf import CHECK_TAG
from .handlers import registry
from .models import Broadcast

if TYPE_CHECKING:
    from .conf import Account
    from .handlers import Handler
    from .messages import BaseMessage

__all__ = [
    "broadcast_lane",
    "check_deferred_handlers",
    "deferred_reply",
    "enqueue_deferred",
    "resume_broadcast",
    "resume_broadcast_task",
    "start_broadcast",
    "sync_followers",
    "sync_templates",
]

#: How long one lane task sends before it hands over to a fresh task (so a worker's
#: tasks stay short and a deploy's restart loses little).
LANE_BUDGET = 60.0
#: WeChat's daily API quotas reset at midnight, Beijing time.
QUOTA_TIMEZONE = ZoneInfo("Asia/Shanghai")


@taskapi.task()
def deferred_reply(account: str, raw: dict[str, Any], handler: str, key: str) -> str:
    """Run the ``defer=True`` handler ``handler`` on the message ``raw`` and send its
    reply (:func:`django_wechat.deferred.run`); returns the reply's final state."""
    return deferred.run(account, raw, handler, key)


def enqueue_deferred(entry: Handler, message: BaseMessage, account: Account, key: str) -> Any:
    """Enqueue :func:`deferred_reply` for one message (the callback calls this)."""
    deferred.prepare(message, account.name, entry.name, key)
    return deferred_reply.enqueue(account.name, message.raw, entry.name, key)


# --- broadcasts ---------------------------------------------------------------------------


@taskapi.task()
def broadcast_lane(broadcast_id: int, lane: int) -> bool:
    """Send lane ``lane`` of a broadcast (:mod:`django_wechat.broadcasts`) for up to
    :data:`LANE_BUDGET` seconds, then enqueue its continuation; False when it is done."""
    deadline = time.monotonic() + LANE_BUDGET
    more = True
    while more and time.monotonic() < deadline:
        more = broadcasts.run_batch(broadcast_id, lane)
    if more:
        broadcast_lane.enqueue(broadcast_id, lane)
        return True
    state = Broadcast.objects.filter(pk=broadcast_id).values_list("state", flat=True).first()
    if state == Broadcast.State.PAUSED:
        _schedule_resume(broadcast_id)
    return False


def start_broadcast(broadcast: Broadcast) -> None:
    """Enqueue one task per lane of ``broadcast`` (``concurrency`` of them)."""
    for lane in broadcasts.lanes(broadcast):
        broadcast_lane.enqueue(broadcast.pk, lane)


def resume_broadcast(broadcast: Broadcast | int) -> bool:
    """Resume a paused or interrupted broadcast (see :func:`broadcasts.resume`) and
    enqueue its lanes; False when it is done or cancelled."""
    job = broadcasts.resume(broadcast)
    if job is None:
        return False
    start_broadcast(job)
    return True


@taskapi.task()
def resume_broadcast_task(broadcast_id: int) -> bool:
    """:func:`resume_broadcast` as a task, scheduled for after the quota's reset."""
    return resume_broadcast(broadcast_id)


def _schedule_resume(broadcast_id: int) -> None:
    # Once per pause: several lanes stop on 45009, and the first to get here schedules.
    if not taskapi.backend().supports_defer:
        return
    local = datetime.now(QUOTA_TIMEZONE)
    reset = (local + timedelta(days=1)).replace(hour=0, minute=1, second=0, microsecond=0)
    resume_broadcast_task.using(run_after=reset).enqueue(broadcast_id)


# --- scheduled syncs ------------------------------------------------------------------------


@taskapi.task()
def sync_followers(account: str = "default", full: bool = False) -> str:
    """Follower sync (:func:`django_wechat.sync.followers.sync_followers`) as a task, for
    a deployment's scheduler; returns its result as text."""
    from .sync.followers import sync_followers as run  # type: ignore[import-not-found,unused-ignore]

    return str(run(account, full=full))


@taskapi.task()
def sync_templates(account: str = "default") -> str:
    """Template sync (:func:`django_wechat.sync.templates.sync_templates`) as a task."""
    from .sync.templates import sync_templates as run  # type: ignore[import-not-found,unused-ignore]

    return str(run(account))


# --- checks -----------------------------------------------------------------------------------


@register(CHECK_TAG)
def check_deferred_handlers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``defer=True`` handlers need the Tasks framework, and a backend that runs tasks
    outside the request to be any use."""
    deferred_handlers = [entry.name for entry in registry if entry.defer]
    if not deferred_handlers:
        return []
    names = ", ".join(deferred_handlers)
    if not taskapi.available():
        return [
            Error(
                _("defer=True handlers (%(names)s) need Django's Tasks framework.")
                % {"names": names},
                hint=_(
                    "Use Django 6.0+, or install the backport: "
                    "pip install 'django-wechat-oa[tasks]' and add 'django_tasks' to "
                    "INSTALLED_APPS."
                ),
                id="wechat.E150",
            )
        ]
    if taskapi.runs_in_request():
        return [
            Warning(
                _(
                    "defer=True handlers (%(names)s) run inside the callback: the default "
                    "task backend is Django's ImmediateBackend."
                )
                % {"names": names},
                hint=_(
                    "Configure settings.TASKS with a backend that has workers, e.g. "
                    "django_tasks_db.DatabaseBackend and run manage.py db_worker."
                ),
                id="wechat.W150",
            )
        ]
    return []
