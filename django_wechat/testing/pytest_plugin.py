"""pytest fixtures for testing against the WeChat emulator.

Registered through the ``pytest11`` entry point, so installing django_wechat is enough:

``wechat_emulator``
    A fresh :class:`~django_wechat.testing.emulator.WeChatEmulator` for one test, with
    ``settings.WECHAT`` pointed at it (through pytest-django's ``settings`` fixture).
``wechat_emulator_session``
    One emulator for the whole session, reset before each test that uses it, with
    ``settings.WECHAT`` pointed at it for that test. Cheaper when many tests use it.

Before and after each test both delete django_wechat's own keys from the cache named by
``WECHAT["CACHE"]`` (tokens, tickets, callback de-duplication; see
:func:`~django_wechat.testing.cache.clear_wechat_cache`), so no access_token
from an earlier test (and an earlier emulator) leaks into the test. Other keys in that
cache are left alone: it may be a Redis shared with other things.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def _point_settings_at(emulator: WeChatEmulator, settings: Any) -> Callable[[], object]:
    """Point ``settings.WECHAT`` at the emulator, clear django_wechat's keys from its
    cache, and return the function that clears them again after the test."""
    settings.WECHAT = emulator.settings_override()
    from ..conf import get_accounts, wechat_settings
    from .cache import clear_wechat_cache

    # Only django_wechat's keys: the cache may be a Redis shared with other things. The
    # accounts and alias are taken now: the test may change the settings.
    accounts, alias = list(get_accounts().values()), wechat_settings.CACHE
    clear_wechat_cache(accounts, alias=alias)
    return lambda: clear_wechat_cache(accounts, alias=alias)


@pytest.fixture
def wechat_emulator(request: pytest.FixtureRequest) -> Iterator[WeChatEmulator]:
    """A WeChat emulator on a free loopback port, with ``settings.WECHAT`` pointed at it."""
    settings = _django_settings(request)
    from .emulator import WeChatEmulator

    with WeChatEmulator() as emulator:
        clear_again = _point_settings_at(emulator, settings)
        yield emulator
        clear_again()


@pytest.fixture(scope="session")
def _wechat_emulator_shared() -> Iterator[WeChatEmulator]:
    from .emulator import WeChatEmulator

    with WeChatEmulator() as emulator:
        yield emulator


@pytest.fixture
def wechat_emulator_session(request: pytest.FixtureRequest) -> Iterator[WeChatEmulator]:
    """The session's shared WeChat emulator, reset, with ``settings.WECHAT`` pointed at it."""
    settings = _django_settings(request)
    emulator: WeChatEmulator = request.getfixturevalue("_wechat_emulator_shared")
    emulator.reset()
    clear_again = _point_settings_at(emulator, settings)
    yield emulator
    clear_again()
