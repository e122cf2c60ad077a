"""``manage.py wechat_emulator``: run the WeChat API emulator until interrupted.

The emulator knows the accounts' TOKEN and AES key, so it can sign callbacks they
would accept. It therefore refuses, unless told otherwise, to start for accounts that
look real (``DEBUG`` off, or ``WECHAT["API_BASE_URL"]`` not pointing at it) and to
listen anywhere but loopback.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ...conf import wechat_settings
from ...testing.emulator import CONTROL_TOKEN_HEADER, WeChatEmulator, is_loopback


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def real_accounts_reason(port: int) -> str | None:
    """Why the configured accounts may be a live site's, or None when they look local.

    They look local when ``DEBUG`` is on and ``WECHAT["API_BASE_URL"]`` is a loopback
    URL on ``port`` (any port when ``port`` is 0): the site then talks to this emulator,
    not to WeChat.
    """
    if not settings.DEBUG:
        return _("settings.DEBUG is False, so these may be a live site's accounts.")
    base_url = wechat_settings.API_BASE_URL
    parts = urlsplit(base_url)
    try:
        url_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        url_port = None
    if not is_loopback(parts.hostname) or (port and url_port != port):
        return _(
            "WECHAT['API_BASE_URL'] is %(url)s, not this emulator, so these may be the "
            "accounts of a site that talks to WeChat."
        ) % {"url": base_url}
    return None


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
        host, port = options["host"], options["port"]
        if not is_loopback(host):
            if not options["allow_remote"]:
                raise CommandError(
                    _(
                        "Refusing to listen on %(host)s: anyone who can reach it could use "
                        "the emulator. Use --allow-remote to listen beyond loopback anyway."
                    )
                    % {"host": host}
                )
            self.stderr.write(
                self.style.WARNING(
                    _(
                        "Warning: listening on %(host)s, beyond loopback: anyone who can "
                        "reach it can call the emulator's API."
                    )
                    % {"host": host}
                )
            )
        reason = real_accounts_reason(port)
        if reason is not None:
            if not options["allow_real_accounts"]:
                raise CommandError(
                    _(
                        "%(reason)s The emulator can sign callbacks with their TOKEN and AES "
                        "key. Use --allow-real-accounts to start it anyway."
                    )
                    % {"reason": reason}
                )
            self.stderr.write(self.style.WARNING(_("Warning: %(reason)s") % {"reason": reason}))
        emulator = WeChatEmulator(
            host=host,
            port=port,
            followers=options["followers"],
            oauth_domains=options["oauth_domain"],
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
