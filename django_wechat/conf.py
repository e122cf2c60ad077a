"""``settings.WECHAT`` read into :class:`Account` objects and typed global settings.

Every value is read on access and cached until Django's ``setting_changed`` signal says
``WECHAT`` (or ``CACHES``) changed, so ``override_settings`` works in tests.

The same validation serves both the system checks (``checks.py`` turns each
:class:`Problem` into an ``Error`` or ``Warning`` at start-up) and this module, which
raises :class:`~django_wechat.exceptions.ImproperlyConfigured` with the same text when
code reaches a broken account without the checks having run.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .exceptions import ImproperlyConfigured, UnknownAccount
from .starter import REDIS_CACHES

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
}

#: Per-account keys and their defaults; ``None`` marks a required key.
ACCOUNT_DEFAULTS: dict[str, Any] = {
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

_AES_KEY_RE = re.compile(r"[A-Za-z0-9]{43}")
# Every AppID WeChat issues (Official Accounts, mini programs, test accounts) is "wx"
# followed by 16 lower-case hex digits.
_APP_ID_RE = re.compile(r"wx[0-9a-f]{16}")
# WeChat's console accepts a callback Token of 3 to 32 letters and digits.
_TOKEN_RE = re.compile(r"[A-Za-z0-9]{3,32}")

_EXAMPLE = """WECHAT = {
    "ACCOUNTS": {
        "default": {
            "APP_ID": "wx0123456789abcdef",
            "APP_SECRET": "...",
            "TOKEN": "...",
            "ENCODING_AES_KEY": "...",  # 43 characters
            "ENCRYPT_MODE": "safe",
        },
    },
}"""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with ``settings.WECHAT``, as found by :func:`validate`."""

    id: str
    msg: str
    hint: str
    warning: bool = False


@dataclass(frozen=True)
class Account:
    """One WeChat Official Account from ``settings.WECHAT["ACCOUNTS"]``.

    Secrets are kept out of ``repr()`` so an account can be logged safely.
    """

    name: str
    app_id: str
    app_secret: str = field(repr=False)
    token: str = field(repr=False)
    encoding_aes_key: str = field(default="", repr=False)
    previous_encoding_aes_key: str = field(default="", repr=False)
    encrypt_mode: EncryptMode = EncryptMode.SAFE
    token_source: TokenSource = TokenSource.TOKEN
    access_token_func: str = ""
    # hash=False: the dict is unhashable, and an Account is a signal sender (hashed).
    options: Mapping[str, Any] = field(default_factory=dict, repr=False, hash=False)

    @property
    def encrypted(self) -> bool:
        """True when callbacks to this account may carry an ``Encrypt`` field."""
        return self.encrypt_mode is not EncryptMode.PLAIN


def _setting(name: str) -> Any:
    raw = getattr(settings, "WECHAT", None)
    if isinstance(raw, Mapping) and name in raw:
        return raw[name]
    return DEFAULTS[name]


class WeChatSettings:
    """Typed access to the global values of ``settings.WECHAT``, read on every access."""

    @property
    def CACHE(self) -> str:
        return str(_setting("CACHE"))

    @property
    def API_BASE_URL(self) -> str:
        return str(_setting("API_BASE_URL")).rstrip("/")

    @property
    def OAUTH_BASE_URL(self) -> str:
        return str(_setting("OAUTH_BASE_URL")).rstrip("/")

    @property
    def TIMEOUT(self) -> float:
        return float(_setting("TIMEOUT"))

    @property
    def MAX_BODY_SIZE(self) -> int:
        return int(_setting("MAX_BODY_SIZE"))

    @property
    def TIMESTAMP_TOLERANCE(self) -> int:
        return int(_setting("TIMESTAMP_TOLERANCE"))

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"Unknown django_wechat setting: {name!r}")


wechat_settings = WeChatSettings()


