"""Follower sync's own rows: an account's tags (``Tag``) and the progress of a sync
(``FollowerSync``). The followers themselves are :class:`~.users.WeChatUser` rows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .users import WeChatUser


class Tag(models.Model):
    """A tag (用户标签) of one account, as ``cgi-bin/tags/get`` last listed it.

    ``followers`` mirrors each follower's ``tag_ids``: a join table is what lets the admin
    filter by tag on every database (a JSON ``contains`` lookup does not exist on SQLite).
    """

    account = models.CharField(_("account"), max_length=64)
    wechat_id = models.IntegerField(_("tag id"), help_text=_("WeChat's id of the tag."))
    name = models.CharField(_("name"), max_length=30)
    count = models.PositiveIntegerField(
        _("followers"), default=0, help_text=_("How many followers WeChat counts with the tag.")
    )
    followers = models.ManyToManyField(
        WeChatUser, verbose_name=_("followers"), related_name="tags", blank=True
    )
    synced_at = models.DateTimeField(_("synced at"), auto_now=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ("account", "wechat_id")
        constraints = [  # noqa: RUF012 - as Django declares it
            models.UniqueConstraint(fields=["account", "wechat_id"], name="django_wechat_tag_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"


class FollowerSync(models.Model):
    """Where an account's follower sync stands, saved as it goes so a run can resume.

    ``cursor`` is the ``next_openid`` that asked for the page being written and ``offset``
    how many openids of that page are written: a run killed or stopped by the daily quota
    starts the next one there, re-reading that one page.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        STOPPED = "stopped", _("stopped")
        DONE = "done", _("done")

    account = models.CharField(_("account"), max_length=64, unique=True)
    number = models.PositiveIntegerField(
        _("pass"), default=0, help_text=_("Counts the passes; a new pass starts from the top.")
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    full = models.BooleanField(_("full pass"), default=False)
    cursor = models.CharField(_("next_openid"), max_length=64, blank=True, default="")
    offset = models.PositiveIntegerField(_("done in this page"), default=0)
    total = models.PositiveIntegerField(_("followers on WeChat"), default=0)
    done = models.PositiveIntegerField(_("followers synced"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    api_calls = models.PositiveIntegerField(_("API calls"), default=0)
    message = models.TextField(_("message"), blank=True, default="")
    started_at = models.DateTimeField(_("started at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follower sync")
        verbose_name_plural = _("follower syncs")

    def __str__(self) -> str:
        return f"{self.account}: {self.get_state_display()} {self.done}/{self.total}"
