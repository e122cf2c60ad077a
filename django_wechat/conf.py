"""``settings.WECHAT`` read into :class:`Account` objects and typed global settings.

The bottom of the package: the schema of ``settings.WECHAT`` (:data:`DEFAULTS`,
:data:`ACCOUNT_DEFAULTS`, the enums, :data:`AES_KEY_RE`) and the one settings object,
:data:`wechat_settings`, that every other module reads.

The rules that judge a configuration live in :mod:`django_wechat.checks`, which imports
this module and never the reverse. To refuse a broken configuration at run time with the
system check's own message, :func:`get_accounts` runs the checks tagged
:data:`CHECK_TAG` through Django's check registry, where ``checks.py`` registered them
as the app config loaded. That keeps one copy of each rule and no import from here up to
``checks``; the alternative, rules here and ``checks.py`` wrapping them, is what made this
module a second checks module. The checks run once per change of settings: the accounts
they let through are kept in :data:`wechat_settings`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.checks.registry import registry
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .exceptions import ImproperlyConfigured, UnknownAccount

DEFAULT_ACCOUNT = "default"


class EncryptMode(StrEnum):
    """How WeChat's callbacks to an account are protected (公众平台 → 消息加解密方式)."""

    PLAIN = "plain"  #: 明文模式: no encryption
    COMPATIBLE = "compatible"  #: 兼容模式: plaintext fields and ``Encrypt`` side by side
    SAFE = "safe"  #: 安全模式: only ``Encrypt``; replies must be encrypted


class TokenSource(StrEnum):
    """Which WeChat API an account's access_token comes from."""

    TOKEN = "token"  #: ``cgi-bin/token``: a new token invalidates the previous one
    STABLE_TOKEN = "stable_token"  #: ``cgi-bin/stable_token``: the current token until it expires


class AccountKind(StrEnum):
    """What an account of ``WECHAT["ACCOUNTS"]`` is (its ``KIND``)."""

    OFFICIAL = "official"  #: 公众号: callbacks, the web OAuth login and every API group
    WEBSITE = "website"  #: 开放平台网站应用: the website QR login (``snsapi_login``) only
    MINIPROGRAM = "miniprogram"  #: 小程序: ``jscode2session`` login and the phone number


class CacheFailurePolicy(StrEnum):
    """What an encrypted-mode callback does while ``WECHAT["CACHE"]`` fails (plain mode
    always refuses: without the cache its signature cannot be bound to the body)."""

    REFUSE = "refuse"  #: answer 503; WeChat delivers the message again (at most once)
    ANSWER = "answer"  #: run the handler without de-duplication (at least once)


#: Global settings and their defaults; the values of ``settings.WECHAT`` beside ``ACCOUNTS``.
DEFAULTS: dict[str, Any] = {
    "CACHE": "default",
    "API_BASE_URL": "https://api.weixin.qq.com",
    "OAUTH_BASE_URL": "https://open.weixin.qq.com",
    "TIMEOUT": 5.0,
    # WeChat's largest callback (a compatible-mode subscribe-message event) stays well
    # under 10 KiB; 256 KiB leaves room without letting a body eat memory.
    "MAX_BODY_SIZE": 256 * 1024,
    # A signed request older or newer than this many seconds is refused as a replay.
    "TIMESTAMP_TOLERANCE": 300,
    # While the cache fails, an encrypted-mode callback is refused (503) or answered
    # without de-duplication (CacheFailurePolicy).
    "CACHE_FAILURE": CacheFailurePolicy.REFUSE.value,
    # The web OAuth login (django_wechat.oauth): the adapter that makes users, and how
    # long a login may take from our redirect to WeChat's callback.
    "OAUTH_ADAPTER": "django_wechat.oauth.adapter.WeChatAdapter",
    "OAUTH_STATE_TIMEOUT": 600,
    # Website QR login and mini-program login (issue 11): which website account logs in
    # the followers of an official account outside WeChat ({"default": "web"}), and how
    # many mini-program logins one client may try per minute.
    "OAUTH_WEBSITE_ACCOUNTS": {},
    "MINIPROGRAM_LOGIN_RATE": 30,
    # Where a client's address is read (the mini-program rate limit, the callback's refusal
    # log line): None for REMOTE_ADDR, a request.META key the site's own proxy sets, or the
    # dotted path of a function (django_wechat.addresses).
    "CLIENT_ADDRESS": None,
    # Template messages and the inbound log (issue 13): TEMPLATESENDJOBFINISH updates the
    # recorded message's status; LOG_MESSAGES stores every message and event received.
    "TRACK_TEMPLATE_STATUS": True,
    "LOG_MESSAGES": False,
    # Follower sync: subscribe/unsubscribe events update the follower's row.
    "FOLLOWER_EVENTS": True,
    # --- background work (issue 15) ---
    # The text sent to a follower when a defer=True handler raises; "" sends nothing.
    "DEFERRED_FALLBACK": "",
    # How many sends of a broadcast lane are in flight at once (threads of its task).
    "BROADCAST_SENDS_PER_LANE": 8,
}

