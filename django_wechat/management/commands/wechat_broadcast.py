"""``manage.py wechat_broadcast``: send a text or a template message to many followers as
a background job, and follow it (``--status``, ``--wait``), cancel it or resume it.

``--wait`` (with a new broadcast, ``--resume`` or ``--status ID``) stays until the
broadcast stops running, showing its progress: a bar on a terminal (with the optional
``rich``), a plain line every 10% or 10 seconds otherwise. Interrupted (Ctrl-C), it leaves
the broadcast running in the background.

Exit status: 0 on success (with ``--wait``: the broadcast is done); 2 when the options do
not go together; 3 when the broadcast does not exist or cannot be changed, or (with
``--wait``) it stopped without finishing: paused by the daily quota, or cancelled; 130
when ``--wait`` was interrupted (the broadcast goes on).
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ... import broadcasts, tasks
from ...conf import DEFAULT_ACCOUNT, get_account
from ...exceptions import WeChatError
from ...models import Broadcast
from ..progress import Reporter, reporter

USAGE, REFUSED = 2, 3
#: Interrupted (Ctrl-C) while waiting, as a shell reports a command SIGINT stopped.
INTERRUPTED = 130


class Command(BaseCommand):
    help = _(
        "Send a customer-service text (--text) or a template message (--template) to every "
        "follower, a tag's or some openids, as background tasks; --status, --cancel and "
        "--resume follow and steer a broadcast."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--text", help=_("A customer-service text (followers within 48 hours).")
        )
        parser.add_argument("--template", metavar="TEMPLATE_ID", help=_("A template's id."))
        parser.add_argument(
            "--data", default="{}", help=_('The template\'s data as JSON: {"keyword": "value"}.')
        )
        parser.add_argument("--url", default="", help=_("The template message's link."))
        parser.add_argument("--tag", type=int, help=_("Only the followers with this tag id."))
        parser.add_argument(
            "--openid", action="append", default=[], help=_("Only this follower (repeatable).")
        )
        parser.add_argument("--batch-size", type=int, default=500, help=_("Followers per batch."))
        parser.add_argument(
            "--concurrency", type=int, default=2, help=_("How many batches may run at once.")
        )
        parser.add_argument(
            "--status",
            nargs="?",
            const=0,
            type=int,
            metavar="ID",
            help=_("Show a broadcast's progress (without ID: the latest ten)."),
        )
        parser.add_argument("--cancel", type=int, metavar="ID", help=_("Cancel a broadcast."))
        parser.add_argument(
            "--resume", type=int, metavar="ID", help=_("Resume a paused or interrupted broadcast.")
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help=_(
                "Stay until the broadcast stops running, showing its progress (with a new "
                "broadcast, --resume or --status ID)."
            ),
        )
        parser.add_argument("--account", default=DEFAULT_ACCOUNT, help=_("The account's name."))

    #: Seconds between two looks at a broadcast's progress with ``--wait``.
    poll_interval = 1.0
    #: Seconds without progress before ``--wait`` asks whether a task worker runs.
    stall_hint_after = 30.0

    def handle(self, *args: Any, **options: Any) -> None:
        if options["wait"] and (options["cancel"] is not None or options["status"] == 0):
            raise CommandError(
                _("--wait follows one broadcast: a new one, --resume ID or --status ID."),
                returncode=USAGE,
            )
        if options["status"] is not None:
            if options["wait"]:
                self.wait(options["status"])  # the status line comes at its end
            else:
                self.status(options["status"])
        elif options["cancel"] is not None:
            if not broadcasts.cancel(options["cancel"]):
                raise CommandError(
                    _("Broadcast %(id)s is not running or paused.") % {"id": options["cancel"]},
                    returncode=REFUSED,
                )
            self.stdout.write(_("Broadcast %(id)s cancelled.") % {"id": options["cancel"]})
        elif options["resume"] is not None:
            self.resume(options["resume"])
            if options["wait"]:
                self.wait(options["resume"])
        else:
            pk = self.create(options)
            if options["wait"]:
                self.wait(pk)

    def create(self, options: dict[str, Any]) -> int:
        if bool(options["text"]) == bool(options["template"]):
            raise CommandError(_("Give --text or --template (one of them)."), returncode=USAGE)
        try:
            data = json.loads(options["data"])
        except ValueError as exc:
            raise CommandError(
                _("--data is not JSON: %(error)s") % {"error": exc}, returncode=USAGE
            ) from None
        try:
            broadcast = broadcasts.create_broadcast(
                options["openid"] or None,
                account=get_account(options["account"]).name,
                text=options["text"] or "",
                template_id=options["template"] or "",
                data=data,
                url=options["url"],
                tag=options["tag"],
                batch_size=options["batch_size"],
                concurrency=options["concurrency"],
            )
            tasks.start_broadcast(broadcast)
        except WeChatError as exc:
            raise CommandError(str(exc), returncode=USAGE) from None
        total = broadcasts.progress(broadcast).total
        self.stdout.write(
            _("Broadcast %(id)s started: %(total)d followers.")
            % {"id": broadcast.pk, "total": total}
        )
        return int(broadcast.pk)

    def wait(self, pk: int) -> None:
        """Show the broadcast's progress until it stops running; then its status line."""
        shown = reporter(
            self,
            _("Broadcast %(id)s") % {"id": pk},
            _("%(done)d/%(total)d messages (%(rate).0f/s)"),
        )
        try:
            state = self.follow(pk, shown)
        except KeyboardInterrupt:
            raise CommandError(
                _(
                    "Stopped waiting; broadcast %(id)s goes on in the background "
                    "(--status %(id)s shows it)."
                )
                % {"id": pk},
                returncode=INTERRUPTED,
            ) from None
        finally:
            shown.close()
        self.status(pk)
        if state == Broadcast.State.PAUSED:
            raise CommandError(
                _(
                    "Broadcast %(id)s is paused by WeChat's daily quota: it resumes after "
                    "midnight, Beijing time, when tasks can be deferred, or with --resume "
                    "%(id)s."
                )
                % {"id": pk},
                returncode=REFUSED,
            )
        if state == Broadcast.State.CANCELLED:
            raise CommandError(
                _("Broadcast %(id)s was cancelled.") % {"id": pk}, returncode=REFUSED
            )

    def follow(self, pk: int, shown: Reporter) -> str:
        """Look at the broadcast every ``poll_interval`` seconds until it stops running;
        its last state."""
        started = moved = time.monotonic()
        first = last = None
        hinted = False
        while True:
            state = Broadcast.objects.filter(pk=pk).values_list("state", flat=True).first()
            if state is None:  # deleted (in the admin, say) while we looked
                raise CommandError(_("No broadcast %(id)s.") % {"id": pk}, returncode=REFUSED)
            p = broadcasts.progress(pk)
            done = p.total - p.remaining
            now = time.monotonic()
            first = done if first is None else first
            if done != last:
                last, moved = done, now
            elapsed = now - started
            shown.show(done, p.total, (done - first) / elapsed if elapsed else 0.0)
            if state != Broadcast.State.RUNNING:
                return str(state)
            if not hinted and now - moved >= self.stall_hint_after:
                hinted = True
                shown.say(
                    _(
                        "No progress for %(seconds)d seconds: is a task worker running "
                        "(manage.py db_worker, or your backend's)? If a worker stopped in "
                        "the middle of the broadcast, --resume %(id)s sends the rest."
                    )
                    % {"seconds": now - moved, "id": pk}
                )
            time.sleep(self.poll_interval)

    def resume(self, pk: int) -> None:
        if not Broadcast.objects.filter(pk=pk).exists():
            raise CommandError(_("No broadcast %(id)s.") % {"id": pk}, returncode=REFUSED)
        if not tasks.resume_broadcast(pk):
            raise CommandError(
                _("Broadcast %(id)s is done or cancelled.") % {"id": pk}, returncode=REFUSED
            )
        self.stdout.write(_("Broadcast %(id)s resumed.") % {"id": pk})

    def status(self, pk: int) -> None:
        jobs = Broadcast.objects.filter(pk=pk) if pk else Broadcast.objects.order_by("-pk")[:10]
        if pk and not jobs:
            raise CommandError(_("No broadcast %(id)s.") % {"id": pk}, returncode=REFUSED)
        for job in jobs:
            p = broadcasts.progress(job)
            self.stdout.write(
                _(
                    "#%(id)s %(kind)s %(state)s: %(percent)d%% — sent %(sent)d, failed "
                    "%(failed)d, blocked %(blocked)d, remaining %(remaining)d of %(total)d"
                )
                % {
                    "id": job.pk,
                    "kind": job.get_kind_display(),
                    "state": job.get_state_display(),
                    "percent": p.percent,
                    "sent": p.sent,
                    "failed": p.failed,
                    "blocked": p.blocked,
                    "remaining": p.remaining,
                    "total": p.total,
                }
            )
