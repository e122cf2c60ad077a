"""The callback, an empty view beside it (the baseline), and the benchmark's handler."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from django_wechat import handler


@csrf_exempt
def empty(request: HttpRequest, account: str) -> HttpResponse:
    """The baseline: what Django costs for a POST with no work in the view."""
    return HttpResponse(b"success", content_type="text/plain")


@handler(type="text")
def echo(message: Any, **kwargs: Any) -> str:
    """The benchmark's handler: a text reply."""
    return "echo: " + message.content


urlpatterns = [
    path("wechat/", include("django_wechat.urls")),
    # At the callback's depth (an include and a converter), so URL routing costs both
    # the same and the comparison shows the view's own work.
    path("bench/", include([path("empty/<str:account>/", empty)])),
]
