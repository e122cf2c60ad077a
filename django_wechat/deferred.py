"""Running a ``defer=True`` handler in a task and sending its reply through the
customer-service API (客服消息), exactly once.

The callback has answered ``success`` already (:mod:`django_wechat.dispatch`); here, in
whatever process the task backend runs it:

1. The message's :class:`~django_wechat.models.DeferredReply` record is created, and a
   conditional ``UPDATE`` moves it from ``queued`` to ``running``: a second run of the
   same task (a backend's retry, the task enqueued twice) finds it taken and stops. A
   ``running`` record whose run died (older than :data:`RUN_LEASE`) may be taken again.
2. WeChat's "typing" indicator (``message/custom/typing``) is shown, the handler runs,
   and its reply is turned into a customer-service message.
3. A second conditional ``UPDATE`` moves the record to ``sending`` before anything is
   sent; only then is the message sent, once. A send whose answer is lost is not
   repeated: a follower never gets the same reply twice.

A handler that raises is logged; the site's ``WECHAT["DEFERRED_FALLBACK"]`` text, when
set, is sent instead. The customer-service API reaches a follower for 48 hours after
their last message, which a deferred reply always is well within.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from ._i18n import gettext as _
from .client import get_client
from .client.client import WeChatClient
from .conf import get_account, wechat_settings
from .exceptions import ReplyError, WeChatError
from .handlers import Handler, registry
from .messages import BaseMessage, parse_message
from .models import DeferredReply
from .replies import (
    ArticlesReply,
    BaseReply,
    EmptyReply,
    ImageReply,
    MusicReply,
    TextReply,
    VideoReply,
    VoiceReply,
    create_reply,
)

__all__ = ["RUN_LEASE", "MiniProgramCard", "prepare", "record_key", "run", "send_reply"]

logger = logging.getLogger("django_wechat.deferred")

#: A ``running`` record older than this is taken to belong to a run that died (its
#: worker was killed), and the handler may run again; the send itself never repeats.
RUN_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class MiniProgramCard:
    """A mini-program card (小程序卡片), which only the customer-service API can send:
    return one from a ``defer=True`` handler."""

    title: str
    appid: str
    pagepath: str
    thumb_media_id: str


def record_key(dedup_key: str) -> str:
    """The :class:`~django_wechat.models.DeferredReply` key of a message's claim key."""
    return hashlib.sha256(dedup_key.encode()).hexdigest()


def find_handler(name: str) -> Handler | None:
    """The registered deferred handler called ``name`` (:attr:`Handler.name`)."""
    for entry in registry:
        if entry.name == name:
            return entry
    return None


def prepare(message: BaseMessage, account_name: str, handler_name: str, dedup_key: str) -> None:
    """Create the message's record (``queued``) as its task is enqueued, so it can be seen
    before a worker takes it; a second delivery finds it and changes nothing."""
    DeferredReply.objects.get_or_create(
        key=record_key(dedup_key),
        defaults={"account": account_name, "openid": message.source, "handler": handler_name},
    )


def run(account_name: str, raw: dict[str, Any], handler_name: str, dedup_key: str) -> str:
    """Run one deferred handler and send its reply; returns the record's final state."""
    message = parse_message(raw)
    account = get_account(account_name)
    record, _created = DeferredReply.objects.get_or_create(
        key=record_key(dedup_key),
        defaults={"account": account.name, "openid": message.source, "handler": handler_name},
    )
    stale = timezone.now() - RUN_LEASE
    taken = (
        DeferredReply.objects.filter(pk=record.pk)
        .filter(
            Q(state=DeferredReply.State.QUEUED)
            | Q(state=DeferredReply.State.RUNNING, updated_at__lt=stale)
        )
        .update(state=DeferredReply.State.RUNNING, runs=F("runs") + 1, updated_at=timezone.now())
    )
    if not taken:
        record.refresh_from_db()
        logger.info(
            "The deferred reply to %s is already %s; this run does nothing.",
            record.key[:12],
            record.state,
        )
        return str(record.state)
    entry = find_handler(handler_name)
    client = get_client(account.name)
    _typing(client, message.source)
    try:
        if entry is None:
            raise LookupError(f"No WeChat handler named {handler_name!r} is registered.")
        result = entry.func(message, account=account)
        reply = result if isinstance(result, MiniProgramCard) else create_reply(result, message)
    except Exception as exc:
        logger.exception(
            "Deferred WeChat handler %s raised on a %r message for account %r.",
            handler_name,
            message.type,
            account.name,
        )
        fallback = str(wechat_settings.DEFERRED_FALLBACK or "")
        failed: BaseReply = (
            TextReply(message=message, content=fallback) if fallback else EmptyReply()
        )
        return _send_once(record, client, message, failed, error=repr(exc))
    return _send_once(record, client, message, reply, error="")


