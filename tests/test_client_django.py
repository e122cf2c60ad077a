"""The template tag and the wechat_token command, against the emulator."""

from __future__ import annotations

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory

from django_wechat import get_client
from django_wechat.testing.emulator import WeChatEmulator

SECRET = "test-secret-default"


@pytest.fixture(autouse=True)
def _host(settings: object) -> None:
    settings.ALLOWED_HOSTS = ["shop.example.com"]  # type: ignore[attr-defined]


def render(source: str, path: str = "/shop/p?id=1") -> str:
    request = RequestFactory().get(path, HTTP_HOST="shop.example.com")
    return Template("{% load wechat %}" + source).render(Context({"request": request}))


def test_jssdk_config_is_signed_for_the_page(wechat_emulator: WeChatEmulator) -> None:
    out = render('{% wechat_jssdk_config js_api_list="chooseImage, scanQRCode" %}')
    assert out.startswith("wx.config(")
    assert out.endswith(");")
    config = json.loads(out[len("wx.config(") : -2])
    assert config["jsApiList"] == ["chooseImage", "scanQRCode"]
    assert config["appId"] == "wx2c2769f8efd9abc2"
    ticket = get_client().jsapi.get_jsapi_ticket()
    plain = (
        f"jsapi_ticket={ticket}&noncestr={config['nonceStr']}&timestamp={config['timestamp']}"
        "&url=http://shop.example.com/shop/p?id=1"
    )
    assert config["signature"] == hashlib.sha1(plain.encode()).hexdigest()
    assert config["debug"] is False


def test_jssdk_config_cannot_break_out_of_the_script(wechat_emulator: WeChatEmulator) -> None:
    out = render('{% wechat_jssdk_config js_api_list="</script><script>alert(1)" %}')
    assert "</script>" not in out
    assert "\\u003C/script\\u003E" in out


def test_jssdk_config_without_request() -> None:
    with pytest.raises(TemplateSyntaxError, match="context_processors"):
        Template("{% load wechat %}{% wechat_jssdk_config %}").render(Context({}))


def test_wechat_token_prints_only_the_start(wechat_emulator: WeChatEmulator) -> None:
    out = StringIO()
    call_command("wechat_token", stdout=out)
    token = get_client().access_token
    text = out.getvalue()
    assert token[:8] in text
    assert token not in text
    assert SECRET not in text
    assert "wx2c2769f8efd9abc2" in text
    call_command("wechat_token", "--refresh", stdout=StringIO())
    assert get_client().access_token != token
    assert wechat_emulator.count("cgi-bin/token") == 2


def test_wechat_token_tickets(wechat_emulator: WeChatEmulator) -> None:
    out = StringIO()
    call_command("wechat_token", "--ticket", "wx_card", "--account", "plain", stdout=out)
    ticket = get_client("plain").jsapi.get_jsapi_card_ticket()
    assert ticket[:8] in out.getvalue()
    assert ticket not in out.getvalue()
    assert "wx_card" in out.getvalue()


def test_wechat_token_reports_failures(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.fail("errcode", api="cgi-bin/token", errcode=40164)
    with pytest.raises(CommandError, match="40164"):
        call_command("wechat_token", stdout=StringIO())
