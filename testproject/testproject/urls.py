from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

urlpatterns = [
    path("", TemplateView.as_view(template_name="demo/index.html"), name="index"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # the language switch
    path("wechat/", include("django_wechat.urls")),
    path("", include("demo.urls")),
]
