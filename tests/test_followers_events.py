"""subscribe / unsubscribe events pushed by the emulator over loopback HTTP to the real
callback view update the follower's row, whatever ``@handler``s the site has."""

from __future__ import annotations

from typing import Any

import pytest

from django_wechat import handler
from django_wechat.handlers import Registry
from django_wechat.models import WeChatUser
from django_wechat.testing.emulator import WeChatEmulator

pytestmark = pytest.mark.django_db(transaction=True)


def callback(live_server: Any) -> str:
    return f"{live_server.url}/wechat/callback/default/"


def test_subscribe_and_unsubscribe_update_the_row(
    live_server: Any, handlers: Registry, wechat_emulator: WeChatEmulator
) -> None:
    @handler(event="subscribe")
    def welcome(message: Any, **kwargs: Any) -> str:
        return "欢迎"

    WeChatUser.objects.create(
        account="default", openid="o-demo-follower-2", nickname="王芳", subscribed=False
    )
    result = wechat_emulator.push_event(
        callback(live_server), "subscribe", openid="o-demo-follower-2"
    )
    assert result.ok
    assert result.content == "欢迎"
    user = WeChatUser.objects.get(openid="o-demo-follower-2")
    assert user.subscribed is True
    assert user.nickname == "王芳"
    assert user.subscribed_at is not None

    # No handler for unsubscribe at all: the row is updated anyway.
    assert wechat_emulator.push_event(
        callback(live_server), "unsubscribe", openid="o-demo-follower-2"
    ).ok
    assert WeChatUser.objects.get(openid="o-demo-follower-2").subscribed is False


def test_a_new_follower_through_a_qr_code_gets_a_row(
    live_server: Any, handlers: Registry, wechat_emulator: WeChatEmulator
) -> None:
    result = wechat_emulator.push_event(
        callback(live_server), "subscribe", key="qrscene_spring", openid="o-demo-follower-3"
    )
    assert result.ok
    user = WeChatUser.objects.get(account="default", openid="o-demo-follower-3")
    assert user.subscribed is True
    assert user.profile["qr_scene_str"] == "spring"


def test_one_setting_turns_it_off(
    live_server: Any, handlers: Registry, wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    settings.WECHAT = {**settings.WECHAT, "FOLLOWER_EVENTS": False}
    assert wechat_emulator.push_event(
        callback(live_server), "subscribe", openid="o-demo-follower-4"
    ).ok
    assert not WeChatUser.objects.filter(openid="o-demo-follower-4").exists()


def test_the_setting_must_be_a_bool(settings: Any) -> None:
    from django_wechat.checks import check_settings

    settings.WECHAT = {**settings.WECHAT, "FOLLOWER_EVENTS": "no"}
    assert any("FOLLOWER_EVENTS" in e.msg for e in check_settings(None))