#: Per-account keys and their defaults; ``None`` marks a required key.
ACCOUNT_DEFAULTS: dict[str, Any] = {
    "KIND": AccountKind.OFFICIAL.value,
    "APP_ID": None,
    "APP_SECRET": None,
    "TOKEN": None,
    "ENCODING_AES_KEY": "",
    "PREVIOUS_ENCODING_AES_KEY": "",
    "ENCRYPT_MODE": EncryptMode.SAFE.value,
    "TOKEN_SOURCE": TokenSource.TOKEN.value,
    "ACCESS_TOKEN_FUNC": "",
    "OPTIONS": {},
}
REQUIRED_ACCOUNT_KEYS = tuple(k for k, v in ACCOUNT_DEFAULTS.items() if v is None)
#: The keys only an account that receives WeChat's callbacks (message push) uses.
CALLBACK_ACCOUNT_KEYS = (
    "TOKEN",
    "ENCODING_AES_KEY",
    "PREVIOUS_ENCODING_AES_KEY",
    "ENCRYPT_MODE",
)
#: The required keys of each kind: a mini program's TOKEN is for its message push, if any.
REQUIRED_KEYS_BY_KIND: dict[AccountKind, tuple[str, ...]] = {
    AccountKind.OFFICIAL: REQUIRED_ACCOUNT_KEYS,
    AccountKind.WEBSITE: ("APP_ID", "APP_SECRET"),
    AccountKind.MINIPROGRAM: ("APP_ID", "APP_SECRET"),
}

#: An EncodingAESKey: base64 of 32 bytes without its trailing "=" (PROTOCOL.md D2).
AES_KEY_RE = re.compile(r"[A-Za-z0-9]{43}")

#: The tag of the system checks on ``settings.WECHAT`` (:mod:`django_wechat.checks`).
CHECK_TAG = "wechat"


@dataclass(frozen=True)
class Account:
    """One account from ``settings.WECHAT["ACCOUNTS"]``: an Official Account, a website
    app or a mini program (:attr:`kind`).

    Secrets are kept out of ``repr()`` so an account can be logged safely.
    """

    name: str
    app_id: str
    app_secret: str = field(repr=False)
    token: str = field(default="", repr=False)
    encoding_aes_key: str = field(default="", repr=False)
    previous_encoding_aes_key: str = field(default="", repr=False)
    encrypt_mode: EncryptMode = EncryptMode.SAFE
    token_source: TokenSource = TokenSource.TOKEN
    access_token_func: str = ""
    # hash=False: the dict is unhashable, and an Account is a signal sender (hashed).
    options: Mapping[str, Any] = field(default_factory=dict, repr=False, hash=False)
    kind: AccountKind = AccountKind.OFFICIAL

    @property
    def receives_callbacks(self) -> bool:
        """True for an account ``wechat:callback`` serves: an official account, or a mini
        program with a message-push TOKEN."""
        return self.kind is AccountKind.OFFICIAL or (
            self.kind is AccountKind.MINIPROGRAM and bool(self.token)
        )

    @property
    def encrypted(self) -> bool:
        """True when callbacks to this account may carry an ``Encrypt`` field."""
        return self.encrypt_mode is not EncryptMode.PLAIN


def _user_settings() -> Mapping[str, Any]:
    raw = getattr(settings, "WECHAT", None)
    return raw if isinstance(raw, Mapping) else {}


def _url(value: Any) -> str:
    return str(value).rstrip("/")


#: What ``CLIENT_ADDRESS`` is when it names a ``request.META`` key rather than a function.
META_KEY_RE = re.compile(r"REMOTE_ADDR|HTTP_[A-Z0-9_]+")


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


# How each global value is read; the checks have vouched for its type by then.
_READERS: dict[str, Callable[[Any], Any]] = {
    "CACHE": str,
    "API_BASE_URL": _url,
    "OAUTH_BASE_URL": _url,
    "TIMEOUT": float,
    "MAX_BODY_SIZE": int,
    "TIMESTAMP_TOLERANCE": int,
    "CACHE_FAILURE": CacheFailurePolicy,
    "OAUTH_ADAPTER": str,
    "OAUTH_STATE_TIMEOUT": int,
    "OAUTH_WEBSITE_ACCOUNTS": dict,
    "MINIPROGRAM_LOGIN_RATE": int,
    "CLIENT_ADDRESS": _optional_str,
    "TRACK_TEMPLATE_STATUS": bool,
    "LOG_MESSAGES": bool,
    "FOLLOWER_EVENTS": bool,
    "DEFERRED_FALLBACK": str,
    "BROADCAST_SENDS_PER_LANE": int,
}


