"""Create the demo's local superuser (once) and say how to log in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "admin"
PASSWORD = "admin"


class Command(BaseCommand):
    help = "Create the demo superuser admin/admin if it does not exist, and print how to log in."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        if not user_model.objects.filter(username=USERNAME).exists():
            user_model.objects.create_superuser(USERNAME, "admin@example.invalid", PASSWORD)
            self.stdout.write(self.style.SUCCESS(f"Created the demo superuser {USERNAME!r}."))
        self.stdout.write(
            "\n  Demo site:  http://127.0.0.1:8000/\n"
            "  Admin:      http://127.0.0.1:8000/admin/"
            f"  (user {USERNAME!r}, password {PASSWORD!r})\n"
        )
