"""The access_token and tickets, shared through Django's cache by every process.

The fleet tests start real processes (spawn) that share a real redis-server through
django-redis and call the emulator over HTTP.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from typing import Any

import pytest
import requests
from django.core.cache import caches

from django_wechat import get_client
from django_wechat.cache import credential_key
from django_wechat.client import RetryPolicy, TokenPolicy, WeChatClient
from django_wechat.client.tokens import cache_ttl
from django_wechat.conf import get_account
from django_wechat.exceptions import InvalidCredential, TokenUnavailable
from django_wechat.testing.emulator import WeChatEmulator
from tests import client_workers
from tests.client_support import with_account
from tests.fleet import run_fleet
from tests.test_client_base import assert_no_secrets

TOKEN = "cgi-bin/token"


def test_token_is_fetched_once_and_then_read_from_the_cache(
    wechat_emulator: WeChatEmulator,
) -> None:
    client = get_client()
    first = client.access_token
    assert client.access_token == first
    assert get_client().access_token == first
    assert wechat_emulator.count(TOKEN) == 1


def test_get_client_is_one_per_account_and_follows_settings(
    wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    client = get_client()
    assert get_client("default") is client
    assert get_client("plain") is not client
    assert client.api_base_url == wechat_emulator.url
    # The refresh lock outlives the slowest fetch the timeout allows.
    assert client.token_policy.lock_ttl >= client.retry.longest(client.timeout)
    assert client.token_policy.wait > client.token_policy.lock_ttl
    settings.WECHAT = {**settings.WECHAT, "TIMEOUT": 1.5}
    moved = get_client()
    assert moved is not client
    assert moved.timeout == 1.5


class RecordingSession(requests.Session):
    """A real session that notes the timeout of each request."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[Any] = []

    def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.timeouts.append(kwargs.get("timeout"))
        return super().request(*args, **kwargs)


@pytest.mark.parametrize(
    ("timeout", "policy"),
    [
        (5.0, RetryPolicy()),
        (10.0, RetryPolicy(attempts=4, backoff=0.5, backoff_max=5.0)),
        (1.0, RetryPolicy(attempts=1)),
    ],
)
def test_the_lock_outlives_the_slowest_fetch(
    wechat_emulator: WeChatEmulator, timeout: float, policy: RetryPolicy
) -> None:
    session = RecordingSession()
    client = WeChatClient("default", timeout=timeout, retry=policy, session=session)
    client.access_token  # noqa: B018
    # requests bounds the connection and the answer separately: one attempt can take
    # connect + read; then come the pauses (each at most backoff_max) between attempts.
    ((connect, read),) = session.timeouts
    slowest = policy.attempts * (connect + read) + (policy.attempts - 1) * policy.backoff_max
    assert policy.longest(timeout) == slowest
    assert client.token_policy.lock_ttl >= slowest
    assert client.token_policy.wait > client.token_policy.lock_ttl
    # The defaults: 3 attempts of 5 + 5 s, two pauses of up to 2 s.
    assert RetryPolicy().longest(5.0) == 34.0


def test_token_is_stored_shorter_than_it_lives(wechat_emulator: WeChatEmulator) -> None:
    credential = get_client().get_access_token()
    assert 7100 < credential.remaining() <= 7200
    assert cache_ttl(7200) == 6600
    assert cache_ttl(300) == 240
    assert cache_ttl(100) == 50


def test_refresh_replaces_the_token(wechat_emulator: WeChatEmulator) -> None:
    client = get_client()
    first = client.access_token
    second = client.get_access_token(refresh=True).value
    assert second != first
    assert client.access_token == second
    assert wechat_emulator.count(TOKEN) == 2


