"""django_wechat's URLs, one include per feature, all in the ``wechat`` namespace.

Include it under any prefix::

    urlpatterns = [path("wechat/", include("django_wechat.urls"))]

gives ``https://example.com/wechat/callback/default/`` for the account named ``default``
(the URL to enter in the WeChat console's 服务器配置), reversed as
``reverse("wechat:callback", kwargs={"account": "default"})``.

Each feature's patterns set no ``app_name`` of their own: their names are ``wechat:``
names.
"""

from __future__ import annotations

from django.urls import include, path

from .views import CallbackView

app_name = "wechat"

#: The callback of each account, under ``callback/``.
callback_patterns = [
    path("<str:account>/", CallbackView.as_view(), name="callback"),
]

urlpatterns = [
    path("callback/", include(callback_patterns)),
]
