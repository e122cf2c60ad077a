"""The login URLs, included by ``django_wechat.urls`` under ``oauth/`` (namespace ``wechat``).

``wechat:oauth_login`` (``oauth/login/`` for the default account, or
``oauth/login/<account>/``) and ``wechat:oauth_callback`` (``oauth/callback/<account>/``,
the redirect_uri WeChat comes back to); ``wechat:miniprogram_login``
(``oauth/miniprogram/login/<account>/``) and ``wechat:miniprogram_phone_number``
(``oauth/miniprogram/phone/<account>/``).
"""

from __future__ import annotations

from django.urls import path

from .miniprogram import MiniProgramLoginView, MiniProgramPhoneNumberView
from .views import OAuthCallbackView, OAuthLoginView

urlpatterns = [
    path("login/", OAuthLoginView.as_view(), name="oauth_login"),
    path("login/<str:account>/", OAuthLoginView.as_view(), name="oauth_login"),
    path("callback/<str:account>/", OAuthCallbackView.as_view(), name="oauth_callback"),
    # The mini-program login (a mini-program account's name in the URL).
    path(
        "miniprogram/login/<str:account>/",
        MiniProgramLoginView.as_view(),
        name="miniprogram_login",
    ),
    path(
        "miniprogram/phone/<str:account>/",
        MiniProgramPhoneNumberView.as_view(),
        name="miniprogram_phone_number",
    ),
]
