"""What background work remembers: one record per deferred reply, per broadcast and per
broadcast recipient, so that a task run twice (a backend's retry, a worker restarted)
never messages a follower twice.

The records live in the database rather than the cache: the worker that runs a task may
be another machine than the web process that enqueued it, the database is what both
always share, and a conditional ``UPDATE`` is atomic on every database Django supports.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeferredReply(models.Model):
    """The reply of one ``defer=True`` handler to one message.

    ``key`` is a digest of the message's de-duplication key (the one the callback claims);
    the state moves ``queued`` -> ``running`` -> ``sending`` -> ``sent`` (or ``failed``),
    each step a conditional ``UPDATE`` only one run can win.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    key = models.CharField(_("message key"), max_length=64, unique=True)
    account = models.CharField(_("account"), max_length=64)
    openid = models.CharField(_("openid"), max_length=64)
    handler = models.CharField(_("handler"), max_length=255)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    runs = models.PositiveIntegerField(_("runs"), default=0)
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("deferred reply")
        verbose_name_plural = _("deferred replies")

    def __str__(self) -> str:
        return f"{self.handler} → {self.openid} ({self.state})"


class Broadcast(models.Model):
    """One message sent to many followers: a customer-service text or a template message."""

    class Kind(models.TextChoices):
        CUSTOM = "custom", _("customer-service text")
        TEMPLATE = "template", _("template message")

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        PAUSED = "paused", _("paused by the daily quota")
        CANCELLED = "cancelled", _("cancelled")
        DONE = "done", _("done")

    account = models.CharField(_("account"), max_length=64, default="default")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    #: ``{"content"}`` for a text; ``{"template_id", "data", "url", "miniprogram"}``.
    payload = models.JSONField(_("payload"), default=dict)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.RUNNING
    )
    batch_size = models.PositiveIntegerField(_("batch size"), default=500)
    concurrency = models.PositiveIntegerField(
        _("concurrency"), default=2, help_text=_("How many batches may run at once.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} ({self.get_state_display()})"


class BroadcastRecipient(models.Model):
    """One follower of a broadcast, in one of its batches."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        BLOCKED = "blocked", _("blocked")

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="recipients")
    openid = models.CharField(_("openid"), max_length=64)
    batch = models.PositiveIntegerField(_("batch"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    errcode = models.IntegerField(_("error code"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("broadcast recipient")
        verbose_name_plural = _("broadcast recipients")
        constraints = (
            models.UniqueConstraint(
                fields=["broadcast", "openid"], name="django_wechat_broadcast_once"
            ),
        )
        indexes = (models.Index(fields=["broadcast", "batch", "state"]),)

    def __str__(self) -> str:
        return f"{self.openid} ({self.state})"
