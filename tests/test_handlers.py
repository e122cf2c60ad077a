"""@handler: filters, order, priority, and the registry's isolation."""

from __future__ import annotations

from typing import Any

import pytest

from django_wechat import handler
from django_wechat.handlers import Registry, registry
from django_wechat.messages import parse_message
from django_wechat.testing import isolated_handlers


def text(content: str, **extra: Any) -> Any:
    return parse_message(
        {
            "ToUserName": "gh_x",
            "FromUserName": "o-follower",
            "CreateTime": "1700000000",
            "MsgType": "text",
            "Content": content,
            "MsgId": "1234567890123456",
            **extra,
        }
    )


def event(name: str, key: str | None = None, **extra: Any) -> Any:
    fields = {
        "ToUserName": "gh_x",
        "FromUserName": "o-follower",
        "CreateTime": "1700000000",
        "MsgType": "event",
        "Event": name,
        **extra,
    }
    if key is not None:
        fields["EventKey"] = key
    return parse_message(fields)


def answer(handlers: Registry, message: Any, account: str = "default") -> str | None:
    entry = handlers.match(message, account)
    return None if entry is None else entry.func.__name__


def test_filters_on_type_content_event_key_and_account(handlers: Registry) -> None:
    @handler(type="text", content=r"^hi")
    def greet(message: Any, **kwargs: Any) -> None: ...

    @handler(event="subscribe")
    def welcome(message: Any, **kwargs: Any) -> None: ...

    @handler(event="click", key="V1001_GOOD")
    def good(message: Any, **kwargs: Any) -> None: ...

    @handler(account="plain", type="text")
    def plain_text(message: Any, **kwargs: Any) -> None: ...

    assert answer(handlers, text("hi there")) == "greet"
    assert answer(handlers, text("oh hi")) is None  # ^ anchors: searched, not "contains"
    assert answer(handlers, text("hello")) is None
    assert answer(handlers, text("hello"), "plain") == "plain_text"
    assert answer(handlers, event("subscribe")) == "welcome"
    # WeChat spells CLICK in capitals; filters ignore the event's case.
    assert answer(handlers, event("CLICK", "V1001_GOOD")) == "good"
    assert answer(handlers, event("CLICK", "V1001_BAD")) is None
    assert answer(handlers, event("unsubscribe")) is None


def test_content_regex_matches_chinese_text(handlers: Registry) -> None:
    @handler(content=r"你好|您好")
    def hello(message: Any, **kwargs: Any) -> None: ...

    assert answer(handlers, text("老师您好！")) == "hello"
    # A content filter never matches a message without content.
    assert answer(handlers, event("subscribe")) is None


def test_first_registered_wins_unless_priority_says_otherwise(handlers: Registry) -> None:
    @handler(type="text")
    def first(message: Any, **kwargs: Any) -> None: ...

    @handler()
    def catch_all(message: Any, **kwargs: Any) -> None: ...

    assert answer(handlers, text("x")) == "first"
    assert answer(handlers, event("subscribe")) == "catch_all"

    @handler(type="text", priority=10)
    def urgent(message: Any, **kwargs: Any) -> None: ...

    assert answer(handlers, text("x")) == "urgent"


def test_bare_decorator_and_lists_of_alternatives(handlers: Registry) -> None:
    @handler(event=["SCAN", "subscribe"], account=["default", "compatible"])
    def scanned(message: Any, **kwargs: Any) -> None: ...

    @handler
    def anything(message: Any, **kwargs: Any) -> None: ...

    assert answer(handlers, event("scan")) == "scanned"
    assert answer(handlers, event("subscribe"), "compatible") == "scanned"
    assert answer(handlers, event("subscribe"), "plain") == "anything"


def test_decorator_returns_the_function_unchanged(handlers: Registry) -> None:
    def plain(message: Any, **kwargs: Any) -> str:
        return "called"

    assert handler(type="text")(plain) is plain
    assert plain(None) == "called"


def test_async_handlers_are_refused_at_registration(handlers: Registry) -> None:
    async def slow(message: Any, **kwargs: Any) -> None: ...

    with pytest.raises(TypeError, match="async"):
        handler(type="text")(slow)
    assert len(handlers) == 0


def test_isolation_restores_the_site_handlers() -> None:
    before = list(registry)
    with isolated_handlers():
        assert len(registry) == 0

        @handler()
        def temporary(message: Any, **kwargs: Any) -> None: ...

        assert len(registry) == 1
    assert list(registry) == before
    with isolated_handlers(keep=True):
        assert list(registry) == before


def test_unregister(handlers: Registry) -> None:
    @handler(type="text")
    def gone(message: Any, **kwargs: Any) -> None: ...

    handlers.unregister(gone)
    assert answer(handlers, text("x")) is None


def test_matching_sees_every_change_to_the_handlers(handlers: Registry) -> None:
    # Matching keeps a per-type shortlist; each change must show in the next match.
    @handler(type="text")
    def first(message: Any, **kwargs: Any) -> None: ...

    assert answer(handlers, text("x")) == "first"

    @handler(type="text", priority=1)
    def later(message: Any, **kwargs: Any) -> None: ...

    assert answer(handlers, text("x")) == "later"
    handlers.unregister(later)
    assert answer(handlers, text("x")) == "first"
    with handlers.isolated():
        assert answer(handlers, text("x")) is None

        @handler()
        def inside(message: Any, **kwargs: Any) -> None: ...

        assert answer(handlers, text("x")) == "inside"
    assert answer(handlers, text("x")) == "first"
    handlers.clear()
    assert answer(handlers, text("x")) is None


def test_untyped_handlers_keep_their_place_among_typed_ones(handlers: Registry) -> None:
    @handler(type="image", priority=10)
    def image(message: Any, **kwargs: Any) -> None: ...

    @handler(content="^help")
    def helper(message: Any, **kwargs: Any) -> None: ...

    @handler(type=["text", "voice"])
    def words(message: Any, **kwargs: Any) -> None: ...

    @handler(priority=-1)
    def fallback(message: Any, **kwargs: Any) -> None: ...

    picture = parse_message(
        {"FromUserName": "o", "CreateTime": "1", "MsgType": "image", "PicUrl": "u", "MsgId": "1"}
    )
    assert answer(handlers, picture) == "image"
    assert answer(handlers, text("help me")) == "helper"
    assert answer(handlers, text("hello")) == "words"
    assert answer(handlers, event("subscribe")) == "fallback"
    assert answer(handlers, text("help me"), "plain") == "helper"
