"""``manage.py wechat_init``: the blocks it prints are valid settings that pass the checks,
with a TOKEN and EncodingAESKey that WeChat's console accepts and that really work."""

from __future__ import annotations

import os
import re
from io import StringIO
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from django_wechat.crypto import WeChatCrypto
from django_wechat.testing import callback_request, isolated_handlers, read_reply


def wechat_init(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("wechat_init", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def settings_from(block: str, **environ: str) -> dict[str, Any]:
    """Run a printed block as settings.py would, with ``environ`` as the environment."""
    namespace: dict[str, Any] = {}
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environ)
    try:
        exec(block, namespace)  # noqa: S102 - the command's own output, as settings.py runs it
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return namespace


def wechat_problems(**overrides: Any) -> list[Any]:
    with override_settings(SILENCED_SYSTEM_CHECKS=[], **overrides):
        return [m for m in run_checks(tags=["wechat"]) if str(m.id).startswith("wechat.")]


def test_the_development_block_is_random_valid_and_points_at_the_emulator() -> None:
    first, advice = wechat_init()
    second, _ = wechat_init()
    wechat = settings_from(first)["WECHAT"]
    account = wechat["ACCOUNTS"]["default"]
    assert re.fullmatch(r"[A-Za-z0-9]{3,32}", account["TOKEN"])
    assert re.fullmatch(r"[A-Za-z0-9]{43}", account["ENCODING_AES_KEY"])
    other = settings_from(second)["WECHAT"]["ACCOUNTS"]["default"]
    assert other["TOKEN"] != account["TOKEN"]
    assert other["ENCODING_AES_KEY"] != account["ENCODING_AES_KEY"]
    assert wechat["API_BASE_URL"] == wechat["OAUTH_BASE_URL"] == "http://127.0.0.1:8001"
    assert wechat_problems(WECHAT=wechat, DEBUG=True) == []
    assert "wechat_emulator --port 8001" in advice
    assert "服务器配置" in advice


def test_the_environment_overrides_the_development_values() -> None:
    block, _ = wechat_init()
    wechat = settings_from(
        block, WECHAT_TOKEN="fromenv", WECHAT_EMULATOR_URL="http://127.0.0.1:9001"
    )["WECHAT"]
    assert wechat["ACCOUNTS"]["default"]["TOKEN"] == "fromenv"
    assert wechat["API_BASE_URL"] == "http://127.0.0.1:9001"


def test_the_generated_key_encrypts_a_real_callback() -> None:
    block, _ = wechat_init("--account", "shop")
    wechat = settings_from(block)["WECHAT"]
    assert list(wechat["ACCOUNTS"]) == ["shop"]
    # The key decodes to 32 bytes of AES-256, as WeChat's does.
    WeChatCrypto("token", wechat["ACCOUNTS"]["shop"]["ENCODING_AES_KEY"], "wx0123456789abcdef")
    with override_settings(WECHAT=wechat), isolated_handlers():
        from django_wechat import handler

        @handler(type="text", account="shop")
        def echo(message: Any, **kwargs: Any) -> str:
            return f"echo: {message.content}"

        reply = read_reply(callback_request(text="hi", account="shop").send(Client()))
    assert reply.encrypted
    assert reply.content == "echo: hi"


def test_the_production_block_reads_the_environment_and_uses_redis() -> None:
    block, advice = wechat_init("--production")
    env = {
        "WECHAT_APP_ID": "wx0123456789abcdef",
        "WECHAT_APP_SECRET": "s3cret",
        "WECHAT_TOKEN": "token123",
        "WECHAT_ENCODING_AES_KEY": "a" * 43,
        "REDIS_URL": "redis://127.0.0.1:6380/1",
    }
    namespace = settings_from(block, **env)
    cache = namespace["CACHES"]["default"]
    assert cache["BACKEND"] == "django_redis.cache.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6380/1"
    assert cache["OPTIONS"]["SOCKET_TIMEOUT"] > 0
    assert cache["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] > 0
    account = namespace["WECHAT"]["ACCOUNTS"]["default"]
    assert account["APP_SECRET"] == "s3cret"
    assert "API_BASE_URL" not in namespace["WECHAT"]  # WeChat's own
    # Redis is shared by every process: no W001 even with DEBUG off.
    problems = wechat_problems(WECHAT=namespace["WECHAT"], CACHES=namespace["CACHES"], DEBUG=False)
    assert problems == []
    for name in env:
        assert name in advice
    with pytest.raises(KeyError, match="WECHAT_APP_SECRET"):
        settings_from(block, **{k: v for k, v in env.items() if k != "WECHAT_APP_SECRET"})


@pytest.mark.parametrize("name", ["my shop", "a/b", ""])
def test_an_account_name_that_cannot_be_in_a_url_is_refused(name: str) -> None:
    with pytest.raises(CommandError, match="callback URL"):
        wechat_init("--account", name)
