"""The app's configuration: registers the checks, installs the log filter, finds handlers."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Imported as the app config loads, before any app's ready(): it registers the settings
# check, which conf.get_accounts() runs through Django's registry.
from . import checks  # noqa: F401


class WeChatConfig(AppConfig):
    """Loads the settings checks (registered as ``checks`` is imported above), keeps
    secrets out of urllib3's debug log, imports each installed app's
    ``wechat_handlers``, and connects the app's own receivers (:mod:`.receivers`)."""

    name = "django_wechat"
    # Not "wechat": sites often have an app of that name already.
    label = "django_wechat"
    verbose_name = _("WeChat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .client import logs

        logs.install()

        # Like admin.py for the admin: every installed app's wechat_handlers module is
        # imported once, so its @handler functions are registered before a callback.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("wechat_handlers")

        # The app's own message_received receivers (template status, the message log).
        # The background-work checks (defer=True handlers need a task backend with workers).
        from . import (
            receivers,  # noqa: F401
            tasks,  # noqa: F401
        )
