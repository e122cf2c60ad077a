"""``SessionHeaderMiddleware``: a mini program's session sent as a header.

A mini program's ``wx.request`` keeps no cookies; after ``wechat:miniprogram_login`` it
may send the session it got either as ``Cookie: sessionid=<value>`` (no middleware
needed) or as ``X-WeChat-Session: <value>`` with this middleware placed before Django's
``SessionMiddleware``::

    MIDDLEWARE = [
        "django_wechat.oauth.middleware.SessionHeaderMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        ...
    ]

The header stands in for the session cookie when the request has none. Such a request
is exempt from CSRF checks, as an API token's is: a browser never sends a custom header
across sites without CORS's consent, so the header proves the request was not forged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

__all__ = ["SESSION_HEADER", "SessionHeaderMiddleware"]

#: The header a mini program sends its session in.
SESSION_HEADER = "X-WeChat-Session"


class SessionHeaderMiddleware:
    """Read the session from :data:`SESSION_HEADER` when no session cookie came."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        value = request.headers.get(SESSION_HEADER, "")
        if value and settings.SESSION_COOKIE_NAME not in request.COOKIES:
            request.COOKIES[settings.SESSION_COOKIE_NAME] = value
            # What Django's test client and DRF's token authentication set.
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return self.get_response(request)
