"""Broadcasts: one customer-service text or template message to many followers, as a job.

:func:`create_broadcast` writes a :class:`~django_wechat.models.Broadcast` and one
:class:`~django_wechat.models.BroadcastRecipient` per follower, numbered into batches.
The job runs in ``concurrency`` *lanes* (:mod:`django_wechat.tasks` enqueues one task per
lane): lane ``i`` sends the batches whose number is ``i`` modulo ``concurrency``, one
batch per task, then enqueues its next task. So at most ``concurrency`` batches run at
once, whatever the number of workers.

Exactly once per follower: each recipient moves ``pending`` -> ``sending`` by a
conditional ``UPDATE`` before its message is sent, so two runs of one batch (a retried
task, a lane started twice) never both send; a send whose answer was lost is not repeated
(the recipient stays ``sending``, counted as failed). A template message also carries a
``client_msg_id`` made of the broadcast and the openid, so WeChat itself drops a repeat.

WeChat's daily quota (errcode 45009) pauses the job, the recipient going back to
``pending``; :func:`resume` (``manage.py wechat_broadcast --resume``, the admin's action,
or the task :mod:`django_wechat.tasks` schedules for after midnight, Beijing time, when
the backend can defer) carries on from there. :func:`cancel` stops it between two sends.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import Mod
from django.utils import timezone

from ._i18n import gettext as _
from .client import get_client
from .exceptions import APIError, ImproperlyConfigured, WeChatError
from .models import Broadcast, BroadcastRecipient, WeChatUser

__all__ = [
    "BLOCKED_ERRCODES",
    "QUOTA_ERRCODE",
    "Progress",
    "cancel",
    "create_broadcast",
    "progress",
    "resume",
    "run_batch",
]

logger = logging.getLogger("django_wechat.broadcasts")

#: The daily quota of an API is used up (``api_freq_out_of_limit``): stop, resume tomorrow.
QUOTA_ERRCODE = 45009
#: The follower can't receive it: unfollowed (43004), refused (43101), outside the 48-hour
#: customer-service window (45015), or no such openid (40003).
BLOCKED_ERRCODES = frozenset({40003, 43004, 43101, 45015})
#: How many sends between two looks at whether the job was cancelled or paused.
CHECK_EVERY = 50

State = BroadcastRecipient.State


@dataclass(frozen=True)
class Progress:
    """Where a broadcast stands. While it runs, a send in flight is ``remaining``; once it
    stopped, a send whose outcome stayed unknown (its worker died) counts as ``failed``."""

    total: int
    sent: int
    failed: int
    blocked: int
    remaining: int

    @property
    def percent(self) -> int:
        """How much is done (sent, failed or blocked), 0 to 100."""
        return 100 if not self.total else (self.total - self.remaining) * 100 // self.total


def create_broadcast(
    recipients: QuerySet[WeChatUser] | Iterable[str] | None = None,
    *,
    account: str = "default",
    text: str = "",
    template_id: str = "",
    data: Mapping[str, Any] | None = None,
    url: str = "",
    miniprogram: Mapping[str, Any] | None = None,
    tag: int | None = None,
    batch_size: int = 500,
    concurrency: int = 2,
) -> Broadcast:
    """Write a broadcast of ``text`` (a customer-service text) or of the template
    ``template_id`` with ``data`` to a segment, for
    :func:`~django_wechat.tasks.start_broadcast` to start.

    The segment: ``recipients`` (a :class:`~django_wechat.models.WeChatUser` queryset or
    openids), else the account's followers carrying ``tag``, else every follower
    (``subscribed=True``).
    """
    if bool(text) == bool(template_id):
        raise ImproperlyConfigured(_("A broadcast sends either a text or a template message."))
    if batch_size < 1 or concurrency < 1:
        raise ImproperlyConfigured(_("batch_size and concurrency must be at least 1."))
    openids = _segment(recipients, account, tag)
    payload: dict[str, Any]
    if text:
        kind, payload = Broadcast.Kind.CUSTOM, {"content": text}
    else:
        kind = Broadcast.Kind.TEMPLATE
        payload = {
            "template_id": template_id,
            "data": dict(data or {}),
            "url": url,
            "miniprogram": dict(miniprogram) if miniprogram else None,
        }
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            account=account,
            kind=kind,
            payload=payload,
            batch_size=batch_size,
            concurrency=concurrency,
        )
        BroadcastRecipient.objects.bulk_create(
            (
                BroadcastRecipient(broadcast=broadcast, openid=openid, batch=i // batch_size)
                for i, openid in enumerate(openids)
            ),
            batch_size=1000,
        )
    return broadcast


def _segment(
    recipients: QuerySet[WeChatUser] | Iterable[str] | None, account: str, tag: int | None
) -> list[str]:
    if isinstance(recipients, QuerySet):
        values: Iterable[str] = recipients.values_list("openid", flat=True)
    elif recipients is not None:
        values = recipients
    else:
        followers = WeChatUser.objects.filter(account=account, subscribed=True).order_by("pk")
        if tag is None:
            values = followers.values_list("openid", flat=True)
        else:
            # tag_ids is a JSON list; filtered here, as SQLite has no JSON "contains".
            values = [o for o, tags in followers.values_list("openid", "tag_ids") if tag in tags]
    return list(dict.fromkeys(values))  # once each, in order


def lanes(broadcast: Broadcast) -> range:
    """The lane numbers of a broadcast (0 .. concurrency - 1)."""
    return range(broadcast.concurrency)


def run_batch(broadcast_id: int, lane: int) -> bool:
    """Send the next batch of lane ``lane``; True when the lane has more to do."""
    broadcast = Broadcast.objects.get(pk=broadcast_id)
    if broadcast.state != Broadcast.State.RUNNING:
        return False
    pending = BroadcastRecipient.objects.filter(broadcast=broadcast, state=State.PENDING)
    batch = (
        pending.annotate(lane=Mod("batch", broadcast.concurrency))
        .filter(lane=lane)
        .order_by("batch")
        .values_list("batch", flat=True)
        .first()
    )
    if batch is None:
        _finish_if_done(broadcast)
        return False
    client = get_client(broadcast.account)
    for n, (pk, openid) in enumerate(
        pending.filter(batch=batch).order_by("pk").values_list("pk", "openid")
    ):
        if n and n % CHECK_EVERY == 0 and _stopped(broadcast_id):
            return False
        if not BroadcastRecipient.objects.filter(pk=pk, state=State.PENDING).update(
            state=State.SENDING
        ):
            continue  # another run of this batch has it
        if not _send_one(broadcast, client, pk, openid):
            return False
    return True


def _stopped(broadcast_id: int) -> bool:
    state = Broadcast.objects.filter(pk=broadcast_id).values_list("state", flat=True).first()
    return state != Broadcast.State.RUNNING


def _send_one(broadcast: Broadcast, client: Any, pk: int, openid: str) -> bool:
    """Send to one claimed recipient; False when the job must stop (the daily quota)."""
    recipients = BroadcastRecipient.objects.filter(pk=pk)
    try:
        _deliver(broadcast, client, openid)
    except APIError as exc:
        if exc.errcode == QUOTA_ERRCODE:
            recipients.update(state=State.PENDING)  # WeChat refused: nothing was sent
            Broadcast.objects.filter(pk=broadcast.pk, state=Broadcast.State.RUNNING).update(
                state=Broadcast.State.PAUSED
            )
            logger.warning(
                "Broadcast %s paused: WeChat's daily quota is used up (45009).", broadcast.pk
            )
            return False
        state = State.BLOCKED if exc.errcode in BLOCKED_ERRCODES else State.FAILED
        recipients.update(state=state, errcode=exc.errcode)
        return True
    except WeChatError as exc:
        # A timeout may have sent it: never again (the recipient counts as failed).
        logger.error("Broadcast %s to %s: %s", broadcast.pk, openid, exc)
        recipients.update(state=State.FAILED)
        return True
    recipients.update(state=State.SENT, sent_at=timezone.now())
    return True


def _deliver(broadcast: Broadcast, client: Any, openid: str) -> None:
    payload = broadcast.payload
    if broadcast.kind == Broadcast.Kind.CUSTOM:
        client.message.send_text(openid, payload["content"])
        return
    # Issue 13's function: the template-message record and its client_msg_id.
    from .template_messages import send_template_message  # type: ignore[import-not-found,unused-ignore]

    send_template_message(
        broadcast.account,
        openid,
        payload["template_id"],
        payload["data"],
        url=payload.get("url") or "",
        miniprogram=payload.get("miniprogram"),
        client_msg_id=f"broadcast-{broadcast.pk}-{openid}",
    )


def _finish_if_done(broadcast: Broadcast) -> None:
    if not BroadcastRecipient.objects.filter(broadcast=broadcast, state=State.PENDING).exists():
        Broadcast.objects.filter(pk=broadcast.pk, state=Broadcast.State.RUNNING).update(
            state=Broadcast.State.DONE, finished_at=timezone.now()
        )


def progress(broadcast: Broadcast | int) -> Progress:
    """Counts of a broadcast's recipients: sent, failed, blocked, remaining."""
    pk = broadcast.pk if isinstance(broadcast, Broadcast) else broadcast
    running = Broadcast.objects.filter(pk=pk, state=Broadcast.State.RUNNING).exists()
    counts = dict(
        BroadcastRecipient.objects.filter(broadcast_id=pk)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    in_flight = counts.get(State.SENDING, 0)
    return Progress(
        total=sum(counts.values()),
        sent=counts.get(State.SENT, 0),
        failed=counts.get(State.FAILED, 0) + (0 if running else in_flight),
        blocked=counts.get(State.BLOCKED, 0),
        remaining=counts.get(State.PENDING, 0) + (in_flight if running else 0),
    )


def cancel(broadcast: Broadcast | int) -> bool:
    """Stop a running or paused broadcast; its lanes stop before their next send."""
    pk = broadcast.pk if isinstance(broadcast, Broadcast) else broadcast
    return bool(
        Broadcast.objects.filter(
            pk=pk, state__in=(Broadcast.State.RUNNING, Broadcast.State.PAUSED)
        ).update(state=Broadcast.State.CANCELLED, finished_at=timezone.now())
    )


def resume(broadcast: Broadcast | int) -> Broadcast | None:
    """Make a paused (or interrupted) broadcast running again; None when it is done or
    cancelled. Its lanes must then be enqueued: :func:`django_wechat.tasks.resume_broadcast`
    does both.

    A template message's recipients left ``sending`` by a worker that died are sent
    again: their ``client_msg_id`` makes WeChat drop a repeat. A customer-service text
    has no such id, so those stay ``sending`` (counted as failed), never sent twice.
    """
    pk = broadcast.pk if isinstance(broadcast, Broadcast) else broadcast
    Broadcast.objects.filter(pk=pk, state=Broadcast.State.PAUSED).update(
        state=Broadcast.State.RUNNING
    )
    job = Broadcast.objects.get(pk=pk)
    if job.state != Broadcast.State.RUNNING:
        return None
    if job.kind == Broadcast.Kind.TEMPLATE:
        BroadcastRecipient.objects.filter(broadcast=job, state=State.SENDING).update(
            state=State.PENDING
        )
    return job
