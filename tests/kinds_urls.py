"""The suite's URLs plus what a mini program calls after its login (tests/test_other_logins.py)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from tests.oauth_urls import urlpatterns as oauth_patterns


def me(request: HttpRequest) -> JsonResponse:
    """An authenticated JSON call: who the session belongs to (GET or POST)."""
    if not request.user.is_authenticated:
        return JsonResponse({"ok": False}, status=401)
    openids = [w.openid for w in request.user.wechat_users.order_by("pk")]  # type: ignore[union-attr]
    return JsonResponse({"ok": True, "username": request.user.get_username(), "openids": openids})


urlpatterns = [*oauth_patterns, path("api/me/", me)]
