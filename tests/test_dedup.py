"""WeChat's retries: one handler run per message, on local memory and on a real Redis."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from django_wechat import cache as wcache
from django_wechat import dispatch as dispatch_module
from django_wechat import handler
from django_wechat.conf import get_account
from django_wechat.dispatch import dedup_key, dispatcher
from django_wechat.handlers import Registry
from django_wechat.signals import message_received
from django_wechat.testing import callback_request, read_reply, verification_request
from tests.test_handlers import event, text

MODES = ["default", "compatible", "plain"]


def in_background(request: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Send ``request`` from another thread; its response lands in the dict as "response"."""
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.setdefault("response", request.send(Client())))
    thread.start()
    return thread, result


@pytest.mark.parametrize("name", MODES)
def test_a_retry_runs_the_handler_once_and_gets_the_same_reply(
    cache_alias: str, counted: list[str], name: str
) -> None:
    client = Client()
    first = callback_request(text="重试", account=name, MsgId="6054768590064713728")
    # WeChat's retry: the same message, a new nonce and timestamp on the URL.
    retry = callback_request(first.message, account=name)
    assert retry.nonce != first.nonce
    one, two = first.send(client), retry.send(client)
    # ... and a replay of the first request, byte for byte, inside the timestamp window.
    three = first.send(client)
    assert counted == ["重试"]
    replies = [read_reply(r) for r in (one, two, three)]
    assert replies[0].content == "run 1: 重试"
    assert replies[0].xml == replies[1].xml == replies[2].xml  # the stored rendering
    if replies[0].encrypted:
        # Encrypted per request: each answer echoes its own request's nonce.
        assert one.content != two.content
        assert f"<Nonce><![CDATA[{retry.nonce}]]></Nonce>".encode() in two.content


def test_events_without_msgid_are_deduplicated_by_sender_and_time(
    cache_alias: str, handlers: Registry
) -> None:
    runs: list[str] = []

    @handler(event="click")
    def click(message: Any, **kwargs: Any) -> str:
        runs.append(message.key)
        return f"clicked {message.key}"

    client = Client()
    first = callback_request(event="CLICK", key="V1001_GOOD", CreateTime=1700000000)
    retry = callback_request(first.message)
    other_key = callback_request(event="CLICK", key="V1002", CreateTime=1700000000)
    later = callback_request(event="CLICK", key="V1001_GOOD", CreateTime=1700000001)
    answers = [read_reply(r.send(client)).content for r in (first, retry, other_key, later)]
    assert answers == [
        "clicked V1001_GOOD",
        "clicked V1001_GOOD",
        "clicked V1002",
        "clicked V1001_GOOD",
    ]
    assert runs == ["V1001_GOOD", "V1002", "V1001_GOOD"]


def test_message_received_is_sent_once_per_message(cache_alias: str, counted: list[str]) -> None:
    seen: list[Any] = []

    def record(sender: Any, message: Any, **kwargs: Any) -> None:
        seen.append(message.id)

    message_received.connect(record)
    try:
        request = callback_request(text="x")
        request.send(Client())
        callback_request(request.message).send(Client())
    finally:
        message_received.disconnect(record)
    assert seen == [request.message["MsgId"]]


@pytest.fixture
def stores_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored replies wait for the thread's next command however slow the test runs: the
    flushing thread's timed looks send nothing (it would send them after 50 ms)."""
    from django_wechat.redis_primitives import _flusher

    flush = _flusher.flush

    def only_when_asked(*, older_than: float = 0.0, read: bool = False) -> None:
        if older_than == 0.0:  # settle(), not the thread's look
            flush(read=read)

    monkeypatch.setattr(_flusher, "flush", only_when_asked)


