"""System checks for ``settings.WECHAT`` (ids ``wechat.E001`` ... and ``wechat.W001`` ...).

The rules themselves live in :func:`django_wechat.conf.validate`, shared with the code
that reads accounts at run time.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning

from .conf import validate


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Turn every problem with ``settings.WECHAT`` into a check message."""
    return [
        (Warning if problem.warning else Error)(problem.msg, hint=problem.hint, id=problem.id)
        for problem in validate()
    ]