def _typing(client: WeChatClient, openid: str) -> None:
    try:
        client.message.send_typing(openid)
    except WeChatError as exc:
        # Cosmetic: the reply matters, not the indicator.
        logger.info("Could not show WeChat's typing indicator: %s", exc)


def _send_once(
    record: DeferredReply,
    client: WeChatClient,
    message: BaseMessage,
    reply: BaseReply | MiniProgramCard,
    *,
    error: str,
) -> str:
    # Claimed before sending: if this run dies after the send, no later run sends again.
    if not DeferredReply.objects.filter(pk=record.pk, state=DeferredReply.State.RUNNING).update(
        state=DeferredReply.State.SENDING, updated_at=timezone.now()
    ):
        return DeferredReply.State.SENDING
    state = DeferredReply.State.FAILED if error else DeferredReply.State.SENT
    try:
        send_reply(client, message.source, reply)
    except (WeChatError, ReplyError) as exc:
        logger.error(
            "The deferred reply of %s to %s could not be sent: %s",
            record.handler,
            record.openid,
            exc,
        )
        state, error = DeferredReply.State.FAILED, error or repr(exc)
    DeferredReply.objects.filter(pk=record.pk).update(
        state=state, error=error, updated_at=timezone.now()
    )
    return str(state)


def send_reply(client: WeChatClient, openid: str, reply: BaseReply | MiniProgramCard) -> bool:
    """Send what a handler returned as a customer-service message; False when there was
    nothing to send (an empty reply).

    Text, image, voice, video, music, one article and :class:`MiniProgramCard` have a
    customer-service form; a news reply of several articles sends the first (WeChat's
    limit for customer-service news is one), a transfer to customer service has none
    (:class:`~django_wechat.exceptions.ReplyError`).
    """
    message = client.message
    if isinstance(reply, MiniProgramCard):
        message.send_mini_program_page(
            openid,
            {
                "title": reply.title,
                "appid": reply.appid,
                "pagepath": reply.pagepath,
                "thumb_media_id": reply.thumb_media_id,
            },
        )
    elif isinstance(reply, EmptyReply):
        return False
    elif isinstance(reply, TextReply):
        message.send_text(openid, reply.content)
    elif isinstance(reply, ImageReply):
        message.send_image(openid, reply.media_id)
    elif isinstance(reply, VoiceReply):
        message.send_voice(openid, reply.media_id)
    elif isinstance(reply, VideoReply):
        message.send_video(
            openid, reply.media_id, title=reply.title or None, description=reply.description or None
        )
    elif isinstance(reply, MusicReply):
        message.send_music(
            openid,
            reply.music_url,
            reply.hq_music_url,
            reply.thumb_media_id,
            title=reply.title or None,
            description=reply.description or None,
        )
    elif isinstance(reply, ArticlesReply):
        if len(reply.articles) > 1:
            logger.warning(
                "A customer-service news message holds one article; sending the first of %d.",
                len(reply.articles),
            )
        message.send_articles(openid, reply.articles[:1])
    else:
        raise ReplyError(
            _("%(reply)s has no customer-service form.") % {"reply": type(reply).__name__}
        )
    return True
