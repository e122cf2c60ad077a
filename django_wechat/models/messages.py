"""``InboundMessage``: the inbound message log, every message and event followers send
(opt-in: ``WECHAT["LOG_MESSAGES"] = True``; written by :mod:`django_wechat.receivers.messages`,
emptied by ``manage.py wechat_purge_messages``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundMessage(models.Model):
    """One message or event as the callback received it."""

    account = models.CharField(_("account"), max_length=64)
    openid = models.CharField(_("openid"), max_length=64, help_text=_("FromUserName."))
    msg_type = models.CharField(_("type"), max_length=32, help_text=_("MsgType."))
    event = models.CharField(_("event"), max_length=64, blank=True, default="")
    msg_id = models.CharField(
        _("MsgId"), max_length=32, blank=True, default="", help_text=_("Blank for most events.")
    )
    summary = models.CharField(
        _("summary"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("A text's content, an event's key."),
    )
    raw = models.JSONField(_("fields"), default=dict, help_text=_("Every field WeChat sent."))
    created_at = models.DateTimeField(_("sent at"), help_text=_("CreateTime."))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ("-received_at", "-pk")
        indexes = (models.Index(fields=["account", "openid"], name="django_wechat_inbound_from"),)

    def __str__(self) -> str:
        kind = f"{self.msg_type}/{self.event}" if self.event else self.msg_type
        return f"{self.openid}: {kind}"
