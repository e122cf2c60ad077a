"""``manage.py wechat_simulate``: send a site the callback WeChat would send, print the reply.

Like the debugging tool in WeChat's console (接口调试工具 → 消息接口调试), but against any
URL, in every encryption mode::

    manage.py wechat_simulate --url http://127.0.0.1:8000/wechat/callback/default/ --text "hi"
    manage.py wechat_simulate --event subscribe
    manage.py wechat_simulate --event click --key V1001_GOOD
    manage.py wechat_simulate --xml message.xml
    manage.py wechat_simulate --verify
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils.translation import gettext as _

from ...conf import DEFAULT_ACCOUNT, get_account
from ...exceptions import WeChatError
from ...testing.callback import (
    DEFAULT_FOLLOWER,
    CallbackRequest,
    callback_request,
    read_reply,
    verification_request,
)


class Command(BaseCommand):
    help = _(
        "Send a signed (and encrypted, per the account's mode) WeChat callback to a running "
        "site and print the decrypted reply."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", default=DEFAULT_ACCOUNT, help=_("The account's name."))
        parser.add_argument(
            "--url",
            help=_("The callback URL (default: http://127.0.0.1:8000 + the wechat:callback path)."),
        )
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--text", help=_("Send a text message with this content."))
        what.add_argument("--event", help=_("Send an event: subscribe, click, view, scan..."))
        what.add_argument("--xml", type=Path, help=_("Send the message in this XML file."))
        what.add_argument(
            "--verify", action="store_true", help=_("Send the URL verification GET (echostr).")
        )
        parser.add_argument("--key", help=_("The event's EventKey (a menu key, a QR scene)."))
        parser.add_argument(
            "--from", dest="source", default=DEFAULT_FOLLOWER, help=_("The follower's openid.")
        )
        parser.add_argument(
            "--timeout", type=float, default=5.0, help=_("Seconds to wait (WeChat waits 5).")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            account = get_account(options["account"])
        except WeChatError as exc:
            raise CommandError(str(exc)) from None
        url = options["url"] or "http://127.0.0.1:8000" + reverse(
            "wechat:callback", kwargs={"account": account.name}
        )
        request = self.build(account.name, url, options)
        started = time.monotonic()
        try:
            response = requests.request(
                request.method,
                request.path,
                params=request.query,
                data=request.body or None,
                headers={"Content-Type": "text/xml; charset=utf-8"} if request.body else {},
                timeout=options["timeout"],
            )
        except requests.RequestException as exc:
            raise CommandError(
                _("Could not reach %(url)s: %(error)s") % {"url": request.path, "error": exc}
            ) from None
        elapsed = (time.monotonic() - started) * 1000
        self.stdout.write(
            _("HTTP %(status)d in %(ms).0f ms") % {"status": response.status_code, "ms": elapsed}
        )
        if response.status_code != 200:
            raise CommandError(
                _("The site refused the callback (HTTP %(status)d): %(reason)s")
                % {"status": response.status_code, "reason": response.text[:300]}
            )
        if request.method == "GET":
            expected = request.query["echostr"]
            if response.text != expected:
                raise CommandError(
                    _("Expected echostr %(expected)r, got %(got)r.")
                    % {"expected": expected, "got": response.text[:100]}
                )
            self.stdout.write(
                self.style.SUCCESS(
                    _("URL verified: echostr %(echostr)s echoed.") % {"echostr": expected}
                )
            )
            return
        try:
            reply = read_reply(response.content, account=account)
        except WeChatError as exc:
            raise CommandError(_("Unreadable reply: %(error)s") % {"error": exc}) from None
        if reply.empty:
            self.stdout.write(self.style.SUCCESS(_("success (no reply)")))
            return
        if reply.encrypted:
            self.stdout.write(_("Reply (decrypted, MsgSignature checked):"))
        self.stdout.write(reply.xml)

    @staticmethod
    def build(account: str, url: str, options: dict[str, Any]) -> CallbackRequest:
        """The request the options describe."""
        if options["verify"]:
            return verification_request(account=account, url=url)
        if options["xml"] is not None:
            try:
                message: Any = options["xml"].read_bytes()
            except OSError as exc:
                raise CommandError(
                    _("Cannot read %(file)s: %(error)s") % {"file": options["xml"], "error": exc}
                ) from None
            try:
                return callback_request(message, account=account, url=url, key=options["key"])
            except WeChatError as exc:
                raise CommandError(
                    _("%(file)s is not a WeChat message: %(error)s")
                    % {"file": options["xml"], "error": exc}
                ) from None
        return callback_request(
            account=account,
            url=url,
            text=options["text"],
            event=options["event"],
            key=options["key"],
            source=options["source"],
        )
