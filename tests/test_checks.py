"""Each system check, provoked through Django's check framework, asserting its id and hint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import Error, Warning, run_checks
from django.test import override_settings

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
GOOD = {
    "APP_ID": "wx1111111111111111",
    "APP_SECRET": "secret",
    "TOKEN": "token123",
    "ENCODING_AES_KEY": KEY,
    "ENCRYPT_MODE": "safe",
}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def wechat_messages(**overrides: Any) -> list[Any]:
    overrides.setdefault("SILENCED_SYSTEM_CHECKS", [])
    overrides.setdefault("DEBUG", True)
    with override_settings(**overrides):
        return [m for m in run_checks(tags=["wechat"]) if m.id and m.id.startswith("wechat.")]


def ids(**overrides: Any) -> list[str]:
    return [m.id for m in wechat_messages(**overrides)]


def account(**changes: Any) -> dict[str, Any]:
    result = {**GOOD, **changes}
    return {k: v for k, v in result.items() if v is not None}


def test_sound_settings_pass() -> None:
    assert ids(WECHAT={"ACCOUNTS": {"default": GOOD}}, DEBUG=True) == []


def test_e001_missing_setting() -> None:
    with override_settings(SILENCED_SYSTEM_CHECKS=[]):
        from django.conf import settings

        del settings.WECHAT
        messages = list(run_checks(tags=["wechat"]))
    assert [m.id for m in messages] == ["wechat.E001"]
    assert isinstance(messages[0], Error)
    assert "WECHAT = {" in messages[0].hint


def test_e002_not_a_dict() -> None:
    assert ids(WECHAT=["default"]) == ["wechat.E002"]


@pytest.mark.parametrize("accounts", [None, {}, []])
def test_e003_no_accounts(accounts: Any) -> None:
    wechat = {} if accounts is None else {"ACCOUNTS": accounts}
    assert ids(WECHAT=wechat) == ["wechat.E003"]


def test_e003_account_not_a_dict() -> None:
    assert ids(WECHAT={"ACCOUNTS": {"default": "wx123"}}) == ["wechat.E003"]


@pytest.mark.parametrize("key", ["APP_ID", "APP_SECRET", "TOKEN"])
def test_e004_required_keys(key: str) -> None:
    messages = wechat_messages(WECHAT={"ACCOUNTS": {"default": account(**{key: None})}})
    assert [m.id for m in messages] == ["wechat.E004"]
    assert key in messages[0].msg
    assert "WeChat console" in messages[0].hint


@pytest.mark.parametrize(
    "key", [KEY[:42], KEY + "A", KEY[:42] + "=", KEY[:42] + "-", "x" * 44, 12345]
)
def test_e005_aes_key_format(key: Any) -> None:
    messages = wechat_messages(WECHAT={"ACCOUNTS": {"default": account(ENCODING_AES_KEY=key)}})
    assert [m.id for m in messages] == ["wechat.E005"]
    assert "43" in messages[0].msg


def test_e005_previous_aes_key_format() -> None:
    bad = account(PREVIOUS_ENCODING_AES_KEY="short")
    assert ids(WECHAT={"ACCOUNTS": {"default": bad}}) == ["wechat.E005"]


def test_e006_encrypt_mode() -> None:
    messages = wechat_messages(WECHAT={"ACCOUNTS": {"default": account(ENCRYPT_MODE="aes")}})
    assert [m.id for m in messages] == ["wechat.E006"]
    assert "plain, compatible, safe" in messages[0].msg


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_e007_encrypted_mode_without_key(mode: str) -> None:
    acc = account(ENCRYPT_MODE=mode, ENCODING_AES_KEY=None)
    assert ids(WECHAT={"ACCOUNTS": {"default": acc}}) == ["wechat.E007"]


def test_plain_mode_needs_no_key() -> None:
    acc = account(ENCRYPT_MODE="plain", ENCODING_AES_KEY=None)
    assert ids(WECHAT={"ACCOUNTS": {"default": acc}}) == []


def test_e008_same_app_id_twice() -> None:
    messages = wechat_messages(WECHAT={"ACCOUNTS": {"a": GOOD, "b": GOOD}})
    assert [m.id for m in messages] == ["wechat.E008"]
    assert "'a'" in messages[0].msg
    assert "'b'" in messages[0].msg


def test_e009_unknown_cache_alias() -> None:
    messages = wechat_messages(WECHAT={"ACCOUNTS": {"default": GOOD}, "CACHE": "tokens"})
    assert [m.id for m in messages] == ["wechat.E009"]
    assert "'default'" in messages[0].hint


def test_w001_local_memory_cache_in_production() -> None:
    messages = wechat_messages(WECHAT={"ACCOUNTS": {"default": GOOD}}, DEBUG=False, CACHES=LOCMEM)
    assert [m.id for m in messages] == ["wechat.W001"]
    assert isinstance(messages[0], Warning)
    assert "django-redis" in messages[0].hint
    assert ids(WECHAT={"ACCOUNTS": {"default": GOOD}}, DEBUG=True, CACHES=LOCMEM) == []


@pytest.mark.redis
def test_redis_cache_in_production_is_fine(redis_server: str) -> None:
    options = {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2}
    caches = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_server,
            "OPTIONS": options,
        }
    }
    assert ids(WECHAT={"ACCOUNTS": {"default": GOOD}}, DEBUG=False, CACHES=caches) == []


def test_w002_unknown_keys_suggest_the_right_one() -> None:
    messages = wechat_messages(
        WECHAT={"ACCOUNTS": {"default": account(ENCRYPT_MOD="safe")}, "TIMEOUTS": 3}
    )
    assert [m.id for m in messages] == ["wechat.W002", "wechat.W002"]
    hints = " ".join(m.hint for m in messages)
    assert "'TIMEOUT'" in hints
    assert "'ENCRYPT_MODE'" in hints


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("API_BASE_URL", "api.weixin.qq.com"),
        ("TIMEOUT", 0),
        ("TIMEOUT", "5"),
        ("MAX_BODY_SIZE", -1),
        ("TIMESTAMP_TOLERANCE", True),
    ],
)
def test_e010_global_values(key: str, value: Any) -> None:
    assert ids(WECHAT={"ACCOUNTS": {"default": GOOD}, key: value}) == ["wechat.E010"]


@pytest.mark.parametrize("value", ["ignore", "Refuse", True, ["refuse"]])
def test_e016_cache_failure_policy(value: Any) -> None:
    messages = wechat_messages(WECHAT={"ACCOUNTS": {"default": GOOD}, "CACHE_FAILURE": value})
    assert [m.id for m in messages] == ["wechat.E016"]
    assert "refuse, answer" in messages[0].msg


@pytest.mark.parametrize("value", ["refuse", "answer"])
def test_cache_failure_policies_pass(value: str) -> None:
    assert ids(WECHAT={"ACCOUNTS": {"default": GOOD}, "CACHE_FAILURE": value}) == []


@pytest.mark.parametrize("token", ["ab", "x" * 33, "has space", "中文token"])
def test_e011_callback_token_format(token: str) -> None:
    assert ids(WECHAT={"ACCOUNTS": {"default": account(TOKEN=token)}}) == ["wechat.E011"]


def test_e012_token_source() -> None:
    assert ids(WECHAT={"ACCOUNTS": {"default": account(TOKEN_SOURCE="stable")}}) == ["wechat.E012"]
    ok = account(TOKEN_SOURCE="stable_token")
    assert ids(WECHAT={"ACCOUNTS": {"default": ok}}) == []


def test_e013_access_token_func() -> None:
    bad = account(ACCESS_TOKEN_FUNC="fetch_token")
    assert ids(WECHAT={"ACCOUNTS": {"default": bad}}) == ["wechat.E013"]


def test_e014_options() -> None:
    assert ids(WECHAT={"ACCOUNTS": {"default": account(OPTIONS=[1])}}) == ["wechat.E014"]


def test_secrets_never_appear_in_check_messages() -> None:
    secret_account = account(APP_SECRET="TOPSECRET", ENCODING_AES_KEY="TOPSECRET" * 5)
    messages = wechat_messages(WECHAT={"ACCOUNTS": {"default": secret_account}})
    assert messages
    assert all("TOPSECRET" not in f"{m.msg} {m.hint}" for m in messages)


def test_manage_py_check_reports_the_error(tmp_path: Path) -> None:
    """The real entry point: ``manage.py check`` fails with the id and hint."""
    (tmp_path / "broken_settings.py").write_text(
        "from tests.settings import *\n"
        "WECHAT = {'ACCOUNTS': {'default': {'APP_ID': 'wx1', 'APP_SECRET': 's',"
        " 'TOKEN': 'token1', 'ENCRYPT_MODE': 'safe'}}}\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "broken_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root)]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "wechat.E007" in result.stderr
    assert "ENCODING_AES_KEY" in result.stderr


def test_check_messages_are_translated_to_chinese() -> None:
    from django.utils import translation

    acc = account(ENCRYPT_MODE="safe", ENCODING_AES_KEY=None)
    with translation.override("zh-hans"):
        messages = wechat_messages(WECHAT={"ACCOUNTS": {"default": acc}})
    assert [m.id for m in messages] == ["wechat.E007"]
    assert "缺少 ENCODING_AES_KEY" in messages[0].msg
    assert "43 位" in messages[0].hint