class WeChatSettings:
    """``settings.WECHAT`` read once: its typed global values and its accounts.

    Every part of django_wechat reads its settings here (``wechat_settings.TIMEOUT``,
    :func:`get_accounts`). A value is read on first access and kept until Django's
    ``setting_changed`` signal says ``WECHAT``, ``CACHES`` or ``DEBUG`` changed (as
    ``override_settings`` does in tests), so the callback path pays an attribute lookup.
    Before Django's settings are configured the global values are their defaults, not
    kept, so :func:`django_wechat.xml.parse` works in a bare process. A name that is not
    a setting raises ``AttributeError`` naming it.
    """

    CACHE: str
    API_BASE_URL: str
    OAUTH_BASE_URL: str
    TIMEOUT: float
    MAX_BODY_SIZE: int
    TIMESTAMP_TOLERANCE: int
    CACHE_FAILURE: CacheFailurePolicy
    OAUTH_ADAPTER: str
    OAUTH_STATE_TIMEOUT: int
    OAUTH_WEBSITE_ACCOUNTS: dict[str, str]
    MINIPROGRAM_LOGIN_RATE: int
    CLIENT_ADDRESS: str | None
    TRACK_TEMPLATE_STATUS: bool
    LOG_MESSAGES: bool
    FOLLOWER_EVENTS: bool
    DEFERRED_FALLBACK: str
    BROADCAST_SENDS_PER_LANE: int
    #: Every configured account by name, after the system checks found no error.
    accounts: dict[str, Account]

    def __getattr__(self, name: str) -> Any:
        # Only reached for a value not read yet: a kept one is in the instance __dict__.
        if name == "accounts":
            value: Any = _load_accounts()
        elif name in _READERS:
            if not settings.configured:
                return _READERS[name](DEFAULTS[name])
            value = _READERS[name](_user_settings().get(name, DEFAULTS[name]))
        else:
            raise AttributeError(f"Unknown django_wechat setting: {name!r}")
        self.__dict__[name] = value
        return value

    def reload(self) -> None:
        """Forget every value read, so the next access reads ``settings`` again."""
        self.__dict__.clear()


#: The one settings object of django_wechat.
wechat_settings = WeChatSettings()


def _load_accounts() -> dict[str, Account]:
    # The rules live in checks.py, above this module; they are reached through Django's
    # check registry (checks.py registers them as the app config loads), never imported.
    if not registry.tag_exists(CHECK_TAG):
        raise ImproperlyConfigured(
            _(
                "django_wechat's system checks are not registered: "
                "add 'django_wechat' to INSTALLED_APPS."
            )
        )
    for message in registry.run_checks(tags=[CHECK_TAG]):
        if message.is_serious():
            raise ImproperlyConfigured(f"{message.msg} {message.hint} ({message.id})")
    accounts: dict[str, Account] = {}
    configured: Mapping[str, Mapping[str, Any]] = _user_settings()["ACCOUNTS"]
    for name, raw in configured.items():
        options = {**ACCOUNT_DEFAULTS, **raw}
        kind = AccountKind(options["KIND"])
        token = options["TOKEN"] or ""
        # A website app, or a mini program without message push, has no callback to
        # protect: its mode is plain, whatever the default says.
        mode = EncryptMode(options["ENCRYPT_MODE"]) if token else EncryptMode.PLAIN
        accounts[name] = Account(
            name=name,
            kind=kind,
            app_id=options["APP_ID"],
            app_secret=options["APP_SECRET"],
            token=token if kind is not AccountKind.WEBSITE else "",
            encoding_aes_key=options["ENCODING_AES_KEY"] or "",
            previous_encoding_aes_key=options["PREVIOUS_ENCODING_AES_KEY"] or "",
            encrypt_mode=mode,
            token_source=TokenSource(options["TOKEN_SOURCE"]),
            access_token_func=options["ACCESS_TOKEN_FUNC"] or "",
            options=dict(options["OPTIONS"]),
        )
    return accounts


def get_accounts() -> dict[str, Account]:
    """Every configured account by name (``wechat_settings.accounts``).

    Raises :class:`~django_wechat.exceptions.ImproperlyConfigured` with the system
    check's message when ``settings.WECHAT`` has an error.
    """
    return wechat_settings.accounts


def get_account(name: str = DEFAULT_ACCOUNT) -> Account:
    """The account called ``name``; :class:`~django_wechat.exceptions.UnknownAccount` if none."""
    accounts = get_accounts()
    try:
        return accounts[name]
    except KeyError:
        raise UnknownAccount(name, list(accounts)) from None


@receiver(setting_changed)
def _reset_on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("WECHAT", "CACHES", "DEBUG"):
        wechat_settings.reload()
