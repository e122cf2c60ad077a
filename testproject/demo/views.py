"""The demo's pages: the account (followers and menu), a JS-SDK page, a WeChat login and
a slow (deferred) reply.

Every WeChat call goes through ``get_client()``; when WeChat (or the emulator) fails, the
page says so in words instead of answering 500.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from django_wechat import get_client
from django_wechat.conf import wechat_settings
from django_wechat.exceptions import APIError, TransportError, WeChatError
from django_wechat.models import DeferredReply
from django_wechat.oauth.decorators import wechat_login_required

from .menu import DEFAULT_MENU

#: The account page lists at most this many followers.
FOLLOWERS_SHOWN = 100


def describe(exc: WeChatError) -> str:
    """What went wrong, for a person (no secret is in any of these texts)."""
    if isinstance(exc, TransportError):
        return _(
            "Could not reach WeChat's API at %(url)s. Is the emulator running? "
            "“make demo” starts it beside the site."
        ) % {"url": wechat_settings.API_BASE_URL}
    if isinstance(exc, APIError):
        return _("WeChat refused %(api)s: errcode %(errcode)s (%(errmsg)s).") % {
            "api": exc.api,
            "errcode": exc.errcode,
            "errmsg": exc.errmsg,
        }
    return _("WeChat's API failed: %(error)s") % {"error": exc}


@staff_member_required
def account(request: HttpRequest) -> HttpResponse:
    """The account's followers and its current menu."""
    client = get_client()
    context: dict[str, Any] = {"followers": [], "menu": None, "error": None}
    try:
        openids = list(islice(client.user.iter_followers(), FOLLOWERS_SHOWN))
        profiles = client.user.get_batch(openids) if openids else []
        context["followers"] = [
            {
                **profile,
                "subscribed_at": datetime.fromtimestamp(profile.get("subscribe_time", 0), UTC),
            }
            for profile in profiles
        ]
        menu = client.menu.get()
        context["menu"] = [_shown(b) for b in menu["menu"]["button"]] if menu else None
    except WeChatError as exc:
        context["error"] = describe(exc)
    return render(request, "demo/account.html", context)


def _shown(button: dict[str, Any]) -> dict[str, Any]:
    """A menu button for the page: its name, type, what it points at, its sub-buttons."""
    target = next((button[k] for k in ("key", "url", "media_id", "article_id") if k in button), "")
    return {
        "name": button["name"],
        "type": button.get("type", ""),
        "target": target,
        "sub_button": [_shown(b) for b in button.get("sub_button") or []],
    }


@require_POST
@staff_member_required
def push_menu(request: HttpRequest) -> HttpResponse:
    """Replace the account's menu with the demo's default menu."""
    try:
        get_client().menu.create(DEFAULT_MENU)
    except WeChatError as exc:
        messages.error(request, describe(exc))
    else:
        messages.success(request, _("The default menu is now the account's menu."))
    return redirect("demo:account")


def jssdk(request: HttpRequest) -> HttpResponse:
    """A page with ``{% wechat_jssdk_config %}``, signed for its own URL."""
    error = None
    try:
        # The tag fetches the ticket too; fetching it here first turns a failure into a
        # message on the page rather than an error while rendering the template.
        get_client().jsapi.get_jsapi_ticket()
    except WeChatError as exc:
        error = describe(exc)
    return render(request, "demo/jssdk.html", {"error": error})


def _login_page(request: HttpRequest, template: str, heading: str) -> HttpResponse:
    wechat_user = None
    if request.user.is_authenticated:
        wechat_user = request.user.wechat_users.order_by("-updated_at").first()  # type: ignore[union-attr]
    return render(request, template, {"wechat_user": wechat_user, "heading": heading})


def wechat_login(request: HttpRequest) -> HttpResponse:
    """ "Log in with WeChat": a link through the login (and WeChat's consent page, here the
    emulator's) back to this page, which then shows who is logged in."""
    return _login_page(request, "demo/login.html", _("Log in with WeChat"))


def desktop_login(request: HttpRequest) -> HttpResponse:
    """The website QR login for desktop browsers: WeChat's QR page (here the emulator's,
    where a button stands in for scanning), then back here logged in."""
    return _login_page(request, "demo/desktop.html", _("Desktop login"))


def wechat_logout(request: HttpRequest) -> HttpResponse:
    """Log out (POST), back to the login page."""
    if request.method == "POST":
        logout(request)
    return redirect("demo:login")


def api_me(request: HttpRequest) -> JsonResponse:
    """What a mini program calls after its login (play_miniprogram.py): who the session
    belongs to, as JSON."""
    if not request.user.is_authenticated:
        return JsonResponse({"ok": False, "code": "login_required"}, status=401)
    wechat_users = request.user.wechat_users.order_by("pk")  # type: ignore[union-attr]
    return JsonResponse(
        {
            "ok": True,
            "username": request.user.get_username(),
            "accounts": {w.account: w.openid for w in wechat_users},
        }
    )


@wechat_login_required(scope="snsapi_userinfo")
def me(request: HttpRequest) -> HttpResponse:
    """A page for logged-in followers only: inside WeChat it sends them through the login;
    elsewhere through the website QR login (or, with DEMO_WEBSITE_LOGIN=0, a page saying to
    open it in WeChat, with a QR code)."""
    return wechat_login(request)


#: The slow page lists this many of the latest deferred replies.
DEFERRED_SHOWN = 10


@staff_member_required
def slow(request: HttpRequest) -> HttpResponse:
    """Send the site's own callback "slow", as WeChat would; show the passive answer, then
    the deferred reply's record until the task worker (``manage.py db_worker``) sent it."""
    if request.method == "POST":
        import requests

        from django_wechat.testing import callback_request

        signed = callback_request(text="slow")
        started = time.monotonic()
        try:
            answer = requests.post(
                request.build_absolute_uri(signed.path),
                params=signed.query,
                data=signed.body,
                headers={"Content-Type": "text/xml"},
                timeout=5,
            )
        except requests.RequestException as exc:
            messages.error(request, _("The callback did not answer: %(error)s") % {"error": exc})
        else:
            messages.success(
                request,
                _("The callback answered “%(body)s” in %(ms)d ms, within WeChat's 5 seconds.")
                % {"body": answer.text[:40], "ms": (time.monotonic() - started) * 1000},
            )
        return redirect("demo:slow")
    replies = list(DeferredReply.objects.order_by("-created_at")[:DEFERRED_SHOWN])
    waiting = any(
        r.state not in (DeferredReply.State.SENT, DeferredReply.State.FAILED) for r in replies
    )
    return render(request, "demo/slow.html", {"replies": replies, "waiting": waiting})
