"""The emulator fixtures forget django_wechat's cached tokens, failures and callback
de-duplication between tests, and leave every other key in the cache alone (it may be a
Redis shared with the rest of a project)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from django_wechat import handler
from django_wechat.cache import claim_prefix, credential_key, credential_keys
from django_wechat.client import get_client
from django_wechat.conf import get_account, get_accounts
from django_wechat.exceptions import APIError
from django_wechat.handlers import Registry
from django_wechat.testing import callback_request, clear_wechat_cache, read_reply
from django_wechat.testing.emulator import WeChatEmulator

#: Keys of the rest of the project, some of them looking a lot like ours.
THEIRS = {
    "sessions:abc123": {"user": 42},
    "wechat:callbacks-by-day": 7,
    "django_wechat_backup": "keep",
    "wechat:callback": "not a prefix match",
}


@pytest.fixture
def runs(handlers: Registry) -> list[str]:
    """A text handler that records each run."""
    seen: list[str] = []

    @handler(type="text")
    def count(message: Any, **kwargs: Any) -> str:
        seen.append(message.content)
        return f"run {len(seen)}"

    return seen


def leave_state_behind(emulator: WeChatEmulator, runs: list[str]) -> Any:
    """What an earlier test leaves in the cache: a token, a remembered failure, a ticket,
    a handled callback. Returns the callback request, to be replayed."""
    with emulator.override_settings():
        client = get_client()
        assert client.access_token
        assert client.get_ticket("jsapi").value
        emulator.fail("errcode", api="cgi-bin/token", errcode=40164)  # IP not whitelisted
        with pytest.raises(APIError):
            get_client("compatible").access_token  # noqa: B018
        message = callback_request(text="早上好", MsgId="7054768590064713728")
        assert read_reply(message.send(Client())).content == "run 1"
        message.send(Client())  # WeChat's retry: answered from the cache
    assert runs == ["早上好"]
    return message


def assert_forgotten(
    cache_alias: str, emulator: WeChatEmulator, runs: list[str], message: Any
) -> None:
    cache = caches[cache_alias]
    for key, value in THEIRS.items():
        assert cache.get(key) == value, key
    for account in get_accounts().values():
        assert cache.get_many(credential_keys(account)) == {}
    # The new emulator's token is fetched, not the old emulator's taken from the cache,
    # and the remembered failure is gone.
    assert get_client().access_token
    assert get_client("compatible").access_token
    assert emulator.count("cgi-bin/token") == 2
    # The same message in a new test is a new message, not a retry.
    assert read_reply(message.send(Client())).content == "run 2"
    assert runs == ["早上好", "早上好"]


@pytest.mark.parametrize("fixture", ["wechat_emulator", "wechat_emulator_session"])
def test_on_local_memory_only_our_keys_go(
    request: pytest.FixtureRequest, runs: list[str], fixture: str
) -> None:
    cache = caches["default"]
    cache.set_many(THEIRS)
    with WeChatEmulator() as earlier:
        message = leave_state_behind(earlier, runs)
    emulator: WeChatEmulator = request.getfixturevalue(fixture)  # the fixture clears now
    assert_forgotten("default", emulator, runs, message)
    cache.delete_many(list(THEIRS))


def test_on_a_shared_redis_only_our_keys_go(
    request: pytest.FixtureRequest, redis_cache: str, runs: list[str]
) -> None:
    cache = caches[redis_cache]
    cache.set_many(THEIRS)
    with WeChatEmulator() as earlier:
        message = leave_state_behind(earlier, runs)
    dedup = cache.client.get_client().keys("*wechat:callback:*")  # type: ignore[attr-defined]
    assert dedup, "the callback left no de-duplication key to clear"
    emulator: WeChatEmulator = request.getfixturevalue("wechat_emulator")
    assert cache.client.get_client().keys("*wechat:callback:*") == []  # type: ignore[attr-defined]
    assert_forgotten(redis_cache, emulator, runs, message)


def test_on_djangos_own_redis_backend(redis_server: str, settings: Any) -> None:
    """Another site on the same Redis database (another KEY_PREFIX) keeps its keys, ours
    included."""
    settings.CACHES = {
        **settings.CACHES,
        "ours": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server,
            "KEY_PREFIX": f"ours-{time.monotonic_ns()}",
        },
        "neighbour": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server,
            "KEY_PREFIX": f"neighbour-{time.monotonic_ns()}",
        },
    }
    account = get_account()
    ours, neighbour = caches["ours"], caches["neighbour"]
    token_key = credential_key(account, "access_token")
    dedup = claim_prefix(account) + "0123456789abcdef"
    for cache in (ours, neighbour):
        cache.set_many({**THEIRS, token_key: {"value": "t", "expires_at": 0}, dedup: "reply:x"})
    assert clear_wechat_cache(alias="ours") is True
    assert ours.get_many([token_key, dedup]) == {}
    assert ours.get_many(list(THEIRS)) == THEIRS
    assert neighbour.get(token_key) == {"value": "t", "expires_at": 0}
    assert neighbour.get(dedup) == "reply:x"
    for cache in (ours, neighbour):
        cache.clear()


def test_a_cache_that_cannot_list_keys_loses_the_tokens_and_says_so(
    settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "files": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        },
    }
    cache = caches["files"]
    account = get_account()
    dedup = claim_prefix(account) + "0123456789abcdef"
    cache.set_many({**THEIRS, credential_key(account, "ticket:jsapi"): {"value": "t"}, dedup: "r"})
    with caplog.at_level(logging.WARNING, logger="django_wechat.testing"):
        assert clear_wechat_cache([account], alias="files") is False
    assert cache.get(credential_key(account, "ticket:jsapi")) is None
    assert cache.get_many(list(THEIRS)) == THEIRS
    assert cache.get(dedup) == "r"  # left to expire
    assert "FileBasedCache cannot find keys by prefix" in caplog.text


def test_only_the_given_accounts_are_cleared(settings: Any) -> None:
    cache = caches["default"]
    one, other = get_account("default"), get_account("plain")
    keys = {credential_key(a, "access_token"): "t" for a in (one, other)}
    dedups = {claim_prefix(a) + "ff": "r" for a in (one, other)}
    cache.set_many({**keys, **dedups})
    clear_wechat_cache([one])
    assert cache.get(credential_key(one, "access_token")) is None
    assert cache.get(claim_prefix(one) + "ff") is None
    assert cache.get(credential_key(other, "access_token")) == "t"
    assert cache.get(claim_prefix(other) + "ff") == "r"
    clear_wechat_cache([other])


def test_cache_keys_cover_every_key_the_token_store_writes() -> None:
    account = get_account()
    listed = set(credential_keys(account))
    for kind in ("access_token", "ticket:jsapi", "ticket:wx_card"):
        key = credential_key(account, kind)
        assert {key, key + ":lock", key + ":failed"} <= listed
    # The secret never appears in a key.
    assert not any(account.app_secret in key for key in listed)


@pytest.mark.parametrize("cache_alias", ["default", "redis"])
def test_plain_mode_signatures_are_forgotten_too(
    runs: list[str], cache_alias: str, request: pytest.FixtureRequest
) -> None:
    # A test that pins timestamp and nonce sends the same signature in every run; what the
    # last run bound to it must not refuse this one's body.
    if cache_alias == "redis":
        request.getfixturevalue("redis_cache")
    pinned = {"account": "plain", "timestamp": int(time.time()), "nonce": "42"}
    assert callback_request(text="first", **pinned).send(Client()).status_code == 200
    assert clear_wechat_cache() is True
    response = callback_request(text="second", **pinned).send(Client())
    assert response.status_code == 200
    assert read_reply(response).content is not None
    assert runs == ["first", "second"]
