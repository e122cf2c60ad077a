"""The one place that knows where Django's Tasks framework lives.

Django 6.0 ships it as :mod:`django.tasks`; on Django 5.2 the ``django-tasks`` backport
(``pip install django-wechat-oa[tasks]``, import name ``django_tasks``) provides the same
API. Every other module of django_wechat defines and enqueues its tasks through the names
here and knows nothing of the backend that runs them (``settings.TASKS``).

Without either, :func:`task` still decorates (the module defining tasks imports), but
enqueueing raises :class:`~django_wechat.exceptions.ImproperlyConfigured` saying what to
install; nothing else of django_wechat needs the framework.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import Any

from ._i18n import gettext as _
from .exceptions import ImproperlyConfigured

__all__ = ["api_name", "available", "backend", "runs_in_request", "task"]


def _find() -> ModuleType | None:
    for name in ("django.tasks", "django_tasks"):
        try:
            return import_module(name)
        except ImportError:
            continue
    return None


_API = _find()


def available() -> bool:
    """True when Django's Tasks framework (built in or the backport) can be imported."""
    return _API is not None


def api_name() -> str:
    """``"django.tasks"``, ``"django_tasks"`` or ``""`` (neither installed)."""
    return _API.__name__ if _API is not None else ""


def _missing() -> ImproperlyConfigured:
    return ImproperlyConfigured(
        _(
            "django_wechat's background work (defer=True handlers, broadcasts, scheduled "
            "syncs) needs Django's Tasks framework: Django 6.0+, or on Django 5.2 the "
            "backport (pip install 'django-wechat-oa[tasks]', and 'django_tasks' in "
            "INSTALLED_APPS)."
        )
    )


class _Unavailable:
    """Stands for a task where the framework is missing: callable, never enqueued."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.name = getattr(func, "__name__", repr(func))

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def using(self, **kwargs: Any) -> _Unavailable:
        return self

    def enqueue(self, *args: Any, **kwargs: Any) -> Any:
        raise _missing()


def task(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Django's ``@task(**options)``, from wherever it lives (see the module docstring)."""

    def decorator(func: Callable[..., Any]) -> Any:
        if _API is None:
            return _Unavailable(func)
        return _API.task(**options)(func)

    return decorator


def backend(alias: str = "default") -> Any:
    """The configured task backend ``alias`` (``settings.TASKS``)."""
    if _API is None:
        raise _missing()
    return _API.task_backends[alias]


def runs_in_request(alias: str = "default") -> bool:
    """True when backend ``alias`` runs a task inside ``enqueue()`` (Django's
    ImmediateBackend, the default when ``settings.TASKS`` is unset)."""
    try:
        configured = backend(alias)
    except Exception:  # no framework, or a broken TASKS: not "immediate"
        return False
    return type(configured).__name__ == "ImmediateBackend"
