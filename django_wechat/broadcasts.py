"""Broadcasts: one customer-service text or template message to many followers, as a job.

:func:`create_broadcast` writes a :class:`~django_wechat.models.Broadcast` and one
:class:`~django_wechat.models.BroadcastRecipient` per follower, numbered into batches.
The job runs in ``concurrency`` *lanes* (:mod:`django_wechat.tasks` enqueues one task per
lane): lane ``i`` sends the batches whose number is ``i`` modulo ``concurrency``, one
batch per task, then enqueues its next task. So at most ``concurrency`` batches run at
once, whatever the number of workers. Inside a batch, up to
``WECHAT["BROADCAST_SENDS_PER_LANE"]`` (8) sends are in flight at once, each on a thread
of the task's own: a send waits on WeChat for tens of milliseconds, and one at a time a
lane would manage about 30 a second. The database work (claiming each recipient,
recording each outcome) stays on the task's thread.

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
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import Mod
from django.utils import timezone

from ._i18n import gettext as _
from .client import get_client
from .conf import wechat_settings
from .exceptions import APIError, ImproperlyConfigured, WeChatError
from .models import Broadcast, BroadcastRecipient, WeChatUser
from .template_messages import PreparedTemplateMessage, prepare_template_message

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
    rows = list(pending.filter(batch=batch).order_by("pk").values_list("pk", "openid"))
    return _send_batch(broadcast, get_client(broadcast.account), rows)


#: A send in flight: the recipient's pk, its openid, the prepared template message.
_InFlight = tuple[int, str, PreparedTemplateMessage | None]


def _send_batch(broadcast: Broadcast, client: Any, rows: list[tuple[int, str]]) -> bool:
    """Send to ``rows`` (pk, openid), up to ``BROADCAST_SENDS_PER_LANE`` at once; False
    when the job must stop (cancelled, paused, the daily quota)."""
    most = wechat_settings.BROADCAST_SENDS_PER_LANE
    go_on = True
    with ThreadPoolExecutor(max_workers=most, thread_name_prefix="wechat-broadcast") as pool:
        running: dict[Future[Any], _InFlight] = {}
        try:
            for n, (pk, openid) in enumerate(rows):
                if n and n % CHECK_EVERY == 0 and _stopped(broadcast.pk):
                    go_on = False
                    break
                if not BroadcastRecipient.objects.filter(pk=pk, state=State.PENDING).update(
                    state=State.SENDING
                ):
                    continue  # another run of this batch has it
                try:
                    prepared = _prepare(broadcast, openid)
                except WeChatError as exc:
                    _record(broadcast, pk, openid, exc)
                    continue
                except BaseException:
                    # Nothing was sent: a retry of the task may send it.
                    BroadcastRecipient.objects.filter(pk=pk).update(state=State.PENDING)
                    raise
                running[pool.submit(_post, broadcast, client, openid, prepared)] = (
                    pk,
                    openid,
                    prepared,
                )
                if len(running) >= most:
                    go_on = _collect(broadcast, running, FIRST_COMPLETED)
                    if not go_on:
                        break
        finally:
            # What is in flight is still recorded, whatever stopped the batch (an
            # exception too: those sends went out).
            go_on = _collect(broadcast, running, ALL_COMPLETED) and go_on
    return go_on


def _collect(broadcast: Broadcast, running: dict[Future[Any], _InFlight], until: str) -> bool:
    """Record the sends that are done (``until``: FIRST_COMPLETED, at least one, or
    ALL_COMPLETED); False when one hit the daily quota."""
    done, _pending = wait(running, return_when=until)
    go_on = True
    failure: Exception | None = None
    for future in done:
        pk, openid, prepared = running.pop(future)
        error = future.exception()
        try:
            if error is not None and not isinstance(error, WeChatError):
                # Not WeChat's answer (a bug of ours or a handler's): it may have sent.
                logger.error("Broadcast %s to %s raised.", broadcast.pk, openid, exc_info=error)
                BroadcastRecipient.objects.filter(pk=pk).update(state=State.FAILED)
                continue
            answer = None if error is not None else future.result()
            if prepared is not None:
                prepared.record(answer, error=error)
            go_on = _record(broadcast, pk, openid, error) and go_on
        except Exception as exc:  # the database: record the others, then raise
            failure = failure or exc
    if failure is not None:
        raise failure
    return go_on


def _stopped(broadcast_id: int) -> bool:
    state = Broadcast.objects.filter(pk=broadcast_id).values_list("state", flat=True).first()
    return state != Broadcast.State.RUNNING


def _prepare(broadcast: Broadcast, openid: str) -> PreparedTemplateMessage | None:
    """A template message's checks and record (issue 13), before it is sent."""
    if broadcast.kind == Broadcast.Kind.CUSTOM:
        return None
    payload = broadcast.payload
    return prepare_template_message(
        broadcast.account,
        openid,
        payload["template_id"],
        payload["data"],
        url=payload.get("url") or "",
        miniprogram=payload.get("miniprogram"),
        client_msg_id=f"broadcast-{broadcast.pk}-{openid}",
    )


def _post(
    broadcast: Broadcast, client: Any, openid: str, prepared: PreparedTemplateMessage | None
) -> Any:
    """One send, on a thread of the batch's pool: the client's call and nothing else."""
    try:
        if prepared is not None:
            return prepared.post()
        return client.message.send_text(openid, broadcast.payload["content"])
    finally:
        # The token may come from a database cache: close what this thread opened (the
        # pool's threads end with the batch).
        connections.close_all()


def _record(broadcast: Broadcast, pk: int, openid: str, error: BaseException | None) -> bool:
    """Write one claimed recipient's outcome; False when the job must stop (the quota)."""
    recipients = BroadcastRecipient.objects.filter(pk=pk)
    if error is None:
        recipients.update(state=State.SENT, sent_at=timezone.now())
        return True
    if isinstance(error, APIError):
        if error.errcode == QUOTA_ERRCODE:
            recipients.update(state=State.PENDING)  # WeChat refused: nothing was sent
            if Broadcast.objects.filter(pk=broadcast.pk, state=Broadcast.State.RUNNING).update(
                state=Broadcast.State.PAUSED
            ):
                logger.warning(
                    "Broadcast %s paused: WeChat's daily quota is used up (45009).",
                    broadcast.pk,
                )
            return False
        state = State.BLOCKED if error.errcode in BLOCKED_ERRCODES else State.FAILED
        recipients.update(state=state, errcode=error.errcode)
        return True
    # A timeout may have sent it: never again (the recipient counts as failed).
    logger.error("Broadcast %s to %s: %s", broadcast.pk, openid, error)
    recipients.update(state=State.FAILED)
    return True


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
