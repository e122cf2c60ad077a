"""``manage.py wechat_sync_templates``: the account's templates from WeChat into the database.

Prints each template added, changed and removed (marked removed: sent messages keep
pointing at it); a second run prints that nothing changed. Exit status 2 for an unknown
account, 3 when WeChat refused the call or could not be reached.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ...conf import DEFAULT_ACCOUNT, get_account
from ...exceptions import UnknownAccount, WeChatError
from ...sync.templates import sync_templates

USAGE, REFUSED = 2, 3


class Command(BaseCommand):
    help = _(
        "Fetch the account's template messages' templates from WeChat "
        "(get_all_private_template) into the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", default=DEFAULT_ACCOUNT, help=_("The account's name."))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            account = get_account(options["account"]).name
        except UnknownAccount as exc:
            raise CommandError(str(exc), returncode=USAGE) from None
        try:
            result = sync_templates(account)
        except WeChatError as exc:
            raise CommandError(str(exc), returncode=REFUSED) from None
        for label, templates, style in (
            (_("added"), result.added, self.style.SUCCESS),
            (_("changed"), result.changed, self.style.WARNING),
            (_("removed"), result.removed, self.style.ERROR),
        ):
            for template in templates:
                self.stdout.write(
                    style(
                        _("%(what)s: %(title)s (%(template_id)s), keywords %(keywords)s")
                        % {
                            "what": label,
                            "title": template.title,
                            "template_id": template.template_id,
                            "keywords": ", ".join(template.keywords) or "-",
                        }
                    )
                )
        self.stdout.write(
            _(
                "Account %(account)s: %(added)d added, %(changed)d changed, %(removed)d "
                "removed, %(unchanged)d unchanged."
            )
            % {
                "account": account,
                "added": len(result.added),
                "changed": len(result.changed),
                "removed": len(result.removed),
                "unchanged": len(result.unchanged),
            }
        )
