"""``manage.py wechat_init``: print a ``WECHAT`` block ready to paste into settings.py.

::

    manage.py wechat_init                    # development: the emulator, a random TOKEN and key
    manage.py wechat_init --account shop     # the same for an account called "shop"
    manage.py wechat_init --production       # CACHES (django-redis) and WECHAT from the environment

It runs without system checks, so it works before ``WECHAT`` exists or while it is broken.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ...conf import DEFAULT_ACCOUNT
from ...starter import development_settings, production_settings

# The account's name goes into the callback URL (wechat/callback/<name>/).
_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")


class Command(BaseCommand):
    help = _(
        "Print a WECHAT block for settings.py: for development against the emulator, with "
        "a random TOKEN and EncodingAESKey, or with --production, for a live site."
    )
    requires_system_checks: list[str] = []  # noqa: RUF012 - as Django declares it

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--account",
            default=DEFAULT_ACCOUNT,
            help=_("The account's name, as in the callback URL (default: %(default)s)."),
        )
        parser.add_argument(
            "--production",
            action="store_true",
            help=_(
                "Print the production blocks: CACHES on django-redis and WECHAT read from "
                "the environment."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["account"]
        if not _NAME_RE.fullmatch(name):
            raise CommandError(
                _("An account's name goes into its callback URL: use letters, digits, - and _.")
            )
        # The block goes to stdout (``>> settings.py`` works), the advice to stderr.
        if options["production"]:
            self.stdout.write(production_settings(name))
            self.stderr.write(
                _(
                    "Set WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN, "
                    "WECHAT_ENCODING_AES_KEY and REDIS_URL in the environment of every "
                    "process of the site."
                ),
                style_func=str,
            )
        else:
            self.stdout.write(development_settings(name))
            self.stderr.write(
                _(
                    "Paste this into settings.py and run the emulator with "
                    "“python manage.py wechat_emulator --port 8001”. The TOKEN and "
                    "EncodingAESKey are random: when you switch to your account, paste the "
                    "same two into the WeChat console (设置与开发 → 基本配置 → 服务器配置)."
                ),
                style_func=str,
            )
