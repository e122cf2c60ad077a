"""django_wechat's URLs, all in the ``wechat`` namespace: the hub of every feature's URLs.

Include it under any prefix::

    urlpatterns = [path("wechat/", include("django_wechat.urls"))]

gives ``https://example.com/wechat/callback/default/`` for the account named ``default``
(the URL to enter in the WeChat console's 服务器配置), reversed as
``reverse("wechat:callback", kwargs={"account": "default"})``.

A feature with URLs of its own adds one line here, ``path("<feature>/",
include("django_wechat.<feature>.urls"))``, its module setting no ``app_name`` so that
its names are ``wechat:`` names. The callback, one URL, is spelled out: an ``include()``
would cost every callback a nested resolver (a few µs).
"""

from __future__ import annotations

from django.urls import include, path

from .views import CallbackView

app_name = "wechat"

urlpatterns = [
    path("callback/<str:account>/", CallbackView.as_view(), name="callback"),
    path("oauth/", include("django_wechat.oauth.urls")),
]