def validate() -> Iterator[Problem]:
    """Yield every problem with ``settings.WECHAT``; nothing when it is sound."""
    if not hasattr(settings, "WECHAT"):
        yield Problem(
            "wechat.E001",
            _("The WECHAT setting is missing."),
            _("Add to settings.py:\n%(example)s") % {"example": _EXAMPLE},
        )
        return
    raw: Any = settings.WECHAT
    if not isinstance(raw, Mapping):
        yield Problem(
            "wechat.E002",
            _("WECHAT must be a dict, not %(type)s.") % {"type": type(raw).__name__},
            _("Set it like this:\n%(example)s") % {"example": _EXAMPLE},
        )
        return
    yield from _unknown_keys(raw, {*DEFAULTS, "ACCOUNTS"}, "WECHAT")
    yield from _validate_globals(raw)

    accounts = raw.get("ACCOUNTS")
    if not isinstance(accounts, Mapping) or not accounts:
        yield Problem(
            "wechat.E003",
            _("WECHAT['ACCOUNTS'] must be a non-empty dict of accounts."),
            _("Add at least one account:\n%(example)s") % {"example": _EXAMPLE},
        )
        return

    seen_app_ids: dict[str, str] = {}
    for name, options in accounts.items():
        where = f"WECHAT['ACCOUNTS'][{name!r}]"
        if not isinstance(options, Mapping):
            yield Problem(
                "wechat.E003",
                _("%(where)s must be a dict, not %(type)s.")
                % {"where": where, "type": type(options).__name__},
                _("Give the account APP_ID, APP_SECRET and TOKEN:\n%(example)s")
                % {"example": _EXAMPLE},
            )
            continue
        yield from _validate_account(where, options)
        app_id = options.get("APP_ID")
        if isinstance(app_id, str) and app_id:
            if app_id in seen_app_ids:
                yield Problem(
                    "wechat.E008",
                    _("Accounts %(first)r and %(second)r have the same APP_ID %(app_id)r.")
                    % {"first": seen_app_ids[app_id], "second": name, "app_id": app_id},
                    _(
                        "Each account is one Official Account with its own APP_ID; "
                        "remove the duplicate or correct its APP_ID."
                    ),
                )
            else:
                seen_app_ids[app_id] = name

    alias = raw.get("CACHE", DEFAULTS["CACHE"])
    caches = getattr(settings, "CACHES", {})
    if alias not in caches:
        yield Problem(
            "wechat.E009",
            _("WECHAT['CACHE'] names the cache %(alias)r, which is not in CACHES.")
            % {"alias": alias},
            _("Use one of %(aliases)s, or add %(alias)r to CACHES.")
            % {"aliases": ", ".join(repr(a) for a in caches) or "(none)", "alias": alias},
        )
    elif not settings.DEBUG and "locmem" in str(caches[alias].get("BACKEND", "")).lower():
        yield Problem(
            "wechat.W001",
            _(
                "WECHAT['CACHE'] (%(alias)r) is a local-memory cache: each process would "
                "fetch its own access_token and invalidate the others'."
            )
            % {"alias": alias},
            _(
                "Point WECHAT['CACHE'] at a cache every process shares, such as "
                "django-redis (pip install 'django-wechat-oa[redis]'):\n%(example)s"
            )
            % {"example": REDIS_CACHES},
            warning=True,
        )


def _unknown_keys(raw: Mapping[str, Any], known: set[str], where: str) -> Iterator[Problem]:
    for key in raw:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), sorted(known), n=1)
        hint = (
            _("Did you mean %(key)r?") % {"key": close[0]}
            if close
            else _("Known keys: %(keys)s.") % {"keys": ", ".join(sorted(known))}
        )
        yield Problem(
            "wechat.W002",
            _("%(where)s has an unknown key %(key)r; it is ignored.")
            % {"where": where, "key": key},
            hint,
            warning=True,
        )


def _validate_globals(raw: Mapping[str, Any]) -> Iterator[Problem]:
    for name in ("API_BASE_URL", "OAUTH_BASE_URL"):
        value = raw.get(name, DEFAULTS[name])
        if not isinstance(value, str) or not re.match(r"https?://[^/]+", value):
            yield Problem(
                "wechat.E010",
                _("WECHAT[%(name)r] must be an http(s) URL, not %(value)r.")
                % {"name": name, "value": value},
                _("Leave it out for WeChat's own (%(default)s).") % {"default": DEFAULTS[name]},
            )
    for name in ("TIMEOUT", "MAX_BODY_SIZE", "TIMESTAMP_TOLERANCE"):
        value = raw.get(name, DEFAULTS[name])
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            yield Problem(
                "wechat.E010",
                _("WECHAT[%(name)r] must be a positive number, not %(value)r.")
                % {"name": name, "value": value},
                _("Leave it out for the default (%(default)s).") % {"default": DEFAULTS[name]},
            )


