"""manage.py wechat_simulate against a real server on loopback (pytest-django's live_server)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_wechat import handler
from django_wechat.handlers import Registry
from django_wechat.replies import ImageReply


@pytest.fixture
def site(live_server: Any, handlers: Registry) -> str:
    @handler(type="text", content="^hi")
    def greet(message: Any, **kwargs: Any) -> str:
        return f"你好, {message.source}"

    @handler(event="click", key="V1001_GOOD")
    def good(message: Any, **kwargs: Any) -> str:
        return "thanks for the like"

    @handler(type="image")
    def picture(message: Any, **kwargs: Any) -> ImageReply:
        return ImageReply(message=message, media_id="m-1")

    return str(live_server.url)


def simulate(*args: str) -> str:
    out = StringIO()
    call_command("wechat_simulate", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("account", ["default", "compatible", "plain"])
def test_text_round_trip_in_every_mode(site: str, account: str) -> None:
    url = f"{site}/wechat/callback/{account}/"
    out = simulate("--account", account, "--url", url, "--text", "hi", "--from", "o-tester")
    assert "HTTP 200" in out
    assert "<Content><![CDATA[你好, o-tester]]></Content>" in out
    assert ("decrypted" in out) is (account != "plain")


def test_menu_click_subscribe_xml_and_verify(site: str, tmp_path: Path) -> None:
    url = f"{site}/wechat/callback/default/"
    assert "thanks for the like" in simulate(
        "--url", url, "--event", "click", "--key", "V1001_GOOD"
    )
    assert "success (no reply)" in simulate("--url", url, "--event", "subscribe")
    message = tmp_path / "image.xml"
    message.write_text(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>o-1</FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType>image</MsgType>"
        "<PicUrl>http://x/y.jpg</PicUrl><MediaId>up-1</MediaId><MsgId>77</MsgId></xml>"
    )
    out = simulate("--url", url, "--xml", str(message))
    assert "<MediaId><![CDATA[m-1]]></MediaId>" in out
    assert "URL verified" in simulate("--url", url, "--verify")


def test_refusal_is_a_command_error(site: str) -> None:
    # The plain account's token does not sign for the default account's URL.
    with pytest.raises(CommandError, match="HTTP 403"):
        simulate("--account", "plain", "--url", f"{site}/wechat/callback/default/", "--text", "hi")


def test_unreachable_site_is_a_command_error() -> None:
    with pytest.raises(CommandError, match="Could not reach"):
        simulate("--url", "http://127.0.0.1:9/wechat/callback/default/", "--text", "hi")
