from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class WeChatConfig(AppConfig):
    """Registers the settings checks."""

    name = "django_wechat"
    label = "wechat"
    verbose_name = _("WeChat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .checks import check_settings

        checks.register(check_settings, "wechat")