def test_a_message_costs_redis_one_command_and_one_wake(
    redis_cache: str, counted: list[str], stores_wait: None
) -> None:
    # The claim is one SET (NX GET: it returns what a claimed key holds). The reply's SET
    # waits and goes out in one write with the thread's next command, here the retry's
    # claim: Redis reads both in one go and the retry finds the reply. Nothing more.
    from django_redis import get_redis_connection

    connection = get_redis_connection(redis_cache)

    def stats() -> dict[str, int]:
        commands = connection.info("commandstats")
        # INFO is this test's own; HELLO comes once per new connection.
        counts = {
            name: int(stat["calls"])
            for name, stat in commands.items()
            if not any(setup in name for setup in ("info", "hello"))
        }
        counts["reads"] = int(connection.info("stats")["total_reads_processed"])
        return counts

    def spent(request: Any) -> dict[str, int]:
        before = stats()
        request.send(Client())
        after = stats()
        spent = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
        spent["reads"] -= 2  # the two INFO of the second stats()
        return spent

    # A thread's first command opens its kept connection (HELLO, CLIENT SETINFO: reads
    # that count as no command), as a worker's first message does; alone in its process
    # this test would count them. Open it first, as a running worker has, and send the
    # warm-up's reply on its own.
    from django_wechat.cache import settle

    spent(callback_request(text="warm-up"))
    settle()
    first = callback_request(text="x")
    assert spent(first) == {"cmdstat_set": 1, "reads": 1}
    retry = spent(callback_request(first.message))
    assert retry == {"cmdstat_set": 2, "reads": 1}
    assert counted == ["warm-up", "x"]


