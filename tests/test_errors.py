"""Every error django_wechat raises is a WeChatError: a failed cache, message fields a
handler reads, the crypto's arguments."""

from __future__ import annotations

from typing import Any

import pytest
import redis.exceptions

from django_wechat import get_client
from django_wechat.exceptions import CacheUnavailable, WeChatError
from django_wechat.testing.emulator import WeChatEmulator
from tests.redis_support import RedisServer

# --- the cache -------------------------------------------------------------------------


def _use_redis(settings: Any, server: RedisServer, alias: str = "wechat-redis") -> str:
    settings.CACHES = {
        **settings.CACHES,
        alias: {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    settings.WECHAT = {**settings.WECHAT, "CACHE": alias}
    return alias


def _assert_cache_unavailable(excinfo: pytest.ExceptionInfo[Any], alias: str) -> None:
    exc = excinfo.value
    assert isinstance(exc, WeChatError)
    assert isinstance(exc, ConnectionError)  # what a caller catching network errors catches
    assert exc.alias == alias
    assert repr(alias) in str(exc)
    assert isinstance(exc.__cause__, redis.exceptions.ConnectionError)


@pytest.mark.redis
def test_a_stopped_redis_raises_our_cache_error_from_the_client(
    wechat_emulator: WeChatEmulator, own_redis: RedisServer, settings: Any
) -> None:
    alias = _use_redis(settings, own_redis)
    client = get_client()
    token = client.access_token  # the cache works: fetched and stored
    assert client.get_ticket("jsapi").value
    assert client.access_token == token
    own_redis.stop()
    calls: list[Any] = [
        lambda: client.access_token,
        lambda: client.menu.get(),
        lambda: client.get_access_token(refresh=True),
        lambda: client.get_ticket("jsapi", refresh=True),
        lambda: client.jsapi.get_ticket(),
    ]
    for call in calls:
        with pytest.raises(CacheUnavailable) as excinfo:
            call()
        _assert_cache_unavailable(excinfo, alias)
    # Nothing reached WeChat without a token from the cache.
    assert wechat_emulator.count("cgi-bin/menu/get") == 0
    assert settings.WECHAT["ACCOUNTS"]["default"]["APP_SECRET"] not in str(excinfo.value)
