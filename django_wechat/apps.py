from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class WeChatConfig(AppConfig):
    """Registers the settings checks, keeps secrets out of urllib3's debug log, and imports
    each installed app's ``wechat_handlers``."""

    name = "django_wechat"
    # Not "wechat": sites often have an app of that name already.
    label = "django_wechat"
    verbose_name = _("WeChat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .checks import check_oauth_settings, check_settings

        checks.register(check_settings, "wechat")
        checks.register(check_oauth_settings, "wechat")

        from .client import logs

        logs.install()

        # Like admin.py for the admin: every installed app's wechat_handlers module is
        # imported once, so its @handler functions are registered before a callback.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("wechat_handlers")