def test_concurrent_deliveries_in_two_threads_run_the_handler_once(
    cache_alias: str, handlers: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()
    release = threading.Event()
    runs: list[int] = []

    @handler(type="text")
    def slow(message: Any, **kwargs: Any) -> str:
        runs.append(1)
        started.set()
        assert release.wait(10)
        return "slow answer"

    # The retry's waiting loop sleeps between looks at the cache: seeing it sleep proves
    # the retry found the claim taken before the first delivery answered.
    sleepers: set[int | None] = set()
    real_sleep = time.sleep

    def noting_sleep(seconds: float) -> None:
        sleepers.add(threading.get_ident())
        real_sleep(seconds)

    monkeypatch.setattr(dispatch_module.time, "sleep", noting_sleep)
    first = callback_request(text="concurrent")
    first_thread, first_result = in_background(first)
    assert started.wait(10)
    retry_thread, retry_result = in_background(callback_request(first.message))
    deadline = time.monotonic() + 10
    while retry_thread.ident not in sleepers:
        assert time.monotonic() < deadline, "the retry never waited for the reply"
        real_sleep(0.005)
    assert "response" not in retry_result
    release.set()
    first_thread.join(10)
    retry_thread.join(10)
    assert runs == [1]
    assert read_reply(first_result["response"]).content == "slow answer"
    assert read_reply(retry_result["response"]).content == "slow answer"


def test_a_retry_that_waits_too_long_answers_success(
    cache_alias: str, handlers: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatcher, "wait_timeout", 0.2)
    release = threading.Event()
    started = threading.Event()

    @handler(type="text")
    def stuck(message: Any, **kwargs: Any) -> str:
        started.set()
        release.wait(10)
        return "late"

    first = callback_request(text="x")
    thread, result = in_background(first)
    try:
        assert started.wait(10)
        waited = time.monotonic()
        retry = callback_request(first.message).send(Client())
        waited = time.monotonic() - waited
    finally:
        release.set()
        thread.join(10)
    assert retry.status_code == 200
    assert retry.content == b"success"
    assert 0.2 <= waited < 5
    # Once the first attempt is done, a further retry gets its reply.
    assert read_reply(callback_request(first.message).send(Client())).content == "late"
    assert read_reply(result["response"]).content == "late"


def test_a_handler_that_raised_runs_again_on_the_retry(
    cache_alias: str, handlers: Registry
) -> None:
    runs: list[int] = []

    @handler(type="text")
    def flaky(message: Any, **kwargs: Any) -> str:
        runs.append(1)
        if len(runs) == 1:
            raise ConnectionError("database away")
        return "second time lucky"

    client = Client()
    request = callback_request(text="x")
    assert request.send(client).content == b"success"
    assert read_reply(callback_request(request.message).send(client)).content == "second time lucky"
    # Succeeded once: the next retry is answered from the cache.
    assert read_reply(callback_request(request.message).send(client)).content == "second time lucky"
    assert len(runs) == 2


def test_different_accounts_do_not_share_dedup_records(
    cache_alias: str, counted: list[str]
) -> None:
    fields = {"MsgId": "42", "Content": "same id", "MsgType": "text"}
    for name in MODES:
        callback_request(fields, account=name).send(Client())
    assert counted == ["same id"] * 3


def test_the_reply_outlives_the_timestamp_tolerance(cache_alias: str, counted: list[str]) -> None:
    request = callback_request(text="x")
    request.send(Client())
    from django_wechat.messages import parse_message

    key = dedup_key(parse_message(request.message), request.account)
    cache = caches[cache_alias]
    if cache_alias == "redis":
        # A timestamp may be up to TIMESTAMP_TOLERANCE (300 s) early or late: the reply
        # outlives both sides of the window. (Its SET goes out with the next command.)
        wcache.settle()
        ttl = cache.ttl(key)  # type: ignore[attr-defined]
        assert 600 < ttl <= 660
    assert cache.get(key) is not None


def test_a_broken_cache_still_answers_when_told_to(
    settings: Any, handlers: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    """CACHE_FAILURE="answer": with the cache unreachable an encrypted message's handler
    still runs, without de-duplication (the default refuses: tests/test_cache_outage.py)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHES = {
        **settings.CACHES,
        "dead": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    settings.WECHAT = {**settings.WECHAT, "CACHE": "dead", "CACHE_FAILURE": "answer"}

    @handler(type="text")
    def answer(message: Any, **kwargs: Any) -> str:
        return "still here"

    response = callback_request(text="x").send(Client())
    assert read_reply(response).content == "still here"
    assert "without de-duplication" in caplog.text


def test_a_waiting_retry_takes_over_when_the_first_attempt_fails(
    cache_alias: str, handlers: Registry
) -> None:
    started = threading.Event()
    release = threading.Event()
    runs: list[int] = []

    @handler(type="text")
    def fails_first(message: Any, **kwargs: Any) -> str:
        runs.append(1)
        if len(runs) == 1:
            started.set()
            assert release.wait(10)
            raise TimeoutError("upstream timed out")
        return "retried"

    first = callback_request(text="x")
    thread, result = in_background(first)
    assert started.wait(10)
    timer = threading.Timer(0.1, release.set)  # fail while the retry is waiting
    timer.start()
    try:
        retry = callback_request(first.message).send(Client())
    finally:
        release.set()
        thread.join(10)
        timer.cancel()
    assert result["response"].content == b"success"
    assert read_reply(retry).content == "retried"
    assert len(runs) == 2


def test_plain_mode_refuses_a_signature_reused_with_another_body(
    cache_alias: str, counted: list[str]
) -> None:
    # In plain mode the signature does not cover the body: whoever saw one callback URL
    # must not be able to post another message with it.
    legit = callback_request(text="legit", account="plain")
    assert read_reply(legit.send(Client())).content == "run 1: legit"
    other = callback_request(text="forged", account="plain")
    forged = dataclasses.replace(legit, body=other.body, message=other.message)
    response = forged.send(Client())
    assert response.status_code == 403
    assert "different message body" in response.content.decode()
    # WeChat's own retry (the same query and body) still gets the stored reply.
    assert read_reply(legit.send(Client())).content == "run 1: legit"
    assert counted == ["legit"]


def test_a_reply_that_cannot_be_rendered_does_not_rerun_the_handler(
    cache_alias: str, handlers: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[str] = []

    @handler(type="text")
    def too_many_articles(message: Any, **kwargs: Any) -> list[dict[str, str]]:
        runs.append(message.content)  # a side effect, such as a coupon sent
        return [{"title": f"article {n}", "url": "https://example.com/"} for n in range(9)]

    first = callback_request(text="coupon")
    for request in (first, callback_request(first.message), callback_request(first.message)):
        response = request.send(Client())
        assert response.status_code == 200
        assert read_reply(response).empty
    assert runs == ["coupon"]
    assert "could not be rendered" in caplog.text


def test_job_finish_events_do_not_collide_with_messages(
    cache_alias: str, handlers: Registry
) -> None:
    # TEMPLATESENDJOBFINISH numbers its MsgID separately from messages' MsgId.
    seen: list[str] = []

    @handler()
    def record(message: Any, **kwargs: Any) -> None:
        seen.append(message.type)

    callback_request(text="x", MsgId="123").send(Client())
    callback_request(event="TEMPLATESENDJOBFINISH", MsgID="123", Status="success").send(Client())
    assert seen == ["text", "event"]


def test_plain_mode_refuses_a_post_reusing_a_verification_url(
    cache_alias: str, counted: list[str]
) -> None:
    # The console's URL check is signed like a message; its URL must not carry one.
    verification = verification_request(account="plain")
    assert verification.send(Client()).status_code == 200
    forged = callback_request(
        text="forged",
        account="plain",
        timestamp=verification.query["timestamp"],
        nonce=verification.query["nonce"],
    )
    assert forged.query["signature"] == verification.query["signature"]
    response = forged.send(Client())
    assert response.status_code == 403
    assert counted == []


def test_plain_mode_binds_a_signature_even_when_the_request_is_refused(
    cache_alias: str, counted: list[str]
) -> None:
    # A plain-mode account refuses an encrypted request, but its signed URL is used up.
    plain = callback_request(text="x", account="plain")
    refused = dataclasses.replace(plain, query={**plain.query, "encrypt_type": "aes"})
    assert refused.send(Client()).status_code == 400
    forged = callback_request(
        text="forged",
        account="plain",
        timestamp=refused.query["timestamp"],
        nonce=refused.query["nonce"],
    )
    assert forged.send(Client()).status_code == 403
    assert counted == []


def test_accounts_sharing_a_token_share_their_signatures(
    cache_alias: str, counted: list[str], settings: Any
) -> None:
    twin = {**settings.WECHAT["ACCOUNTS"]["plain"], "APP_ID": "wx0000000000000009"}
    settings.WECHAT = {
        **settings.WECHAT,
        "ACCOUNTS": {**settings.WECHAT["ACCOUNTS"], "twin": twin},
    }
    seen = callback_request(text="for plain", account="plain")
    assert seen.send(Client()).status_code == 200
    forged = callback_request(
        text="forged",
        account="twin",
        timestamp=seen.query["timestamp"],
        nonce=seen.query["nonce"],
    )
    assert forged.send(Client()).status_code == 403
    assert counted == ["for plain"]


def test_a_failed_claim_is_released_in_one_step_on_redis(
    redis_cache: str, handlers: Registry
) -> None:
    # Only the claim's owner may release it, and on Redis the check and the delete are one
    # script, so a claim that expired and was taken by another delivery is never freed.
    from django_redis import get_redis_connection

    connection = get_redis_connection(redis_cache)

    @handler(type="text")
    def broken(message: Any, **kwargs: Any) -> str:
        raise RuntimeError("boom")

    def calls(name: str) -> int:
        return int(connection.info("commandstats").get(f"cmdstat_{name}", {}).get("calls", 0))

    before = calls("evalsha")
    request = callback_request(text="x")
    assert request.send(Client()).content == b"success"
    # The claim is a SET; the release one script (its GET and DEL run on the server).
    assert calls("evalsha") - before == 1
    from django_wechat.messages import parse_message

    assert (
        caches[redis_cache].get(dedup_key(parse_message(request.message), request.account)) is None
    )


def test_dedup_key_uses_msgid_or_the_event_identity() -> None:
    account = get_account()
    # Same MsgId, different CreateTime: one message (a retry).
    assert dedup_key(text("a"), account) == dedup_key(text("a", CreateTime="1700000009"), account)
    assert dedup_key(text("a"), account) != dedup_key(text("a", MsgId="99"), account)
    # Scoped by account.
    assert dedup_key(text("a"), account) != dedup_key(text("a"), get_account("plain"))
    # Events: FromUserName + CreateTime + Event + EventKey.
    assert dedup_key(event("CLICK", "A"), account) == dedup_key(event("CLICK", "A"), account)
    assert dedup_key(event("CLICK", "A"), account) != dedup_key(event("CLICK", "B"), account)
    assert dedup_key(event("CLICK", "A"), account) != dedup_key(
        event("CLICK", "A", CreateTime="1700000001"), account
    )
    assert dedup_key(event("CLICK", "A"), account) != dedup_key(
        event("CLICK", "A", FromUserName="o-other"), account
    )
    # Job-finish events carry MsgID (capital D): that identifies them.
    job = event("TEMPLATESENDJOBFINISH", MsgID="200163836")
    assert dedup_key(job, account) != dedup_key(
        event("TEMPLATESENDJOBFINISH", MsgID="200163837"), account
    )


def test_a_reply_waiting_to_be_stored_is_sent_by_itself_soon(
    redis_cache: str, counted: list[str]
) -> None:
    # With no next command on the thread's connection, the flushing thread sends the
    # reply within about 50 ms; a retry from elsewhere meanwhile waits on the claim.
    from django_wechat.messages import parse_message

    first = callback_request(text="x")
    first.send(Client())
    key = dedup_key(parse_message(first.message), first.account)
    deadline = time.monotonic() + 5
    while not str(caches[redis_cache].get(key, "")).startswith("reply:"):
        assert time.monotonic() < deadline, "the reply never reached Redis"
        time.sleep(0.01)
    thread, result = in_background(callback_request(first.message))
    thread.join()
    assert read_reply(result["response"]).content == "run 1: x"
    assert counted == ["x"]


def test_replies_waiting_on_a_connection_redis_closed_are_sent_again(
    redis_cache: str, counted: list[str], stores_wait: None, caplog: pytest.LogCaptureFixture
) -> None:
    # Redis drops every connection (a restart, CLIENT KILL, an idle timeout): the reply
    # waiting on the thread's connection and the next claim go out again on a new one.
    from django_redis import get_redis_connection

    first = callback_request(text="y")
    first.send(Client())
    get_redis_connection(redis_cache).client_kill_filter(_type="normal", skipme=True)
    answer = callback_request(first.message).send(Client())
    assert answer.status_code == 200
    assert read_reply(answer).content == "run 1: y"
    assert read_reply(callback_request(text="z").send(Client())).content == "run 2: z"
    assert counted == ["y", "z"]
    assert "did not store" not in caplog.text


def test_a_waiting_reply_is_sent_again_when_its_connection_was_closed(
    redis_cache: str, counted: list[str]
) -> None:
    # Redis drops the connection while the reply waits to go out, and the thread sends
    # nothing more: the flushing thread finds the socket dead when it reads Redis's
    # answer, and sends the reply again on a new connection.
    from django_redis import get_redis_connection

    from django_wechat.messages import parse_message

    first = callback_request(text="w")
    first.send(Client())
    get_redis_connection(redis_cache).client_kill_filter(_type="normal", skipme=True)
    key = dedup_key(parse_message(first.message), first.account)
    deadline = time.monotonic() + 5
    while not str(caches[redis_cache].get(key, "")).startswith("reply:"):
        assert time.monotonic() < deadline, "the reply never reached Redis"
        time.sleep(0.01)
    assert read_reply(callback_request(first.message).send(Client())).content == "run 1: w"
    assert counted == ["w"]


def test_a_pool_disconnected_under_the_kept_connection_loses_nothing(
    redis_cache: str, counted: list[str], stores_wait: None
) -> None:
    # django-redis' CLOSE_CONNECTION (or anyone) disconnects the whole pool, the kept
    # connection with it: redis-py reconnects, and the reply and the retry's claim go out
    # on the new socket.
    first = callback_request(text="p")
    first.send(Client())
    caches[redis_cache].client.get_client().connection_pool.disconnect()  # type: ignore[attr-defined]
    answer = callback_request(first.message).send(Client())
    assert answer.status_code == 200
    assert read_reply(answer).content == "run 1: p"
    assert counted == ["p"]


@pytest.mark.parametrize("server", ["Redis 7", "before Redis 7"])
def test_a_claim_takes_a_free_key_or_returns_what_it_holds(
    redis_cache: str, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SET NX GET, or the Lua script that does the same on servers that refuse it.
    from django_wechat import redis_primitives

    cache = caches[redis_cache]
    if server == "before Redis 7":
        pool = cache.client.get_client(write=True).connection_pool  # type: ignore[attr-defined]
        monkeypatch.setattr(redis_primitives, "_without_set_get", {id(pool)})
    assert wcache.claim(cache, "k", "mine", 5) == (True, None)
    assert wcache.claim(cache, "k", "theirs", 5) == (False, "mine")
    assert cache.get("k") == "mine"
    assert 0 < cache.ttl("k") <= 5  # type: ignore[attr-defined]
    wcache.delete_if_equal(cache, "k", "theirs")
    assert cache.get("k") == "mine"
    wcache.delete_if_equal(cache, "k", "mine")
    assert wcache.claim(cache, "k", "theirs", 5) == (True, None)
