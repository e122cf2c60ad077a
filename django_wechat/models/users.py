"""``WeChatUser``: a follower of one account, as far as WeChat has told us about them.

Filled by the web OAuth login (:mod:`django_wechat.oauth`) and by follower sync alike;
each fills what its API sends. Since 2021 ``cgi-bin/user/info`` no longer sends nickname
or avatar, and WeChat blanks sex and region everywhere (用户信息相关接口调整公告), so only
``sns/userinfo`` (scope ``snsapi_userinfo``) brings a nickname and an avatar, and no
field of ours holds sex or region.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WeChatUser(models.Model):
    """One openid of one account, linked (or not yet) to a Django user.

    An openid belongs to one account: the same person has another openid in each
    account, and the same ``unionid`` in every account of one open platform (开放平台),
    which is what links them to one Django user.
    """

    account = models.CharField(
        _("account"), max_length=64, help_text=_("The account's name in settings.WECHAT.")
    )
    openid = models.CharField(_("openid"), max_length=64)
    unionid = models.CharField(
        _("unionid"),
        max_length=64,
        blank=True,
        default="",
        help_text=_("Blank when WeChat sent none (scope snsapi_base, no open platform)."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="wechat_users",
    )
    nickname = models.CharField(_("nickname"), max_length=100, blank=True, default="")
    avatar_url = models.URLField(_("avatar URL"), max_length=512, blank=True, default="")
    subscribed = models.BooleanField(
        _("subscribed"),
        null=True,
        default=None,
        help_text=_("Whether they follow the account; unknown until a follower sync says."),
    )
    subscribed_at = models.DateTimeField(_("subscribed at"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True, default="")
    remark = models.CharField(_("remark"), max_length=64, blank=True, default="")
    tag_ids = models.JSONField(_("tag ids"), default=list, blank=True)
    profile = models.JSONField(
        _("profile"),
        default=dict,
        blank=True,
        help_text=_("The profile as WeChat last sent it (never a token)."),
    )
    # Follower sync: the number of the last full pass that found them in WeChat's list
    # (FollowerSync.number); a full pass marks the rows it did not reach unsubscribed.
    sync_pass = models.PositiveIntegerField(_("sync pass"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("WeChat user")
        verbose_name_plural = _("WeChat users")
        constraints = [  # noqa: RUF012 - as Django declares it
            models.UniqueConstraint(
                fields=["account", "openid"], name="django_wechat_user_account_openid"
            ),
        ]
        indexes = [  # noqa: RUF012
            models.Index(fields=["unionid"], name="django_wechat_user_unionid"),
        ]

    #: The fields :meth:`update_profile` sets: what WeChat owns beside account and openid.
    PROFILE_FIELDS = (
        "unionid",
        "nickname",
        "avatar_url",
        "subscribed",
        "subscribed_at",
        "language",
        "remark",
        "tag_ids",
        "profile",
    )

    def __str__(self) -> str:
        return self.nickname or self.openid

    def update_profile(self, profile: dict[str, Any]) -> None:
        """Take what a WeChat profile answer says, never blanking a value we know.

        Understands ``sns/userinfo`` (``nickname``, ``headimgurl``, ``unionid``) and
        ``cgi-bin/user/info`` (``subscribe``, ``subscribe_time``, ``language``,
        ``remark``, ``tagid_list``, ``unionid``); the answer is merged into
        :attr:`profile`. Does not save.
        """
        for field, key in (
            ("unionid", "unionid"),
            ("nickname", "nickname"),
            ("avatar_url", "headimgurl"),
            ("language", "language"),
        ):
            value = profile.get(key)
            # Since 2021 WeChat answers "" for what it no longer tells: keep what we had.
            if isinstance(value, str) and value:
                setattr(self, field, value)
        if "subscribe" in profile:
            self.subscribed = bool(profile["subscribe"])
        if profile.get("subscribe_time"):
            self.subscribed_at = datetime.fromtimestamp(int(profile["subscribe_time"]), UTC)
        if isinstance(profile.get("remark"), str):
            self.remark = profile["remark"]
        if isinstance(profile.get("tagid_list"), list):
            self.tag_ids = list(profile["tagid_list"])
        merged = dict(self.profile or {})
        merged.update({k: v for k, v in profile.items() if v not in ("", None) or k not in merged})
        self.profile = merged
