"""The callback and its two baselines served beside it, and the benchmark's handler.

- ``empty``: an empty Django view (what Django itself costs for the POST);
- ``glue``: what a wechatpy user writes by hand: a Django view calling wechatpy 1.8.18's
  ``check_signature``, ``WeChatCrypto``, ``parse_message`` and ``create_reply``, with no
  de-duplication of WeChat's retries at all.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from django_wechat import handler
from django_wechat.conf import get_account


@csrf_exempt
def empty(request: HttpRequest, account: str) -> HttpResponse:
    """The baseline: what Django costs for a POST with no work in the view."""
    return HttpResponse(b"success", content_type="text/plain")


@csrf_exempt
def glue(request: HttpRequest, account: str) -> HttpResponse:
    """The hand-written wechatpy glue, as its docs show it, answering a text message."""
    settings = get_account(account)  # the credentials, as the user's settings hold them
    signature = request.GET.get("signature", "")
    timestamp = request.GET.get("timestamp", "")
    nonce = request.GET.get("nonce", "")
    try:
        check_signature(settings.token, signature, timestamp, nonce)
    except InvalidSignatureException:
        return HttpResponse(status=403)
    crypto = WeChatCrypto(settings.token, settings.encoding_aes_key, settings.app_id)
    try:
        xml = crypto.decrypt_message(
            request.body, request.GET.get("msg_signature", ""), timestamp, nonce
        )
    except (InvalidSignatureException, InvalidAppIdException):
        return HttpResponse(status=400)
    message = parse_message(xml)
    if message.type != "text":
        return HttpResponse(b"success", content_type="text/plain")
    reply = create_reply("echo: " + message.content, message)
    answer = crypto.encrypt_message(reply.render(), nonce, timestamp)
    return HttpResponse(answer.encode(), content_type="application/xml")


@handler(type="text")
def echo(message: Any, **kwargs: Any) -> str:
    """The benchmark's handler: a text reply."""
    return "echo: " + message.content


urlpatterns = [
    path("wechat/", include("django_wechat.urls")),
    # At the callback's depth (an include and a converter), so URL routing costs the
    # three alike and the comparison shows the views' own work.
    path(
        "bench/",
        include([path("empty/<str:account>/", empty), path("glue/<str:account>/", glue)]),
    ),
]
