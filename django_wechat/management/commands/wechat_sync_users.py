"""``manage.py wechat_sync_users``: the account's followers from WeChat into the database.

A progress bar on a terminal (with the optional ``rich``, ``pip install
"django-wechat-oa[progress]"``), a plain line every 10% or 10 seconds otherwise (logs,
cron), nothing with ``--quiet``. Exit status: 0 when the list was synced to its end; 3 when WeChat
refused a call or could not be reached, or its daily quota stopped the sync (the next run
resumes).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ...conf import DEFAULT_ACCOUNT, get_account
from ...exceptions import WeChatError
from ...sync.followers import SyncResult, sync_followers
from ..progress import Reporter, reporter

REFUSED = 3


class Command(BaseCommand):
    help = _(
        "Sync the account's followers from WeChat: new followers, or every profile with "
        "--full; a sync that was stopped resumes where it stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", default=DEFAULT_ACCOUNT, help=_("The account's name."))
        parser.add_argument(
            "--full",
            action="store_true",
            help=_(
                "Fetch every follower's profile, not only new followers', and mark those no "
                "longer following as unsubscribed."
            ),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=4,
            metavar="N",
            help=_("How many profile calls to WeChat are in flight at once (default 4)."),
        )
        parser.add_argument(
            "--quiet", action="store_true", help=_("No progress bar and no progress lines.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError(_("--workers must be at least 1."), returncode=2)
        account = get_account(options["account"]).name
        reporter = None if options["quiet"] else self.reporter()
        try:
            result = sync_followers(
                account,
                full=options["full"],
                workers=options["workers"],
                progress=reporter.update if reporter else None,
            )
        except WeChatError as exc:
            raise CommandError(
                _("The sync stopped, its progress saved (the next run resumes): %(error)s")
                % {"error": exc},
                returncode=REFUSED,
            ) from None
        finally:
            if reporter is not None:
                reporter.close()
        if result.quota_api:
            raise CommandError(result.message, returncode=REFUSED)
        self.stdout.write(self.style.SUCCESS(result.message))

    def reporter(self) -> SyncReporter:
        return SyncReporter(
            reporter(self, _("Followers"), _("%(done)d/%(total)d followers (%(rate).0f/s)"))
        )


class SyncReporter:
    """A sync's progress: where a resumed sync starts, then how far it has gone."""

    def __init__(self, shown: Reporter) -> None:
        self.shown = shown
        self.announced = False

    def update(self, result: SyncResult) -> None:
        if not self.announced:
            self.announced = True
            if result.resumed:
                self.shown.say(
                    _("Resuming the sync of account %(account)s at %(done)d of %(total)d.")
                    % {"account": result.account, "done": result.done, "total": result.total}
                )
        self.shown.show(result.done, result.total, result.rate)

    def close(self) -> None:
        self.shown.close()
