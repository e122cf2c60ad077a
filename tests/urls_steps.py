"""A site whose callback is a CallbackView subclass that overrides one step."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import include, path

from django_wechat.conf import Account
from django_wechat.messages import BaseMessage
from django_wechat.replies import TextReply
from django_wechat.views import CallbackView

#: What the maintenance callback answers to every text message.
NOTICE = "We are down for maintenance; back soon."


class MaintenanceCallbackView(CallbackView):
    """Answers every text message with a notice, without running the handlers."""

    def answer(self, request: HttpRequest, account: Account, message: BaseMessage) -> str:
        if message.type == "text":
            return TextReply(message, content=NOTICE).render()
        return super().answer(request, account, message)


urlpatterns = [
    path("maintenance/<str:account>/", MaintenanceCallbackView.as_view(), name="maintenance"),
    path("wechat/", include("django_wechat.urls")),
]
