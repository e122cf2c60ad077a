"""System checks for ``settings.WECHAT`` (ids ``wechat.E001`` ... and ``wechat.W001`` ...).

The rules themselves live in :func:`django_wechat.conf.validate`, shared with the code
that reads accounts at run time.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning
from django.utils.translation import gettext as _

from .conf import validate


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Turn every problem with ``settings.WECHAT`` into a check message."""
    return [
        (Warning if problem.warning else Error)(problem.msg, hint=problem.hint, id=problem.id)
        for problem in validate()
    ]


def check_oauth_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``WECHAT["OAUTH_ADAPTER"]`` must import, ``OAUTH_STATE_TIMEOUT`` be positive
    (**wechat.E020**)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    from .conf import DEFAULTS

    raw = getattr(settings, "WECHAT", None)
    if not isinstance(raw, dict):
        return []  # validate() reports it
    problems: list[CheckMessage] = []
    adapter = raw.get("OAUTH_ADAPTER", DEFAULTS["OAUTH_ADAPTER"])
    try:
        import_string(adapter)
    except (ImportError, TypeError, ValueError):
        problems.append(
            Error(
                _("WECHAT['OAUTH_ADAPTER'] is %(value)r, which cannot be imported.")
                % {"value": adapter},
                hint=_(
                    "Name a subclass of django_wechat.oauth.adapter.WeChatAdapter by its "
                    "dotted path, or leave the setting out."
                ),
                id="wechat.E020",
            )
        )
    timeout = raw.get("OAUTH_STATE_TIMEOUT", DEFAULTS["OAUTH_STATE_TIMEOUT"])
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        problems.append(
            Error(
                _(
                    "WECHAT['OAUTH_STATE_TIMEOUT'] must be a positive number of seconds, "
                    "not %(value)r."
                )
                % {"value": timeout},
                hint=_("Leave it out for the default (%(default)s).")
                % {"default": DEFAULTS["OAUTH_STATE_TIMEOUT"]},
                id="wechat.E020",
            )
        )
    return problems
