"""``@wechat_login_required`` and :class:`WeChatLoginRequiredMixin`.

Inside WeChat (a ``MicroMessenger`` user agent) an anonymous visitor goes through the
official account's login and comes back. Outside WeChat, where WeChat's authorize page
cannot open, they go through the website QR login when ``WECHAT["OAUTH_WEBSITE_ACCOUNTS"]``
pairs the account with a website account (``{"default": "web"}``); else they get a page
(``django_wechat/oauth/open_in_wechat.html``) saying to open the link in WeChat, with a
QR code of it when ``segno`` is installed (``pip install django-wechat-oa[qr]``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, overload

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..conf import DEFAULT_ACCOUNT, wechat_settings
from .views import login_url

__all__ = ["WeChatLoginRequiredMixin", "in_wechat", "require_wechat_login", "wechat_login_required"]

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def in_wechat(request: HttpRequest) -> bool:
    """Is the request from WeChat's in-app browser? (Its user agent has ``MicroMessenger``.)"""
    return "micromessenger" in request.headers.get("user-agent", "").lower()


def _qr_svg(url: str) -> str:
    try:
        import segno
    except ImportError:
        return ""
    svg: str = segno.make(url, error="m").svg_inline(scale=5, border=2)
    return svg


def require_wechat_login(
    request: HttpRequest, scope: str = "snsapi_base", account: str = DEFAULT_ACCOUNT
) -> HttpResponse:
    """The answer to an anonymous visitor of a page that needs a WeChat login."""
    if in_wechat(request):
        return HttpResponseRedirect(login_url(account, request.get_full_path(), scope))
    website = wechat_settings.OAUTH_WEBSITE_ACCOUNTS.get(account)
    if website:
        return HttpResponseRedirect(login_url(website, request.get_full_path()))
    url = request.build_absolute_uri()
    context = {
        "title": _("Open this page in WeChat"),
        "message": _(
            "This page logs you in with WeChat: scan the code or open the link in WeChat."
        ),
        "url": url,
        # segno's own SVG markup, of a URL it encodes as modules, not as text.
        "qr_svg": mark_safe(_qr_svg(url)),  # noqa: S308
    }
    return render(request, "django_wechat/oauth/open_in_wechat.html", context)


@overload
def wechat_login_required(view: View) -> View: ...
@overload
def wechat_login_required(
    view: None = None, *, scope: str = ..., account: str = ...
) -> Callable[[View], View]: ...
def wechat_login_required(
    view: View | None = None, *, scope: str = "snsapi_base", account: str = DEFAULT_ACCOUNT
) -> View | Callable[[View], View]:
    """Like ``login_required``, through WeChat: ``@wechat_login_required`` or
    ``@wechat_login_required(scope="snsapi_userinfo", account="shop")``."""

    def decorator(function: View) -> View:
        @wraps(function)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.user.is_authenticated:
                return function(request, *args, **kwargs)
            return require_wechat_login(request, scope, account)

        return wrapped  # type: ignore[return-value]

    return decorator if view is None else decorator(view)


class WeChatLoginRequiredMixin:
    """``@wechat_login_required`` for class-based views; set ``wechat_scope`` and
    ``wechat_account`` on the class."""

    wechat_scope = "snsapi_base"
    wechat_account = DEFAULT_ACCOUNT

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return require_wechat_login(request, self.wechat_scope, self.wechat_account)
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response
