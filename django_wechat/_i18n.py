"""gettext that also works where Django is not set up (the protocol core runs without it)."""

from __future__ import annotations

from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.translation import gettext as _django_gettext


def gettext(message: str) -> str:
    """Translate ``message``; return it untranslated when Django's settings or apps are not ready.

    The protocol modules (crypto, xml, messages, replies) are usable from plain Python,
    and an error raised there must carry its message rather than a settings error.
    """
    try:
        return _django_gettext(message)
    except (ImproperlyConfigured, AppRegistryNotReady):
        return message
