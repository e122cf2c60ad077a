"""``manage.py wechat_token``: show (or refresh) an account's access_token or ticket.

Only the first characters are printed: the whole token is a credential.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ...cache import TICKET_TYPES
from ...client import get_client
from ...conf import DEFAULT_ACCOUNT
from ...exceptions import WeChatError

SHOWN = 8


class Command(BaseCommand):
    help = _(
        "Show the start of an account's access_token (or jsapi / wx_card ticket) and its "
        "expiry, fetching it if the cache has none."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", default=DEFAULT_ACCOUNT, help=_("The account's name."))
        parser.add_argument(
            "--refresh",
            action="store_true",
            help=_("Fetch a new one even if the cache holds one."),
        )
        parser.add_argument(
            "--ticket",
            choices=TICKET_TYPES,
            help=_("Show a JS-SDK ticket instead of the access_token."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        client = get_client(options["account"])
        kind = options["ticket"]
        try:
            if kind:
                credential = client.get_ticket(kind, refresh=options["refresh"])
            else:
                credential = client.get_access_token(refresh=options["refresh"])
        except WeChatError as exc:
            raise CommandError(str(exc)) from None
        expires = dt.datetime.fromtimestamp(credential.expires_at, tz=dt.UTC)
        what = _("%(kind)s ticket") % {"kind": kind} if kind else "access_token"
        self.stdout.write(
            _(
                "%(what)s of %(account)s (%(app_id)s): %(start)s… "
                "expires %(expires)s (in %(left)d s)"
            )
            % {
                "what": what,
                "account": client.account.name,
                "app_id": client.account.app_id,
                "start": credential.value[:SHOWN],
                "expires": expires.isoformat(timespec="seconds"),
                "left": credential.remaining(),
            }
        )
