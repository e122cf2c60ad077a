"""django_wechat's admin pages, one module per area (imported for their registrations)."""

from __future__ import annotations

from . import users

__all__ = ["users"]