def _validate_account(where: str, options: Mapping[str, Any]) -> Iterator[Problem]:
    yield from _unknown_keys(options, set(ACCOUNT_DEFAULTS), where)
    for key in REQUIRED_ACCOUNT_KEYS:
        value = options.get(key)
        if not isinstance(value, str) or not value:
            yield Problem(
                "wechat.E004",
                _("%(where)s has no %(key)s.") % {"where": where, "key": key},
                _(
                    "Copy %(key)s from the WeChat console (公众平台 → 设置与开发 → 基本配置) "
                    "into %(where)s[%(key)r], preferably from an environment variable."
                )
                % {"key": key, "where": where},
            )
    app_id = options.get("APP_ID")
    if isinstance(app_id, str) and app_id and not _APP_ID_RE.fullmatch(app_id):
        yield Problem(
            "wechat.E015",
            _(
                "%(where)s['APP_ID'] is %(app_id)r, which is not a WeChat AppID: "
                "'wx' followed by 16 hexadecimal digits (0-9, a-f)."
            )
            % {"where": where, "app_id": app_id},
            _(
                "Copy the AppID (开发者ID) from the WeChat console (设置与开发 → 基本配置), "
                "such as 'wx0123456789abcdef'."
            ),
        )
    token = options.get("TOKEN")
    if isinstance(token, str) and token and not _TOKEN_RE.fullmatch(token):
        yield Problem(
            "wechat.E011",
            _("%(where)s['TOKEN'] must be 3 to 32 letters or digits.") % {"where": where},
            _("WeChat's console accepts only such tokens; set the same value in both places."),
        )
    for key in ("ENCODING_AES_KEY", "PREVIOUS_ENCODING_AES_KEY"):
        value = options.get(key, "")
        if value and (not isinstance(value, str) or not _AES_KEY_RE.fullmatch(value)):
            length = len(value) if isinstance(value, str) else type(value).__name__
            # A stray character is named (never the key: it is a secret) before the length.
            wrong = [
                (n, c)
                for n, c in enumerate(value if isinstance(value, str) else "", 1)
                if not (c.isascii() and c.isalnum())
            ]
            if wrong:
                message = _(
                    "%(where)s[%(key)r] may hold only letters and digits; character "
                    "%(position)d is %(char)r."
                ) % {"where": where, "key": key, "position": wrong[0][0], "char": wrong[0][1]}
            else:
                message = _(
                    "%(where)s[%(key)r] must be exactly 43 letters and digits (it has %(length)s)."
                ) % {"where": where, "key": key, "length": length}
            yield Problem(
                "wechat.E005",
                message,
                _(
                    "Copy EncodingAESKey from the WeChat console (基本配置 → 消息加解密密钥) "
                    "without spaces or the trailing '='."
                ),
            )
    mode = options.get("ENCRYPT_MODE", ACCOUNT_DEFAULTS["ENCRYPT_MODE"])
    modes = [m.value for m in EncryptMode]
    if mode not in modes:
        yield Problem(
            "wechat.E006",
            _("%(where)s['ENCRYPT_MODE'] is %(mode)r; it must be one of %(modes)s.")
            % {"where": where, "mode": mode, "modes": ", ".join(modes)},
            _(
                "Use the mode chosen in the WeChat console: "
                "明文 = 'plain', 兼容 = 'compatible', 安全 = 'safe'."
            ),
        )
    elif mode != EncryptMode.PLAIN and not options.get("ENCODING_AES_KEY"):
        yield Problem(
            "wechat.E007",
            _("%(where)s uses ENCRYPT_MODE %(mode)r but has no ENCODING_AES_KEY.")
            % {"where": where, "mode": mode},
            _("Add the account's 43-character EncodingAESKey, or set ENCRYPT_MODE to 'plain'."),
        )
    source = options.get("TOKEN_SOURCE", ACCOUNT_DEFAULTS["TOKEN_SOURCE"])
    sources = [s.value for s in TokenSource]
    if source not in sources:
        yield Problem(
            "wechat.E012",
            _("%(where)s['TOKEN_SOURCE'] is %(source)r; it must be one of %(sources)s.")
            % {"where": where, "source": source, "sources": ", ".join(sources)},
            _("Use 'stable_token' to share one token with other services, else 'token'."),
        )
    func = options.get("ACCESS_TOKEN_FUNC", "")
    if func and (not isinstance(func, str) or "." not in func):
        yield Problem(
            "wechat.E013",
            _("%(where)s['ACCESS_TOKEN_FUNC'] must be a dotted path such as 'myapp.tokens.fetch'.")
            % {"where": where},
            _("Name a callable that returns (access_token, expires_at)."),
        )
    extra = options.get("OPTIONS", {})
    if not isinstance(extra, Mapping):
        yield Problem(
            "wechat.E014",
            _("%(where)s['OPTIONS'] must be a dict.") % {"where": where},
            _("Remove it or make it a dict of per-account options."),
        )


@cache
def get_accounts() -> dict[str, Account]:
    """Every configured account by name.

    Raises :class:`~django_wechat.exceptions.ImproperlyConfigured` with the system
    check's message when ``settings.WECHAT`` has an error.
    """
    for problem in validate():
        if not problem.warning:
            raise ImproperlyConfigured(f"{problem.msg} {problem.hint} ({problem.id})")
    accounts: dict[str, Account] = {}
    configured: Mapping[str, Mapping[str, Any]] = getattr(settings, "WECHAT", {})["ACCOUNTS"]
    for name, raw in configured.items():
        options = {**ACCOUNT_DEFAULTS, **raw}
        accounts[name] = Account(
            name=name,
            app_id=options["APP_ID"],
            app_secret=options["APP_SECRET"],
            token=options["TOKEN"],
            encoding_aes_key=options["ENCODING_AES_KEY"] or "",
            previous_encoding_aes_key=options["PREVIOUS_ENCODING_AES_KEY"] or "",
            encrypt_mode=EncryptMode(options["ENCRYPT_MODE"]),
            token_source=TokenSource(options["TOKEN_SOURCE"]),
            access_token_func=options["ACCESS_TOKEN_FUNC"] or "",
            options=dict(options["OPTIONS"]),
        )
    return accounts


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
        get_accounts.cache_clear()
