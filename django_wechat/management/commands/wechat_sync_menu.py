"""``manage.py wechat_sync_menu``: push the account's menus to WeChat, pull them, or delete them.

Exit status: 0 on success; 1 when the menu is invalid (nothing was sent to WeChat); 2 when
the options do not go together or the file cannot be read; 3 when WeChat refused the call
or could not be reached.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ...client import get_client
from ...conf import DEFAULT_ACCOUNT, get_account
from ...exceptions import APIError, WeChatError
from ...menu_rules import InvalidMenu, check_menu
from ...sync import menus as sync

INVALID, USAGE, REFUSED = 1, 2, 3


class Command(BaseCommand):
    help = _(
        "Push the account's published menus to WeChat (or a JSON file's menu with --file), "
        "pull WeChat's menus (--pull), or delete them (--delete)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file",
            metavar="PATH",
            help=_(
                'Push this JSON file (WeChat\'s own body, {"button": [...]}; "-" reads '
                "stdin) instead of the database; with --pull, write WeChat's menus there."
            ),
        )
        parser.add_argument(
            "--pull",
            action="store_true",
            help=_("Fetch WeChat's menus into the database (or into --file)."),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_(
                "Show the differences between WeChat's menu and what would be pushed; push nothing."
            ),
        )
        parser.add_argument(
            "--delete",
            action="store_true",
            help=_("Delete the account's menus on WeChat, the conditional ones too."),
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help=_("Do not ask before deleting."),
        )
        parser.add_argument("--account", default=DEFAULT_ACCOUNT, help=_("The account's name."))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["pull"] and options["delete"]:
            raise CommandError(_("--pull and --delete do not go together."), returncode=USAGE)
        if options["delete"] and options["file"]:
            raise CommandError(_("--delete and --file do not go together."), returncode=USAGE)
        account = get_account(options["account"]).name
        try:
            if options["delete"]:
                self.delete(account, options)
            elif options["pull"]:
                self.pull(account, options)
            elif options["file"]:
                self.push_file(account, options)
            else:
                self.push_database(account, options)
        except InvalidMenu as exc:
            raise CommandError(
                _("The menu is invalid; nothing was sent to WeChat:\n%(problems)s")
                % {"problems": "\n".join(f"  {p}" for p in exc.problems)},
                returncode=INVALID,
            ) from None
        except APIError as exc:
            raise CommandError(str(sync.refusal(exc)), returncode=REFUSED) from None
        except WeChatError as exc:
            raise CommandError(str(exc), returncode=REFUSED) from None

    # --- the four jobs -------------------------------------------------------------------

    def push_database(self, account: str, options: dict[str, Any]) -> None:
        menus = sync.published_menus(account)
        if not menus:
            raise CommandError(
                _(
                    "Account %(account)s has no published menu in the database: publish one "
                    "in the admin, pull WeChat's with --pull, or push a file with --file."
                )
                % {"account": account},
                returncode=INVALID,
            )
        for menu in menus:
            check_menu(menu.to_wechat())
        client = get_client(account)
        if options["dry_run"]:
            current = sync.read_wechat(client)
            for menu in menus:
                body = menu.to_wechat()
                self.show_diff(current.find(menu), body, sync.menu_title(body))
            return
        for menu in menus:
            sync.publish(menu, client)
            self.done(
                _("Pushed %(title)s “%(name)s”.")
                % {"title": sync.menu_title(menu.to_wechat()), "name": menu.title}
            )

    def push_file(self, account: str, options: dict[str, Any]) -> None:
        data = self.read_file(options["file"])
        sync.check_file(data)
        client = get_client(account)
        if options["dry_run"]:
            current = sync.read_wechat(client)
            self.show_diff(current.default, {"button": data["button"]}, sync.menu_title({}))
            if "conditionalmenu" in data:
                before = [line for m in current.conditional for line in self.titled(m)]
                after = [line for m in data["conditionalmenu"] for line in self.titled(m)]
                self.show_lines(sync.unified_diff(before, after, _("conditional menus")))
            return
        pushed = sync.push_file(data, client)
        self.done(
            _("Pushed the menu of %(file)s (%(count)d conditional menus).")
            % {"file": options["file"], "count": len(pushed.conditional)}
        )

    def pull(self, account: str, options: dict[str, Any]) -> None:
        client = get_client(account)
        current = sync.read_wechat(client)
        for note in current.notes:
            self.stderr.write(self.style.WARNING(note))
        if current.default is None:
            self.stdout.write(
                _("WeChat has no menu for account %(account)s.") % {"account": account}
            )
            return
        if options["dry_run"]:
            for menu in [current.default, *current.conditional]:
                self.show_lines(self.titled(menu))
            return
        if options["file"]:
            text = json.dumps(sync.to_file(current), ensure_ascii=False, indent=2) + "\n"
            if options["file"] == "-":
                self.stdout.write(text, ending="")
            else:
                Path(options["file"]).write_text(text, encoding="utf-8")
                self.done(_("Wrote WeChat's menus to %(file)s.") % {"file": options["file"]})
            return
        saved = sync.save_pulled(account, current)
        self.done(
            _("Pulled %(count)d menus of account %(account)s into the database.")
            % {"count": len(saved), "account": account}
        )

    def delete(self, account: str, options: dict[str, Any]) -> None:
        client = get_client(account)
        if options["dry_run"]:
            current = sync.read_wechat(client)
            for menu in [m for m in [current.default, *current.conditional] if m]:
                self.show_lines(["- " + line for line in self.titled(menu)])
            return
        if options["interactive"]:
            answer = input(
                _(
                    "This deletes the menus of account %(account)s on WeChat, conditional "
                    "menus included; followers will see no menu.\n"
                    "Type 'yes' to continue, or 'no' to cancel: "
                )
                % {"account": account}
            )
            if answer != "yes":
                raise CommandError(_("Deleting cancelled."), returncode=USAGE)
        sync.delete_all(account, client)
        self.done(_("Deleted the menus of account %(account)s on WeChat.") % {"account": account})

    # --- helpers -------------------------------------------------------------------------

    def read_file(self, path: str) -> Any:
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc},
                returncode=USAGE,
            ) from None
        except json.JSONDecodeError as exc:
            raise CommandError(
                _("%(file)s is not JSON: %(error)s") % {"file": path, "error": exc},
                returncode=INVALID,
            ) from None
        return data

    def titled(self, menu: dict[str, Any]) -> list[str]:
        return [f"[{sync.menu_title(menu)}]", *sync.menu_lines(menu)]

    def show_diff(self, before: dict[str, Any] | None, after: dict[str, Any], title: str) -> None:
        lines = sync.unified_diff(sync.menu_lines(before), sync.menu_lines(after), title)
        if not lines:
            self.stdout.write(_("%(title)s: WeChat already has this menu.") % {"title": title})
        self.show_lines(lines)

    def show_lines(self, lines: list[str]) -> None:
        for line in lines:
            if line.startswith("+") and not line.startswith("+++"):
                self.stdout.write(self.style.SUCCESS(line))
            elif line.startswith("-") and not line.startswith("---"):
                self.stdout.write(self.style.ERROR(line))
            else:
                self.stdout.write(line)

    def done(self, message: str) -> None:
        self.stdout.write(self.style.SUCCESS(message))
