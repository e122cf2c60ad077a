from __future__ import annotations

from django.urls import path

from . import views

app_name = "demo"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/menu/", views.push_menu, name="push_menu"),
    path("jssdk/", views.jssdk, name="jssdk"),
    path("login/", views.wechat_login, name="login"),
    path("desktop/", views.desktop_login, name="desktop"),
    path("api/me/", views.api_me, name="api_me"),
    path("logout/", views.wechat_logout, name="logout"),
    path("me/", views.me, name="me"),
    path("slow/", views.slow, name="slow"),
]
