"""The inbound message log: every message and event received, stored as an
:class:`~django_wechat.models.InboundMessage` when ``WECHAT["LOG_MESSAGES"]`` is True.

Never in the way of the reply: the write has its own savepoint, and a database error is
logged and swallowed, so the follower gets the handler's answer all the same.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.dispatch import receiver

from ..conf import Account, wechat_settings
from ..messages import BaseEvent, BaseMessage
from ..models import InboundMessage
from ..signals import message_received

logger = logging.getLogger(__name__)

#: Fields never stored: a message's own encryption wrapper.
DROPPED_FIELDS = ("Encrypt",)


def summary_of(message: BaseMessage) -> str:
    """A line for the log's list: a text's content, an event's key, a link's title."""
    raw = message.raw
    for name in ("Content", "EventKey", "Title", "Recognition", "Label", "Status"):
        value = raw.get(name)
        if isinstance(value, str) and value:
            return value[:200]
    return ""


@receiver(message_received, dispatch_uid="django_wechat.receivers.messages")
def log_message(sender: Account, message: BaseMessage, **kwargs: Any) -> None:
    """Store ``message`` in the inbound log (when ``WECHAT["LOG_MESSAGES"]`` is on)."""
    if not wechat_settings.LOG_MESSAGES:
        return
    raw = {k: v for k, v in message.raw.items() if k not in DROPPED_FIELDS}
    try:
        with transaction.atomic():
            InboundMessage.objects.create(
                account=sender.name,
                openid=message.source,
                msg_type=message.type,
                event=message.event if isinstance(message, BaseEvent) else "",
                msg_id=message.id or "",
                summary=summary_of(message),
                raw=raw,
                created_at=message.create_time,
            )
    except DatabaseError:
        logger.exception(
            "Could not log the %s message from %s to account %r; the reply is unaffected.",
            message.type,
            message.source,
            sender.name,
        )
