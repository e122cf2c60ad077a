"""The AppConfig imports each installed app's wechat_handlers; the demo's handlers answer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

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

    assert "演示号" in (send(text="你好").content or "")
    assert send(text="随便").content == "你说：随便"
    assert "欢迎关注" in (send(event="subscribe").content or "")
    assert "场景 7" in (send(event="subscribe", key="qrscene_7").content or "")
    liked = send(event="click", key="V1001_GOOD")
    assert liked.type == "news"
    assert "谢谢你的赞" in liked.xml
    image = send(MsgType="image", PicUrl="http://x/y.jpg", MediaId="media-9")
    assert image["Image"]["MediaId"] == "media-9"
