from __future__ import annotations

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
