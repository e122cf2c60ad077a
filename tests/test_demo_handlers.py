"""The AppConfig imports each installed app's wechat_handlers; the demo's handlers answer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from django_wechat.handlers import Registry
from django_wechat.testing import callback_request, isolated_handlers, read_reply

TESTPROJECT = Path(__file__).resolve().parent.parent / "testproject"


@pytest.fixture
def demo(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    monkeypatch.syspath_prepend(str(TESTPROJECT))
    sys.modules.pop("demo.wechat_handlers", None)
    with isolated_handlers() as registry:
        assert len(registry) == 0
        # Installing the app runs the AppConfigs' ready() again, which imports
        # demo.wechat_handlers.
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "demo"]
        yield registry
        settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "demo"]
    sys.modules.pop("demo.wechat_handlers", None)
    cache.clear()


def test_installed_apps_handlers_are_autodiscovered(demo: Registry) -> None:
    names = {entry.func.__name__ for entry in demo}
    assert {"welcome", "liked", "picture", "greet", "echo"} <= names


@pytest.mark.parametrize("account", ["default", "compatible", "plain"])
def test_demo_answers_text_click_subscribe_and_image(demo: Registry, account: str) -> None:
    client = Client()

    def send(**kwargs: Any) -> Any:
        return read_reply(callback_request(account=account, **kwargs).send(client))

    # In the demo's default language, English.
    assert "demo account" in (send(text="hello").content or "")
    assert send(text="whatever").content == "You said: whatever"
    assert "Welcome" in (send(event="subscribe").content or "")
    assert "Scene 7" in (send(event="subscribe", key="qrscene_7").content or "")
    liked = send(event="click", key="V1001_GOOD")
    assert liked.type == "news"
    assert "Thanks for the like" in liked.xml
    # And in Chinese, the demo's other language (DJANGO_LANGUAGE_CODE=zh-hans), from
    # another follower: events in the same second from the same one are WeChat's retries.
    with translation.override("zh-hans"):
        other = "o-demo-follower-2"
        assert "演示号" in (send(text="你好").content or "")
        assert send(text="随便").content == "你说：随便"
        assert "欢迎关注" in (send(event="subscribe", source=other).content or "")
        assert "场景 7" in (send(event="subscribe", key="qrscene_7", source="o-3").content or "")
        assert "谢谢你的赞" in send(event="click", key="V1001_GOOD", source=other).xml
    image = send(MsgType="image", PicUrl="http://x/y.jpg", MediaId="media-9")
    assert image["Image"]["MediaId"] == "media-9"
