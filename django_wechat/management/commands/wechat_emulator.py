"""``manage.py wechat_emulator``: run the WeChat API emulator until interrupted.

The emulator knows the accounts' TOKEN and AES key, so it can sign callbacks they
would accept. It therefore refuses, unless told otherwise, to start for accounts that
look real (``DEBUG`` off, or ``WECHAT["API_BASE_URL"]`` not pointing at it) and to
listen anywhere but loopback: the guards are :class:`WeChatEmulator`'s
(:meth:`~django_wechat.testing.emulator.WeChatEmulator.guard`), run strictly here.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ...testing.emulator import CONTROL_TOKEN_HEADER, EmulatorRefused, WeChatEmulator


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


#: The option of the command that allows what each of WeChatEmulator's arguments allows.
_FLAGS = {"allow_remote": "--allow-remote", "allow_real_accounts": "--allow-real-accounts"}


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
        parser.add_argument(
            "--templates",
            type=int,
            default=2,
            help=_(
                "Templates of the emulator's library each Official Account already has, "
                "ready for wechat_sync_templates (default 2, at most 3)."
            ),
        )
        parser.add_argument(
            "--allow-real-accounts",
            action="store_true",
            help=_(
                "Start even when settings.DEBUG is False or WECHAT['API_BASE_URL'] is not "
                "this emulator (the emulator can sign callbacks with the accounts' TOKEN)."
            ),
        )
        parser.add_argument(
            "--allow-remote",
            action="store_true",
            help=_("Allow --host to be an address other than loopback."),
        )
        parser.add_argument(
            "--oauth-domain",
            action="append",
            default=None,
            metavar="HOST",
            help=_(
                "A host every account's web OAuth may redirect to (its web authorisation "
                "domain); repeat for more (default: localhost, 127.0.0.1, ::1, testserver)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            emulator = WeChatEmulator(
                host=options["host"],
                port=options["port"],
                followers=options["followers"],
                templates=options["templates"],
                oauth_domains=options["oauth_domain"],
                allow_remote=options["allow_remote"],
                allow_real_accounts=options["allow_real_accounts"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            # strict: this runs on a site's own settings, so accounts that may be real
            # are refused on loopback too (the class alone refuses them beyond it).
            emulator.start(
                strict=True, warn=lambda text: self.stderr.write(self.style.WARNING(text))
            )
        except EmulatorRefused as exc:
            raise CommandError(
                exc.reason
                + " "
                + _("Use %(option)s to start it anyway.") % {"option": _FLAGS[exc.option]}
            ) from None
        # `kill` (as `make demo` does when runserver exits) stops it as cleanly as Ctrl-C.
        signal.signal(signal.SIGTERM, _stop)
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
        titles = [template["title"] for template in emulator.state().templates.values()]
        if titles:
            self.stdout.write(
                "  " + _("message templates: %(titles)s") % {"titles": ", ".join(titles)}
            )
        url = {"url": emulator.url, "token": emulator.control_token}
        self.stdout.write(
            "  " + _("OAuth consent page: %(url)s/connect/oauth2/authorize?...") % url
        )
        self.stdout.write(
            "  "
            + _("control token (the %(header)s header of /_emulator/ requests): %(token)s")
            % {"header": CONTROL_TOKEN_HEADER, "token": emulator.control_token}
        )
        self.stdout.write("  " + _("call log: %(url)s/_emulator/calls?token=%(token)s") % url)
        self.stdout.write(_("Quit with CONTROL-C."))
        self.stdout.flush()
        try:
            emulator.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            emulator.stop()
            self.stdout.write(_("WeChat emulator stopped."))
