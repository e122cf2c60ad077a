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

from typing import TYPE_CHECKING, Any

from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.translation import gettext as _

from . import deferred, taskapi
from .conf import CHECK_TAG
from .handlers import registry

if TYPE_CHECKING:
    from .conf import Account
    from .handlers import Handler
    from .messages import BaseMessage

__all__ = ["check_deferred_handlers", "deferred_reply", "enqueue_deferred"]


@taskapi.task()
def deferred_reply(account: str, raw: dict[str, Any], handler: str, key: str) -> str:
    """Run the ``defer=True`` handler ``handler`` on the message ``raw`` and send its
    reply (:func:`django_wechat.deferred.run`); returns the reply's final state."""
    return deferred.run(account, raw, handler, key)


def enqueue_deferred(entry: Handler, message: BaseMessage, account: Account, key: str) -> Any:
    """Enqueue :func:`deferred_reply` for one message (the callback calls this)."""
    deferred.prepare(message, account.name, entry.name, key)
    return deferred_reply.enqueue(account.name, message.raw, entry.name, key)


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