def test_a_rotated_secret_starts_with_a_fresh_token(
    wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    account = get_account()
    old_key = credential_key(account, "access_token")
    get_client().access_token  # noqa: B018
    with_account(settings, APP_SECRET="rotated-secret")
    assert credential_key(get_account(), "access_token") != old_key
    assert "rotated-secret" not in credential_key(get_account(), "access_token")
    # The emulator knows the old secret only: the new client fetches and is refused.
    with pytest.raises(InvalidCredential) as excinfo:
        get_client().access_token  # noqa: B018
    assert excinfo.value.errcode == 40125
    assert "rotated-secret" not in str(excinfo.value)
    # What is kept of the answer is the status and the JSON, not the requests.Response
    # (whose URL would carry the secret).
    assert excinfo.value.response is not None
    assert excinfo.value.response.status_code == 200
    assert excinfo.value.response.json()["errcode"] == 40125
    assert_no_secrets(excinfo.value, "rotated-secret")


def test_stable_token_source(wechat_emulator: WeChatEmulator, settings: Any) -> None:
    with_account(settings, TOKEN_SOURCE="stable_token")
    client = get_client()
    token = client.access_token
    assert wechat_emulator.count("cgi-bin/stable_token") == 1
    assert wechat_emulator.count(TOKEN) == 0
    (call,) = wechat_emulator.calls("cgi-bin/stable_token")
    assert call.body["force_refresh"] is False
    assert client.get("cgi-bin/ticket/getticket", params={"type": "jsapi"})["ticket"]
    assert client.access_token == token


def token_from_elsewhere(account: Any) -> tuple[str, float]:
    """An ACCESS_TOKEN_FUNC: the token another service owns (here: fetched from the emulator)."""
    import requests
    from django.conf import settings

    answer = requests.get(
        f"{settings.WECHAT['API_BASE_URL']}/cgi-bin/token",
        params={
            "grant_type": "client_credential",
            "appid": account.app_id,
            "secret": account.app_secret,
        },
        timeout=5,
    ).json()
    token_from_elsewhere.calls += 1  # type: ignore[attr-defined]
    return answer["access_token"], time.time() + answer["expires_in"]


def test_access_token_func_owns_the_token(wechat_emulator: WeChatEmulator, settings: Any) -> None:
    token_from_elsewhere.calls = 0  # type: ignore[attr-defined]
    wechat = settings.WECHAT
    accounts = {**wechat["ACCOUNTS"]}
    accounts["default"] = {
        **accounts["default"],
        "ACCESS_TOKEN_FUNC": "tests.test_client_tokens.token_from_elsewhere",
    }
    settings.WECHAT = {**wechat, "ACCOUNTS": accounts}
    client = get_client()
    client.get("cgi-bin/ticket/getticket", params={"type": "jsapi"})
    client.get("cgi-bin/ticket/getticket", params={"type": "jsapi"})
    assert token_from_elsewhere.calls == 1  # type: ignore[attr-defined]
    # The other service refreshed (and WeChat dropped our copy): ask the func again.
    wechat_emulator.invalidate_tokens(client.account.app_id)
    client.get("cgi-bin/ticket/getticket", params={"type": "jsapi"})
    assert token_from_elsewhere.calls == 2  # type: ignore[attr-defined]
    # Every token came from the func, none from the client itself.
    assert wechat_emulator.count(TOKEN) == 2


def test_access_token_func_returning_garbage(
    wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    with_account(settings, ACCESS_TOKEN_FUNC="os.getcwd")
    with pytest.raises(TokenUnavailable, match=r"must return \(access_token, expires_at\)"):
        get_client().access_token  # noqa: B018
    with_account(settings, ACCESS_TOKEN_FUNC="tests.test_client_tokens.expired_token")
    with pytest.raises(TokenUnavailable, match="already expired"):
        get_client().access_token  # noqa: B018


def expired_token(account: Any) -> tuple[str, float]:
    return "abc", time.time() - 1


def getfunc_without_arguments() -> tuple[str, float]:
    """Like wechat-sdk's access_token_getfunc: no argument, (token, expires_at)."""
    return "token-from-a-getfunc", time.time() + 3600


def test_access_token_func_without_arguments(settings: Any) -> None:
    wechat = settings.WECHAT
    accounts = {**wechat["ACCOUNTS"]}
    accounts["default"] = {
        **accounts["default"],
        "ACCESS_TOKEN_FUNC": "tests.test_client_tokens.getfunc_without_arguments",
    }
    settings.WECHAT = {**wechat, "ACCOUNTS": accounts}
    caches["default"].clear()
    credential = get_client().get_access_token()
    assert credential.value == "token-from-a-getfunc"
    assert 3500 < credential.remaining() <= 3600


def test_tickets_are_shared_and_cached(wechat_emulator: WeChatEmulator) -> None:
    client = get_client()
    jsapi = client.jsapi.get_jsapi_ticket()
    card = client.jsapi.get_jsapi_card_ticket()
    assert jsapi != card
    assert client.jsapi.get_jsapi_ticket() == jsapi
    assert client.jsapi.get_ticket("wx_card")["ticket"] == card
    assert wechat_emulator.count("cgi-bin/ticket/getticket") == 2
    assert wechat_emulator.count(TOKEN) == 1


def test_a_stale_token_does_not_throw_away_a_newer_one(wechat_emulator: WeChatEmulator) -> None:
    """Compare, then delete: a call that failed with an old token keeps the new one."""
    client = get_client()
    current = client.access_token
    flight = client._token_flight()
    assert flight.get(stale="an-older-token-another-worker-used").value == current
    assert wechat_emulator.count(TOKEN) == 1
    assert flight.get(stale=current).value != current
    assert wechat_emulator.count(TOKEN) == 2


def test_token_policy_wait_must_outlive_the_lock() -> None:
    with pytest.raises(ValueError, match="longer than"):
        TokenPolicy(lock_ttl=10, wait=10)


def test_waiters_give_up_with_token_unavailable(wechat_emulator: WeChatEmulator) -> None:
    client = WeChatClient("default", token_policy=TokenPolicy(lock_ttl=5, wait=5.2))
    client.token_policy = TokenPolicy(lock_ttl=0.2, wait=0.3)
    flight = client._token_flight()
    # Another process holds the lock (for longer than we are willing to wait).
    assert caches["default"].add(flight.lock_key, "someone-else", timeout=30)
    started = time.monotonic()
    with pytest.raises(TokenUnavailable) as excinfo:
        client.access_token  # noqa: B018
    assert time.monotonic() - started < 2
    assert "wx2c2769f8efd9abc2" in str(excinfo.value)
    assert wechat_emulator.count(TOKEN) == 0


def test_lock_is_released_when_the_fetch_fails(wechat_emulator: WeChatEmulator) -> None:
    client = WeChatClient("default")
    wechat_emulator.fail("http500", api=TOKEN, times=3)
    with pytest.raises(Exception, match="HTTP 500"):
        client.access_token  # noqa: B018
    assert caches["default"].get(client._token_flight().lock_key) is None
    # cgi-bin/token is not repeated after a 5xx (WeChat may have issued a token behind
    # the gateway): each caller's fetch is one call.
    assert wechat_emulator.count(TOKEN) == 1
    for _ in range(2):
        with pytest.raises(Exception, match="HTTP 500"):
            client.access_token  # noqa: B018
    assert client.access_token
    assert wechat_emulator.count(TOKEN) == 4


# --- the fleet: processes sharing a real redis -------------------------------------


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.parametrize("strict", [False, True], ids=["overlap", "strict-rotation"])
def test_cold_start_of_8_processes_x_8_threads_fetches_once(
    redis_cache: str, wechat_emulator: WeChatEmulator, redis_server: str, strict: bool
) -> None:
    wechat_emulator.strict_token_rotation = strict
    prefix = caches[redis_cache].key_prefix
    result = run_fleet(
        "tests.client_workers.call_api",
        processes=8,
        threads=8,
        setup=client_workers.setup_client,
        setup_args=(redis_server, prefix, wechat_emulator.settings_override(), {}),
        call_seconds=60,
    )
    assert result.errors == []
    assert (result.ok, result.failed) == (64, 0)
    assert wechat_emulator.count(TOKEN) == 1
    calls = wechat_emulator.calls("cgi-bin/user/info")
    assert len(calls) == 64
    assert all(c.errcode == 0 for c in calls)


@pytest.mark.redis
@pytest.mark.slow
def test_a_lock_holder_that_dies_mid_fetch_blocks_no_longer_than_the_lock_ttl(
    redis_cache: str, wechat_emulator: WeChatEmulator, redis_server: str
) -> None:
    cache = caches[redis_cache]
    lock_ttl = 6.0  # longer than it takes to spawn the fleet, so that the fleet must wait
    policy = {"lock_ttl": lock_ttl, "wait": 30.0}
    # The first fetch is carried out, then its answer hangs for 60 s: the process that
    # made it is killed meanwhile.
    wechat_emulator.fail("lost_answer", api=TOKEN, delay=60)
    lock_key = credential_key(get_account(), "access_token") + ":lock"
    ctx = multiprocessing.get_context("spawn")
    doomed = ctx.Process(
        target=client_workers.fetch_token_then_die,
        args=(redis_server, cache.key_prefix, wechat_emulator.settings_override(), policy),
    )
    doomed.start()
    deadline = time.monotonic() + 60
    while cache.get(lock_key) is None:
        assert time.monotonic() < deadline, "the worker never took the lock"
        assert doomed.is_alive()
        time.sleep(0.01)
    locked_at = time.time()
    # Wait for its request to reach the emulator (and take the staged fault) before the
    # kill; else the fleet's fetch would get the 60 s hang instead. The emulator logs a
    # lost_answer call as soon as it has carried it out.
    while wechat_emulator.count(TOKEN) == 0:
        assert time.monotonic() < deadline, "the worker's fetch never reached the emulator"
        assert doomed.is_alive()
        time.sleep(0.01)
    assert doomed.pid is not None
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.join()
    # The rest of the fleet (4 processes x 4 threads) waits out the dead holder's lock.
    result = run_fleet(
        "tests.client_workers.call_api",
        processes=4,
        threads=4,
        setup=client_workers.setup_client,
        setup_args=(redis_server, cache.key_prefix, wechat_emulator.settings_override(), policy),
        call_seconds=30,
    )
    assert result.errors == []
    assert result.ok == 16
    # Nobody broke the lock early, and nobody waited much past its TTL.
    assert result.ended_at >= locked_at + lock_ttl - 0.5
    assert result.ended_at < max(result.started_at, locked_at + lock_ttl) + 5.0
    # One fetch from the fleet, after the dead holder's, whose answer never came.
    assert [c.fault for c in wechat_emulator.calls(TOKEN)] == ["lost_answer", None]
    assert sum(1 for c in wechat_emulator.calls("cgi-bin/user/info") if c.errcode == 0) == 16


@pytest.mark.redis
@pytest.mark.slow
def test_a_token_invalidated_upstream_under_load_is_replaced_once_for_the_fleet(
    redis_cache: str, wechat_emulator: WeChatEmulator, redis_server: str
) -> None:
    wechat_emulator.strict_token_rotation = True
    cache = caches[redis_cache]
    old = get_client().access_token  # cached in redis for the whole fleet
    wechat_emulator.invalidate_tokens(get_account().app_id)
    result = run_fleet(
        "tests.client_workers.call_api",
        processes=8,
        threads=8,
        setup=client_workers.setup_client,
        setup_args=(redis_server, cache.key_prefix, wechat_emulator.settings_override(), {}),
        call_seconds=60,
    )
    assert result.errors == []
    assert result.ok == 64
    # One fetch before, exactly one after: nobody threw away the new token.
    assert wechat_emulator.count(TOKEN) == 2
    calls = wechat_emulator.calls("cgi-bin/user/info")
    assert sum(1 for c in calls if c.errcode == 0) == 64
    assert all(c.errcode in (0, 40001) for c in calls)
    assert get_client().access_token != old


def test_a_refused_fetch_is_not_repeated_by_every_caller(
    wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    with_account(settings, APP_SECRET="a-wrong-secret")
    client = WeChatClient("default", token_policy=TokenPolicy(failure_ttl=1.0))
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.user.get("o-demo-follower-1")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 8
    assert all(isinstance(e, InvalidCredential) and e.errcode == 40125 for e in errors)
    assert all("a-wrong-secret" not in str(e) for e in errors)
    assert wechat_emulator.count(TOKEN) == 1
    # After failure_ttl, the next caller asks WeChat again.
    time.sleep(1.05)
    with pytest.raises(InvalidCredential):
        client.access_token  # noqa: B018
    assert wechat_emulator.count(TOKEN) == 2


def test_a_fetch_that_outlived_its_lock_keeps_the_successors_token() -> None:
    """The holder's fetch took longer than the lock's TTL; meanwhile a successor took the
    lock and stored a newer token. The slow holder must not overwrite it."""
    from django_wechat.client.tokens import SingleFlight, read

    cache = caches["default"]
    cache.clear()
    account = get_account()

    def slow_fetch() -> tuple[str, float]:
        # What happens elsewhere while this fetch hangs: the lock expires, a successor
        # takes it, fetches and stores its (newer) token.
        cache.delete(flight.lock_key)
        assert cache.add(flight.lock_key, "successor", timeout=30)
        cache.set(flight.key, {"value": "newer", "expires_at": time.time() + 7200})
        return "older", 7200

    flight = SingleFlight(cache, account, "access_token", slow_fetch, policy=TokenPolicy())
    assert flight.get().value == "newer"
    stored = read(cache, flight.key)
    assert stored is not None
    assert stored.value == "newer"
    # And the successor's lock was left alone.
    assert cache.get(flight.lock_key) == "successor"


# --- releasing the lock ----------------------------------------------------------


def eval_calls(cache: Any) -> int:
    # The script runs as EVALSHA once loaded (EVAL if the server lost it).
    stats = cache.client.get_client(write=True).info("commandstats")
    return sum(
        int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("eval", "evalsha")
    )


@pytest.mark.redis
def test_the_lock_is_released_atomically_on_redis(
    redis_cache: str, wechat_emulator: WeChatEmulator
) -> None:
    cache = caches[redis_cache]
    flight = get_client()._token_flight()
    assert cache.add(flight.lock_key, "ours", timeout=30)
    before = eval_calls(cache)
    # Someone else's lock (ours expired and a successor took it) is left alone ...
    flight._release("an-expired-holder")
    assert cache.get(flight.lock_key) == "ours"
    # ... our own is deleted, each time in one script on the server.
    flight._release("ours")
    assert cache.get(flight.lock_key) is None
    assert eval_calls(cache) == before + 2
    # And the whole fetch path still works (and releases) through it.
    assert get_client().access_token
    assert cache.get(flight.lock_key) is None
    assert eval_calls(cache) == before + 3


def test_the_lock_is_released_by_get_then_delete_elsewhere(
    wechat_emulator: WeChatEmulator,
) -> None:
    cache = caches["default"]  # local memory
    flight = get_client()._token_flight()
    assert cache.add(flight.lock_key, "ours", timeout=30)
    flight._release("an-expired-holder")
    assert cache.get(flight.lock_key) == "ours"
    flight._release("ours")
    assert cache.get(flight.lock_key) is None
