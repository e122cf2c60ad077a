from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured as DjangoImproperlyConfigured

from django_wechat.conf import (
    Account,
    EncryptMode,
    TokenSource,
    get_account,
    get_accounts,
    wechat_settings,
)
from django_wechat.exceptions import ImproperlyConfigured, UnknownAccount, WeChatError


def test_accounts_are_read_from_settings() -> None:
    account = get_account()
    assert account.name == "default"
    assert account.app_id == "wx2c2769f8efd9abc2"
    assert account.encrypt_mode is EncryptMode.SAFE
    assert account.token_source is TokenSource.TOKEN
    assert account.encrypted
    assert not get_account("plain").encrypted
    assert set(get_accounts()) == {"default", "compatible", "plain"}


def test_unknown_account_lists_the_configured_ones() -> None:
    with pytest.raises(UnknownAccount) as info:
        get_account("shop")
    message = str(info.value)
    assert "'shop'" in message
    assert "'default', 'compatible', 'plain'" in message
    assert isinstance(info.value, WeChatError)
    assert isinstance(info.value, DjangoImproperlyConfigured)


def test_override_settings_is_seen(settings: pytest.FixtureRequest) -> None:
    assert get_account().token == "spamtest"
    settings.WECHAT = {
        "ACCOUNTS": {
            "default": {
                "APP_ID": "wx00000000000000ee",
                "APP_SECRET": "s",
                "TOKEN": "newtoken",
                "ENCRYPT_MODE": "plain",
            }
        },
        "TIMEOUT": 2,
        "API_BASE_URL": "http://127.0.0.1:9/",
    }
    assert get_account().token == "newtoken"
    assert wechat_settings.TIMEOUT == 2.0
    assert wechat_settings.API_BASE_URL == "http://127.0.0.1:9"


def test_defaults_for_global_settings() -> None:
    assert wechat_settings.CACHE == "default"
    assert wechat_settings.OAUTH_BASE_URL == "https://open.weixin.qq.com"
    assert wechat_settings.TIMESTAMP_TOLERANCE == 300
    with pytest.raises(AttributeError, match="Unknown django_wechat setting"):
        wechat_settings.NOPE  # noqa: B018


def test_broken_settings_raise_the_check_message(settings: pytest.FixtureRequest) -> None:
    settings.WECHAT = {"ACCOUNTS": {"default": {"APP_ID": "wx1", "TOKEN": "abcdef"}}}
    with pytest.raises(ImproperlyConfigured, match=r"has no APP_SECRET.*wechat\.E004"):
        get_account()


def test_repr_of_an_account_hides_secrets() -> None:
    account = get_account()
    text = repr(account)
    assert "wx2c2769f8efd9abc2" in text
    for secret in (account.app_secret, account.token, account.encoding_aes_key):
        assert secret not in text
    assert isinstance(account, Account)


def test_settings_are_read_once_until_setting_changed(settings: pytest.FixtureRequest) -> None:
    accounts = get_accounts()
    assert get_accounts() is accounts
    assert wechat_settings.__dict__["accounts"] is accounts
    # W001 depends on CACHES and DEBUG, so either one changing drops what was read.
    for name, value in (("DEBUG", not settings.DEBUG), ("CACHES", settings.CACHES)):
        setattr(settings, name, value)
        assert "accounts" not in wechat_settings.__dict__
        assert get_accounts() is not accounts
        accounts = get_accounts()


def test_a_warning_does_not_refuse_the_accounts(settings: pytest.FixtureRequest) -> None:
    settings.WECHAT = {**settings.WECHAT, "TIMEOUTT": 3}  # W002: a typo, ignored
    assert set(get_accounts()) == {"default", "compatible", "plain"}
    assert wechat_settings.TIMEOUT == 5.0


def test_accounts_need_the_registered_checks() -> None:
    # Outside INSTALLED_APPS the checks are never registered, so nothing would vouch
    # for the accounts: refused rather than read unchecked.
    code = (
        "import django\n"
        "from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=[], WECHAT={'ACCOUNTS': {}})\n"
        "django.setup()\n"
        "from django_wechat import xml\n"
        "from django_wechat.conf import get_accounts\n"
        "assert xml.parse(b'<xml><A>1</A></xml>') == {'A': '1'}\n"
        "try:\n"
        "    get_accounts()\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert done.stdout.strip() == (
        "ImproperlyConfigured django_wechat's system checks are not registered: "
        "add 'django_wechat' to INSTALLED_APPS."
    )
