"""Pages behind ``@wechat_login_required`` and the mixin, for tests/test_oauth_pages.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import View

from django_wechat.oauth.decorators import WeChatLoginRequiredMixin, wechat_login_required


@wechat_login_required
def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"hello {request.user}")


@wechat_login_required(scope="snsapi_userinfo", account="plain")
def profile(request: HttpRequest) -> HttpResponse:
    return HttpResponse("profile")


class MemberPage(WeChatLoginRequiredMixin, View):
    wechat_scope = "snsapi_userinfo"

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("member")


urlpatterns = [
    path("wechat/", include("django_wechat.urls")),
    path("plain/", plain),
    path("profile/", profile),
    path("member/", MemberPage.as_view()),
]
