"""django_wechat: WeChat Official Accounts for Django."""

from __future__ import annotations

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]

from .dispatch import handler  # noqa: E402

__all__ += ["handler"]
