"""``manage.py wechat_emulator``: run the WeChat API emulator until interrupted."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from ...testing.emulator import WeChatEmulator


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = _(
        "Run a local WeChat API emulator (api.weixin.qq.com and open.weixin.qq.com) for the "
        "accounts in settings.WECHAT, with demo followers o-demo-follower-1 ... Point "
        "WECHAT['API_BASE_URL'] and WECHAT['OAUTH_BASE_URL'] at it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help=_("Address to listen on."))
        parser.add_argument("--port", type=int, default=8001, help=_("Port (0: any free port)."))
        parser.add_argument(
            "--followers", type=int, default=5, help=_("Demo followers per account (default 5).")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        emulator = WeChatEmulator(
            host=options["host"], port=options["port"], followers=options["followers"]
        )
        # `kill` (as `make demo` does when runserver exits) stops it as cleanly as Ctrl-C.
        signal.signal(signal.SIGTERM, _stop)
        emulator.start()
        self.stdout.write(
            self.style.SUCCESS(_("WeChat emulator on %(url)s") % {"url": emulator.url})
        )
        for account in emulator.accounts:
            self.stdout.write(
                "  "
                + _("account %(name)r: appid %(app_id)s")
                % {"name": account.name, "app_id": account.app_id}
            )
        followers = ", ".join(emulator.state().followers)
        self.stdout.write("  " + _("demo followers: %(followers)s") % {"followers": followers})
        url = {"url": emulator.url}
        self.stdout.write(
            "  " + _("OAuth consent page: %(url)s/connect/oauth2/authorize?...") % url
        )
        self.stdout.write("  " + _("call log: %(url)s/_emulator/calls") % url)
        self.stdout.write(_("Quit with CONTROL-C."))
        self.stdout.flush()
        try:
            emulator.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            emulator.stop()
            self.stdout.write(_("WeChat emulator stopped."))
