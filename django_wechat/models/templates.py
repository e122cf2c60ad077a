"""Template messages (模板消息): the account's templates as WeChat lists them, and every
message sent with one.

``MessageTemplate`` rows are written by :func:`django_wechat.sync.templates.sync_templates`
(``manage.py wechat_sync_templates``); ``TemplateMessage`` rows by
:func:`django_wechat.template_messages.send_template_message`, and their delivery status
by the ``TEMPLATESENDJOBFINISH`` receiver (:mod:`django_wechat.receivers.templates`).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

#: A keyword in a template's content: ``{{thing1.DATA}}`` -> ``thing1`` (模板消息接口 doc:
#: "参数内容必须以.DATA结尾，否则视为保留字").
KEYWORD_RE = re.compile(r"\{\{\s*(\w+)\.DATA\s*\}\}")
#: The classic first and last lines WeChat stopped showing on 2023-05-04
#: (关于规范公众号模板消息的再次公告); they are no keyword a send must fill.
RETIRED_KEYWORDS = ("first", "remark")


def parse_keywords(content: str) -> list[str]:
    """The keywords of a template's ``content``, in order, each once, without the retired
    ``first`` and ``remark``."""
    keywords: list[str] = []
    for name in KEYWORD_RE.findall(content):
        if name not in keywords and name not in RETIRED_KEYWORDS:
            keywords.append(name)
    return keywords


def keyword_labels(content: str) -> dict[str, str]:
    """Each keyword's label, the words before it on its line (``预约项目：{{thing1.DATA}}``
    -> ``{"thing1": "预约项目"}``); keywords without words before them are left out."""
    labels: dict[str, str] = {}
    for line in content.splitlines():
        for match in KEYWORD_RE.finditer(line):
            before = KEYWORD_RE.sub("", line[: match.start()]).strip().rstrip(":：").strip()
            if before:
                labels.setdefault(match.group(1), before)
    return labels


class MessageTemplate(models.Model):
    """One private template of an account, as ``get_all_private_template`` last listed it.

    A template WeChat no longer lists is marked :attr:`removed`, never deleted: the
    messages sent with it still point at it.
    """

    account = models.CharField(
        _("account"), max_length=64, help_text=_("The account's name in settings.WECHAT.")
    )
    template_id = models.CharField(_("template ID"), max_length=128)
    title = models.CharField(_("title"), max_length=100)
    primary_industry = models.CharField(
        _("primary industry"), max_length=64, blank=True, default=""
    )
    deputy_industry = models.CharField(_("deputy industry"), max_length=64, blank=True, default="")
    content = models.TextField(_("content"))
    example = models.TextField(_("example"), blank=True, default="")
    keywords = models.JSONField(
        _("keywords"),
        default=list,
        blank=True,
        help_text=_("The keywords of the content ({{thing1.DATA}} is thing1), in order."),
    )
    removed = models.BooleanField(
        _("removed on WeChat"),
        default=False,
        help_text=_("WeChat no longer lists this template; it is kept for the messages sent."),
    )
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ("account", "removed", "title")
        constraints = (
            models.UniqueConstraint(
                fields=["account", "template_id"], name="django_wechat_template_account_id"
            ),
        )

    def __str__(self) -> str:
        return self.title or self.template_id

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keeps :attr:`keywords` in step with :attr:`content`."""
        self.keywords = parse_keywords(self.content)
        super().save(*args, **kwargs)


class TemplateMessage(models.Model):
    """One template message sent (or refused), and what became of it."""

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent, not yet delivered")
        REFUSED = "refused", _("Refused by WeChat")
        DELIVERED = "success", _("Delivered")
        BLOCKED = "user_block", _("Blocked by the follower")
        SYSTEM_FAILED = "system_failed", _("Not delivered: WeChat's system failed")

    account = models.CharField(_("account"), max_length=64)
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        related_name="messages",
    )
    openid = models.CharField(_("openid"), max_length=64)
    data = models.JSONField(_("data"), default=dict, help_text=_("Each keyword's value."))
    url = models.URLField(_("URL"), max_length=1024, blank=True, default="")
    miniprogram_appid = models.CharField(
        _("mini program AppID"), max_length=64, blank=True, default=""
    )
    miniprogram_pagepath = models.CharField(
        _("mini program page"), max_length=512, blank=True, default=""
    )
    client_msg_id = models.CharField(
        _("client_msg_id"),
        max_length=64,
        help_text=_("WeChat sends one message per openid and client_msg_id in 10 minutes."),
    )
    msgid = models.CharField(_("msgid"), max_length=32, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SENDING
    )
    error = models.TextField(_("error"), blank=True, default="")
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    finished_at = models.DateTimeField(
        _("finished at"),
        null=True,
        blank=True,
        help_text=_("When WeChat's TEMPLATESENDJOBFINISH event told how the sending went."),
    )

    class Meta:
        verbose_name = _("template message")
        verbose_name_plural = _("template messages")
        ordering = ("-sent_at", "-pk")
        indexes = (
            models.Index(fields=["account", "msgid"], name="django_wechat_tmsg_msgid"),
            models.Index(
                fields=["account", "openid", "client_msg_id"], name="django_wechat_tmsg_client"
            ),
        )

    def __str__(self) -> str:
        return f"{self.template} → {self.openid}"

    @property
    def miniprogram(self) -> dict[str, str] | None:
        """``{"appid", "pagepath"}`` as sent, None when the message opens no mini program."""
        if not self.miniprogram_appid:
            return None
        return {"appid": self.miniprogram_appid, "pagepath": self.miniprogram_pagepath}
