"""pytest fixtures for testing against the WeChat emulator.

Registered through the ``pytest11`` entry point, so installing django_wechat is enough:

``wechat_emulator``
    A fresh :class:`~django_wechat.testing.emulator.WeChatEmulator` for one test, with
    ``settings.WECHAT`` pointed at it (through pytest-django's ``settings`` fixture).
``wechat_emulator_session``
    One emulator for the whole session, reset before each test that uses it, with
    ``settings.WECHAT`` pointed at it for that test. Cheaper when many tests use it.

Both clear the cache named by ``WECHAT["CACHE"]`` first, so no access_token from an
earlier test (and an earlier emulator) leaks into the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .emulator import WeChatEmulator


def _django_settings(request: pytest.FixtureRequest) -> Any:
    """pytest-django's ``settings`` fixture, or a clear error when it is missing."""
    try:
        return request.getfixturevalue("settings")
    except pytest.FixtureLookupError:
        raise pytest.UsageError(
            "The wechat_emulator fixtures need pytest-django (pip install pytest-django) "
            "and DJANGO_SETTINGS_MODULE pointing at settings with a WECHAT setting."
        ) from None


def _point_settings_at(emulator: WeChatEmulator, settings: Any) -> None:
    settings.WECHAT = emulator.settings_override()
    from django.core.cache import caches

    from ..conf import wechat_settings

    caches[wechat_settings.CACHE].clear()


@pytest.fixture
def wechat_emulator(request: pytest.FixtureRequest) -> Iterator[WeChatEmulator]:
    """A WeChat emulator on a free loopback port, with ``settings.WECHAT`` pointed at it."""
    settings = _django_settings(request)
    from .emulator import WeChatEmulator

    with WeChatEmulator() as emulator:
        _point_settings_at(emulator, settings)
        yield emulator


@pytest.fixture(scope="session")
def _wechat_emulator_shared() -> Iterator[WeChatEmulator]:
    from .emulator import WeChatEmulator

    with WeChatEmulator() as emulator:
        yield emulator


@pytest.fixture
def wechat_emulator_session(request: pytest.FixtureRequest) -> WeChatEmulator:
    """The session's shared WeChat emulator, reset, with ``settings.WECHAT`` pointed at it."""
    settings = _django_settings(request)
    emulator: WeChatEmulator = request.getfixturevalue("_wechat_emulator_shared")
    emulator.reset()
    _point_settings_at(emulator, settings)
    return emulator
