"""Create the demo's local superuser and its draft menu (once) and say how to log in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from django_wechat.models import Menu
from django_wechat.sync.menus import import_menu

from ...menu import DEFAULT_MENU

USERNAME = "admin"
PASSWORD = "admin"


class Command(BaseCommand):
    help = "Create the demo superuser admin/admin if it does not exist, and print how to log in."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        if not user_model.objects.filter(username=USERNAME).exists():
            user_model.objects.create_superuser(USERNAME, "admin@example.invalid", PASSWORD)
            self.stdout.write(self.style.SUCCESS(f"Created the demo superuser {USERNAME!r}."))
        if not Menu.objects.exists():
            import_menu("default", DEFAULT_MENU, title="Demo menu")
            self.stdout.write(self.style.SUCCESS("Created a draft menu to edit in the admin."))
        self.stdout.write(
            "\n  Demo site:  http://127.0.0.1:8000/\n"
            "  Admin:      http://127.0.0.1:8000/admin/"
            f"  (user {USERNAME!r}, password {PASSWORD!r})\n"
            "  Menu editor: http://127.0.0.1:8000/admin/django_wechat/menu/\n"
        )
