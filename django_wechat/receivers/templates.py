"""``TEMPLATESENDJOBFINISH`` updates the recorded :class:`~django_wechat.models.TemplateMessage`.

A signal receiver, not a ``@handler``: it runs for every job-finish event whatever handlers
the site has (one of them may answer the event too). ``WECHAT["TRACK_TEMPLATE_STATUS"] =
False`` turns it off.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.dispatch import receiver
from django.utils import timezone

from ..conf import Account, wechat_settings
from ..messages import BaseMessage, TemplateSendJobFinishEvent
from ..models import TemplateMessage
from ..signals import message_received

logger = logging.getLogger(__name__)

#: WeChat's ``Status`` values (模板消息接口 doc, 事件推送), to ours. WeChat writes
#: ``failed: system failed`` with a space and ``failed:user block`` without; spaces are
#: ignored when matching, in case either changes.
STATUSES = {
    "success": TemplateMessage.Status.DELIVERED,
    "failed:userblock": TemplateMessage.Status.BLOCKED,
    "failed:systemfailed": TemplateMessage.Status.SYSTEM_FAILED,
}


def status_of(value: str) -> TemplateMessage.Status | None:
    """Our status for WeChat's ``Status``; None for one WeChat has not documented."""
    return STATUSES.get("".join(value.split()).lower())


@receiver(message_received, dispatch_uid="django_wechat.receivers.templates")
def record_job_finish(sender: Account, message: BaseMessage, **kwargs: Any) -> None:
    """Set the status and finished time of the message whose msgid the event names."""
    if not isinstance(message, TemplateSendJobFinishEvent):
        return
    if not wechat_settings.TRACK_TEMPLATE_STATUS or not message.id:
        return
    status = status_of(message.status)
    changes: dict[str, Any] = {"finished_at": timezone.now()}
    if status is None:
        changes.update(status=TemplateMessage.Status.SYSTEM_FAILED, error=message.status)
    else:
        changes["status"] = status
    try:
        with transaction.atomic():
            found = TemplateMessage.objects.filter(account=sender.name, msgid=message.id).update(
                **changes
            )
    except DatabaseError:
        logger.exception("Could not record the status of template message %s.", message.id)
        return
    if not found:
        logger.info(
            "TEMPLATESENDJOBFINISH for msgid %s of account %r, which no recorded message has.",
            message.id,
            sender.name,
        )
