"""``manage.py wechat_sync_users``: the account's followers from WeChat into the database.

A progress bar on a terminal (with the optional ``rich``, ``pip install
django-wechat[progress]``), a plain line every 10% or 10 seconds otherwise (logs, cron),
nothing with ``--quiet``. Exit status: 0 when the list was synced to its end; 3 when WeChat
refused a call or could not be reached, or its daily quota stopped the sync (the next run
resumes).
"""

from __future__ import annotations

import time
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ...conf import DEFAULT_ACCOUNT, get_account
from ...exceptions import WeChatError
from ...sync.followers import SyncResult, sync_followers

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

    def reporter(self) -> Reporter:
        if self.stdout.isatty():
            try:
                return BarReporter(self)
            except ImportError:  # rich is optional
                pass
        return LineReporter(self)


class Reporter:
    """Shows a sync's progress."""

    def __init__(self, command: Command) -> None:
        self.command = command
        self.announced = False

    def update(self, result: SyncResult) -> None:
        if not self.announced:
            self.announced = True
            if result.resumed:
                self.say(
                    _("Resuming the sync of account %(account)s at %(done)d of %(total)d.")
                    % {"account": result.account, "done": result.done, "total": result.total}
                )
        self.show(result)

    def say(self, text: str) -> None:
        self.command.stdout.write(text)

    def show(self, result: SyncResult) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """The end of the output."""


class LineReporter(Reporter):
    """A plain line every 10% of the followers or every 10 seconds, whichever comes first."""

    INTERVAL = 10.0

    def __init__(self, command: Command) -> None:
        super().__init__(command)
        self.last_time = time.monotonic()
        self.last_step = -1

    def show(self, result: SyncResult) -> None:
        step = result.done * 10 // result.total if result.total else 0
        now = time.monotonic()
        if step == self.last_step and now - self.last_time < self.INTERVAL:
            return
        self.last_step, self.last_time = step, now
        self.say(
            _("%(done)d/%(total)d followers (%(rate).0f/s)")
            % {"done": result.done, "total": result.total, "rate": result.rate}
        )


class BarReporter(Reporter):
    """rich's progress bar: followers done of the total, the rate, the time left."""

    def __init__(self, command: Command) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        super().__init__(command)
        self.bar = Progress(
            TextColumn(_("Followers")),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=Console(file=cast("IO[str]", command.stdout._out)),
        )
        self.task = self.bar.add_task("", total=None, rate="")
        self.bar.start()

    def say(self, text: str) -> None:
        self.bar.console.print(text)

    def show(self, result: SyncResult) -> None:
        self.bar.update(
            self.task,
            completed=result.done,
            total=result.total or None,
            rate=_("%(rate).0f/s") % {"rate": result.rate},
        )

    def close(self) -> None:
        self.bar.stop()
