"""What a newcomer meets first (issue 16): the checks' messages for a mistyped AppID or
EncodingAESKey, W001's CACHES snippet, the unknown-account 404 and the JS-SDK tag with
WeChat down."""

from __future__ import annotations

import html
import logging
import os
import runpy
import socket
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.template import Context, Template
from django.test import Client, RequestFactory, override_settings

from django_wechat.testing import callback_request, isolated_handlers, read_reply
from django_wechat.testing.emulator import WeChatEmulator
from tests.test_checks import GOOD, KEY

ROOT = Path(__file__).resolve().parent.parent


def messages(account: dict[str, Any], **overrides: Any) -> list[Any]:
    overrides.setdefault("DEBUG", True)
    with override_settings(
        WECHAT={"ACCOUNTS": {"default": account}}, SILENCED_SYSTEM_CHECKS=[], **overrides
    ):
        return [m for m in run_checks(tags=["wechat"]) if str(m.id).startswith("wechat.")]


# --- the checks --------------------------------------------------------------------------


def test_an_aes_key_of_43_characters_with_a_bang_is_named_by_its_character() -> None:
    key = KEY[:9] + "!" + KEY[10:]
    assert len(key) == 43
    (problem,) = messages({**GOOD, "ENCODING_AES_KEY": key})
    assert problem.id == "wechat.E005"
    assert "'!'" in problem.msg
    assert "character 10" in problem.msg
    assert "it has" not in problem.msg  # the length is right: don't talk about it
    assert key not in problem.msg + problem.hint  # the key is a secret


def test_an_aes_key_of_the_wrong_length_still_says_its_length() -> None:
    (problem,) = messages({**GOOD, "ENCODING_AES_KEY": KEY[:40]})
    assert problem.id == "wechat.E005"
    assert "it has 40" in problem.msg


@pytest.mark.parametrize(
    "app_id", ["0123", "wx123", "wx0123456789ABCDEF", "wx0123456789abcdefg", "wxg123456789abcdef"]
)
def test_an_app_id_that_is_not_wechats_shape_is_an_error(app_id: str) -> None:
    (problem,) = messages({**GOOD, "APP_ID": app_id})
    assert problem.id == "wechat.E015"
    assert repr(app_id) in problem.msg
    assert "'wx' followed by 16 hexadecimal digits" in problem.msg
    assert "开发者ID" in problem.hint


def test_the_sample_app_ids_of_the_emulator_tests_demo_and_docs_pass(settings: Any) -> None:
    # Read from its file: other tests import the demo's inner package as "testproject".
    demo = runpy.run_path(str(ROOT / "testproject/testproject/settings.py"))
    samples = [a["APP_ID"] for a in settings.WECHAT["ACCOUNTS"].values()]
    samples += [demo["WECHAT"]["ACCOUNTS"]["default"]["APP_ID"], "wx0123456789abcdef"]
    for app_id in samples:
        assert messages({**GOOD, "APP_ID": app_id}) == [], app_id


def test_w001_hint_gives_a_caches_snippet_that_runs() -> None:
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    (problem,) = messages(GOOD, DEBUG=False, CACHES=locmem)
    assert problem.id == "wechat.W001"
    snippet = problem.hint[problem.hint.index("CACHES = {") :]
    namespace: dict[str, Any] = {"os": os}
    exec(snippet, namespace)  # noqa: S102 - our own hint, checked to be valid Python
    cache = namespace["CACHES"]["default"]
    assert cache["BACKEND"] == "django_redis.cache.RedisCache"
    assert {"SOCKET_TIMEOUT", "SOCKET_CONNECT_TIMEOUT"} <= set(cache["OPTIONS"])


# --- the unknown account ----------------------------------------------------------------


def test_the_unknown_account_404_names_it_and_the_configured_ones(settings: Any) -> None:
    settings.DEBUG = True
    request = callback_request(text="hi", url="/wechat/callback/shop/")
    response = request.send(Client())
    assert response.status_code == 404
    text = html.unescape(response.content.decode())
    assert "No WeChat account 'shop'" in text
    assert "configured: 'default', 'compatible', 'plain'" in text


# --- the JS-SDK tag with WeChat down ------------------------------------------------------


def page_without_jssdk(caplog: pytest.LogCaptureFixture) -> str:
    """Render a page with the tag; assert it rendered without wx.config() and logged
    one error, which is returned."""
    request = RequestFactory().get("/shop/", HTTP_HOST="testserver")
    source = "<h1>Shop</h1><script>{% load wechat %}{% wechat_jssdk_config %}</script>"
    with caplog.at_level(logging.ERROR, logger="django_wechat.jssdk"):
        page = Template(source).render(Context({"request": request}))
    assert "<h1>Shop</h1>" in page
    assert "wx.config" not in page
    (record,) = [r for r in caplog.records if r.name == "django_wechat.jssdk"]
    assert "test-secret-default" not in caplog.text
    return record.getMessage()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_jssdk_tag_with_wechat_unreachable_renders_the_page_and_logs(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.WECHAT = {
        **settings.WECHAT,
        "API_BASE_URL": f"http://127.0.0.1:{closed_port()}",
        "TIMEOUT": 1,
    }
    assert "TransportError" in page_without_jssdk(caplog)


def test_jssdk_tag_with_wechat_refusing_renders_the_page_and_logs(
    wechat_emulator: WeChatEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    wechat_emulator.fail("errcode", api="cgi-bin/ticket/getticket", errcode=45009)
    assert "45009" in page_without_jssdk(caplog)
    assert wechat_emulator.count("cgi-bin/ticket/getticket") == 1


# --- README's Quick start -----------------------------------------------------------------


def readme_blocks() -> list[str]:
    text = (ROOT / "README.rst").read_text("utf-8")
    blocks = []
    for part in text.split(".. code-block:: python\n")[1:]:
        lines = []
        for line in part.splitlines()[1:]:
            if line and not line.startswith(" "):
                break
            lines.append(line)
        blocks.append(textwrap.dedent("\n".join(lines)))
    return blocks


def test_readmes_quick_start_runs_against_the_emulator(settings: Any) -> None:
    settings_block, urls_block, handlers_block = readme_blocks()
    namespace: dict[str, Any] = {}
    exec(settings_block, namespace)  # noqa: S102 - README's own example, run as settings.py
    wechat = namespace["WECHAT"]
    assert wechat["API_BASE_URL"] == "http://127.0.0.1:8001"
    assert "django_wechat" in namespace["INSTALLED_APPS"]
    assert messages(wechat["ACCOUNTS"]["default"]) == []
    urls: dict[str, Any] = {}
    exec(urls_block, urls)  # noqa: S102
    assert [str(p.pattern) for p in urls["urlpatterns"]] == ["wechat/"]
    settings.WECHAT = wechat
    with isolated_handlers():
        exec(handlers_block, {})  # noqa: S102
        client = Client()
        hello = read_reply(callback_request(text="hi").send(client))
        welcome = read_reply(callback_request(event="subscribe").send(client))
    assert hello.content == "Hello, o-demo-follower-1!"
    assert welcome.content == "Thanks for following!"
