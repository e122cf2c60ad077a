"""Receivers django_wechat connects to its own signals; ``apps.ready()`` imports this
package, and importing a module connects its receivers."""

from __future__ import annotations

from . import followers

__all__ = ["followers"]
