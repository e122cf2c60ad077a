"""The login URLs, included by ``django_wechat.urls`` under ``oauth/`` (namespace ``wechat``).

``wechat:oauth_login`` (``oauth/login/`` for the default account, or
``oauth/login/<account>/``) and ``wechat:oauth_callback`` (``oauth/callback/<account>/``,
the redirect_uri WeChat comes back to).
"""

from __future__ import annotations

from django.urls import path

from .views import OAuthCallbackView, OAuthLoginView

urlpatterns = [
    path("login/", OAuthLoginView.as_view(), name="oauth_login"),
    path("login/<str:account>/", OAuthLoginView.as_view(), name="oauth_login"),
    path("callback/<str:account>/", OAuthCallbackView.as_view(), name="oauth_callback"),
]
