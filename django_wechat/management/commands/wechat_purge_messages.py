"""``manage.py wechat_purge_messages --older-than DAYS``: empty the inbound message log of
what is older than DAYS days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from ...models import InboundMessage


class Command(BaseCommand):
    help = _("Delete the inbound messages received more than --older-than DAYS days ago.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            required=True,
            metavar="DAYS",
            help=_("Delete what was received more than this many days ago (0: everything)."),
        )
        parser.add_argument("--account", help=_("Only this account's messages."))

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than"]
        if days < 0:
            raise CommandError(_("--older-than must be 0 or more days."), returncode=2)
        messages = InboundMessage.objects.filter(
            received_at__lt=timezone.now() - timedelta(days=days)
        )
        if options["account"]:
            messages = messages.filter(account=options["account"])
        count, _details = messages.delete()
        self.stdout.write(
            _("Deleted %(count)d inbound messages older than %(days)d days.")
            % {"count": count, "days": days}
        )
