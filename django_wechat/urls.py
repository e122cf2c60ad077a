"""The callback URL: include it under any prefix.

::

    urlpatterns = [path("wechat/", include("django_wechat.urls"))]

gives ``https://example.com/wechat/callback/default/`` for the account named ``default``
(the URL to enter in the WeChat console's 服务器配置), reversed as
``reverse("wechat:callback", kwargs={"account": "default"})``.
"""

from __future__ import annotations

from django.urls import include, path

from .views import CallbackView

app_name = "wechat"

urlpatterns = [
    path("callback/<str:account>/", CallbackView.as_view(), name="callback"),
    path("oauth/", include("django_wechat.oauth.urls")),
]
