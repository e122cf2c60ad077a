"""System checks for ``settings.WECHAT`` (ids ``wechat.E001`` ... and ``wechat.W001`` ...).

Every rule about ``settings.WECHAT`` lives here; :mod:`django_wechat.conf` holds only the
schema (defaults, enums, the EncodingAESKey pattern) and reads settings. The check is
registered with Django's check registry under :data:`~django_wechat.conf.CHECK_TAG` when
this module is imported, which :mod:`django_wechat.apps` does as the app config loads.
``conf.get_accounts()`` runs the checks of that tag through the registry, so the rules
serve both ``manage.py check`` and the run-time refusal of a broken configuration
without ``conf`` importing this module (``conf`` is the bottom layer, ``checks`` sits
above it).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .conf import (
    ACCOUNT_DEFAULTS,
    AES_KEY_RE,
    CALLBACK_ACCOUNT_KEYS,
    CHECK_TAG,
    DEFAULTS,
    META_KEY_RE,
    REQUIRED_KEYS_BY_KIND,
    AccountKind,
    CacheFailurePolicy,
    EncryptMode,
    TokenSource,
)
from .starter import REDIS_CACHES

__all__ = ["check_settings"]

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


@register(CHECK_TAG)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every problem with ``settings.WECHAT``, as Django check messages; ``[]`` when sound."""
    return list(_problems())


def _problems() -> Iterator[CheckMessage]:
    if not hasattr(settings, "WECHAT"):
        yield Error(
            _("The WECHAT setting is missing."),
            hint=_("Add to settings.py:\n%(example)s") % {"example": _EXAMPLE},
            id="wechat.E001",
        )
        return
    raw: Any = settings.WECHAT
    if not isinstance(raw, Mapping):
        yield Error(
            _("WECHAT must be a dict, not %(type)s.") % {"type": type(raw).__name__},
            hint=_("Set it like this:\n%(example)s") % {"example": _EXAMPLE},
            id="wechat.E002",
        )
        return
    yield from _unknown_keys(raw, {*DEFAULTS, "ACCOUNTS"}, "WECHAT")
    yield from _validate_globals(raw)

    accounts = raw.get("ACCOUNTS")
    if not isinstance(accounts, Mapping) or not accounts:
        yield Error(
            _("WECHAT['ACCOUNTS'] must be a non-empty dict of accounts."),
            hint=_("Add at least one account:\n%(example)s") % {"example": _EXAMPLE},
            id="wechat.E003",
        )
        return

    seen_app_ids: dict[str, str] = {}
    for name, options in accounts.items():
        where = f"WECHAT['ACCOUNTS'][{name!r}]"
        if not isinstance(options, Mapping):
            yield Error(
                _("%(where)s must be a dict, not %(type)s.")
                % {"where": where, "type": type(options).__name__},
                hint=_("Give the account APP_ID, APP_SECRET and TOKEN:\n%(example)s")
                % {"example": _EXAMPLE},
                id="wechat.E003",
            )
            continue
        yield from _validate_account(where, options)
        app_id = options.get("APP_ID")
        if isinstance(app_id, str) and app_id:
            if app_id in seen_app_ids:
                yield Error(
                    _("Accounts %(first)r and %(second)r have the same APP_ID %(app_id)r.")
                    % {"first": seen_app_ids[app_id], "second": name, "app_id": app_id},
                    hint=_(
                        "Each account is one Official Account with its own APP_ID; "
                        "remove the duplicate or correct its APP_ID."
                    ),
                    id="wechat.E008",
                )
            else:
                seen_app_ids[app_id] = name

    alias = raw.get("CACHE", DEFAULTS["CACHE"])
    caches = getattr(settings, "CACHES", {})
    if alias not in caches:
        yield Error(
            _("WECHAT['CACHE'] names the cache %(alias)r, which is not in CACHES.")
            % {"alias": alias},
            hint=_("Use one of %(aliases)s, or add %(alias)r to CACHES.")
            % {"aliases": ", ".join(repr(a) for a in caches) or "(none)", "alias": alias},
            id="wechat.E009",
        )
    elif not settings.DEBUG and "locmem" in str(caches[alias].get("BACKEND", "")).lower():
        yield Warning(
            _(
                "WECHAT['CACHE'] (%(alias)r) is a local-memory cache: each process would "
                "fetch its own access_token and invalidate the others'."
            )
            % {"alias": alias},
            hint=_(
                "Point WECHAT['CACHE'] at a cache every process shares, such as "
                "django-redis (pip install 'django-wechat-oa[redis]'):\n%(example)s"
            )
            % {"example": REDIS_CACHES},
            id="wechat.W001",
        )
    else:
        yield from _cache_timeouts(alias, caches[alias])


# The socket timeouts of each Redis backend, as its OPTIONS spell them: without them a
# stalled Redis holds every cache call for redis-py's default (none, or the OS's TCP
# timeouts), longer than the 5 s WeChat waits for a callback's answer.
_REDIS_TIMEOUTS = {
    "django_redis.cache.RedisCache": ("SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT"),
    "django.core.cache.backends.redis.RedisCache": ("socket_connect_timeout", "socket_timeout"),
}


def _cache_timeouts(alias: str, config: Any) -> Iterator[CheckMessage]:
    """**wechat.W003**: a Redis cache without socket timeouts."""
    backend = config.get("BACKEND", "") if isinstance(config, Mapping) else ""
    names = _REDIS_TIMEOUTS.get(str(backend))
    if names is None:
        return
    options = config.get("OPTIONS") or {}
    missing = [name for name in names if not isinstance(options, Mapping) or not options.get(name)]
    if missing:
        yield Warning(
            _(
                "WECHAT['CACHE'] (%(alias)r) is a Redis cache without %(missing)s: a Redis "
                "that stalls would hold each callback past the 5 seconds WeChat waits."
            )
            % {"alias": alias, "missing": " and ".join(missing)},
            hint=_(
                "Set both in CACHES[%(alias)r]['OPTIONS'], in seconds (2 leaves time to "
                "answer), as in:\n%(example)s"
            )
            % {
                "alias": alias,
                # starter's production CACHES for django-redis; the two options alone for
                # Django's own backend, which spells them in lower case.
                "example": REDIS_CACHES
                if backend == "django_redis.cache.RedisCache"
                else '"OPTIONS": {{"{}": 2, "{}": 2}}'.format(*names),
            },
            id="wechat.W003",
        )


def _unknown_keys(raw: Mapping[str, Any], known: set[str], where: str) -> Iterator[CheckMessage]:
    for key in raw:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), sorted(known), n=1)
        hint = (
            _("Did you mean %(key)r?") % {"key": close[0]}
            if close
            else _("Known keys: %(keys)s.") % {"keys": ", ".join(sorted(known))}
        )
        yield Warning(
            _("%(where)s has an unknown key %(key)r; it is ignored.")
            % {"where": where, "key": key},
            hint=hint,
            id="wechat.W002",
        )


def _validate_globals(raw: Mapping[str, Any]) -> Iterator[CheckMessage]:
    for name in ("API_BASE_URL", "OAUTH_BASE_URL"):
        value = raw.get(name, DEFAULTS[name])
        if not isinstance(value, str) or not re.match(r"https?://[^/]+", value):
            yield Error(
                _("WECHAT[%(name)r] must be an http(s) URL, not %(value)r.")
                % {"name": name, "value": value},
                hint=_("Leave it out for WeChat's own (%(default)s).")
                % {"default": DEFAULTS[name]},
                id="wechat.E010",
            )
    for name in ("TIMEOUT", "MAX_BODY_SIZE", "TIMESTAMP_TOLERANCE"):
        value = raw.get(name, DEFAULTS[name])
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            yield Error(
                _("WECHAT[%(name)r] must be a positive number, not %(value)r.")
                % {"name": name, "value": value},
                hint=_("Leave it out for the default (%(default)s).") % {"default": DEFAULTS[name]},
                id="wechat.E010",
            )
    # The receivers' switches (follower events, delivery status, the inbound log).
    for name in ("FOLLOWER_EVENTS", "TRACK_TEMPLATE_STATUS", "LOG_MESSAGES"):
        value = raw.get(name, DEFAULTS[name])
        if not isinstance(value, bool):
            yield Error(
                _("WECHAT[%(name)r] must be True or False, not %(value)r.")
                % {"name": name, "value": value},
                hint=_("Leave it out for the default (%(default)s).") % {"default": DEFAULTS[name]},
                id="wechat.E010",
            )
    policy = raw.get("CACHE_FAILURE", DEFAULTS["CACHE_FAILURE"])
    if choices := _outside(policy, CacheFailurePolicy):
        yield Error(
            _("WECHAT['CACHE_FAILURE'] is %(value)r; it must be one of %(choices)s.")
            % {"value": policy, "choices": choices},
            hint=_(
                "'refuse' (the default) answers 503 while the cache fails, so WeChat "
                "delivers the message again; 'answer' runs the handler without "
                "de-duplication. Plain-mode accounts always refuse."
            ),
            id="wechat.E016",
        )


def _validate_account(where: str, options: Mapping[str, Any]) -> Iterator[CheckMessage]:
    yield from _unknown_keys(options, set(ACCOUNT_DEFAULTS), where)
    kind_value = options.get("KIND", ACCOUNT_DEFAULTS["KIND"])
    if kinds := _outside(kind_value, AccountKind):
        yield Error(
            _("%(where)s['KIND'] is %(kind)r; it must be one of %(kinds)s.")
            % {"where": where, "kind": kind_value, "kinds": kinds},
            hint=_(
                "'official' for an Official Account (公众号), 'website' for an open-platform "
                "website app (网站应用), 'miniprogram' for a mini program (小程序)."
            ),
            id="wechat.E030",
        )
        return
    kind = AccountKind(kind_value)
    yield from _kind_problems(where, kind, options)
    for key in REQUIRED_KEYS_BY_KIND[kind]:
        value = options.get(key)
        if not isinstance(value, str) or not value:
            yield Error(
                _("%(where)s has no %(key)s.") % {"where": where, "key": key},
                hint=_(
                    "Copy %(key)s from the WeChat console (公众平台 → 设置与开发 → 基本配置) "
                    "into %(where)s[%(key)r], preferably from an environment variable."
                )
                % {"key": key, "where": where},
                id="wechat.E004",
            )
    app_id = options.get("APP_ID")
    if isinstance(app_id, str) and app_id and not _APP_ID_RE.fullmatch(app_id):
        yield Error(
            _(
                "%(where)s['APP_ID'] is %(app_id)r, which is not a WeChat AppID: "
                "'wx' followed by 16 hexadecimal digits (0-9, a-f)."
            )
            % {"where": where, "app_id": app_id},
            hint=_(
                "Copy the AppID (开发者ID) from the WeChat console (设置与开发 → 基本配置), "
                "such as 'wx0123456789abcdef'."
            ),
            id="wechat.E015",
        )
    token = options.get("TOKEN")
    if kind is AccountKind.WEBSITE:
        return  # no callback and no access_token: _kind_problems named what is ignored
    if kind is AccountKind.MINIPROGRAM and not token:
        # No message push: its keys were named by _kind_problems, and are ignored.
        yield from _token_problems(where, options)
        return
    if isinstance(token, str) and token and not _TOKEN_RE.fullmatch(token):
        yield Error(
            _("%(where)s['TOKEN'] must be 3 to 32 letters or digits.") % {"where": where},
            hint=_("WeChat's console accepts only such tokens; set the same value in both places."),
            id="wechat.E011",
        )
    for key in ("ENCODING_AES_KEY", "PREVIOUS_ENCODING_AES_KEY"):
        value = options.get(key, "")
        if value and (not isinstance(value, str) or not AES_KEY_RE.fullmatch(value)):
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
            yield Error(
                message,
                hint=_(
                    "Copy EncodingAESKey from the WeChat console (基本配置 → 消息加解密密钥) "
                    "without spaces or the trailing '='."
                ),
                id="wechat.E005",
            )
    mode = options.get("ENCRYPT_MODE", ACCOUNT_DEFAULTS["ENCRYPT_MODE"])
    if modes := _outside(mode, EncryptMode):
        yield Error(
            _("%(where)s['ENCRYPT_MODE'] is %(mode)r; it must be one of %(modes)s.")
            % {"where": where, "mode": mode, "modes": modes},
            hint=_(
                "Use the mode chosen in the WeChat console: "
                "明文 = 'plain', 兼容 = 'compatible', 安全 = 'safe'."
            ),
            id="wechat.E006",
        )
    elif mode != EncryptMode.PLAIN and not options.get("ENCODING_AES_KEY"):
        yield Error(
            _("%(where)s uses ENCRYPT_MODE %(mode)r but has no ENCODING_AES_KEY.")
            % {"where": where, "mode": mode},
            hint=_(
                "Add the account's 43-character EncodingAESKey, or set ENCRYPT_MODE to 'plain'."
            ),
            id="wechat.E007",
        )
    yield from _token_problems(where, options)


def _token_problems(where: str, options: Mapping[str, Any]) -> Iterator[CheckMessage]:
    source = options.get("TOKEN_SOURCE", ACCOUNT_DEFAULTS["TOKEN_SOURCE"])
    if sources := _outside(source, TokenSource):
        yield Error(
            _("%(where)s['TOKEN_SOURCE'] is %(source)r; it must be one of %(sources)s.")
            % {"where": where, "source": source, "sources": sources},
            hint=_("Use 'stable_token' to share one token with other services, else 'token'."),
            id="wechat.E012",
        )
    func = options.get("ACCESS_TOKEN_FUNC", "")
    if func and (not isinstance(func, str) or "." not in func):
        yield Error(
            _("%(where)s['ACCESS_TOKEN_FUNC'] must be a dotted path such as 'myapp.tokens.fetch'.")
            % {"where": where},
            hint=_("Name a callable that returns (access_token, expires_at)."),
            id="wechat.E013",
        )
    extra = options.get("OPTIONS", {})
    if not isinstance(extra, Mapping):
        yield Error(
            _("%(where)s['OPTIONS'] must be a dict.") % {"where": where},
            hint=_("Remove it or make it a dict of per-account options."),
            id="wechat.E014",
        )


def _kind_problems(
    where: str, kind: AccountKind, options: Mapping[str, Any]
) -> Iterator[CheckMessage]:
    """What makes no sense for ``kind``: callback keys on a website app (it gets no
    callbacks) or on a mini program without a message-push TOKEN (**wechat.W030**)."""
    if kind is AccountKind.OFFICIAL:
        return
    if kind is AccountKind.WEBSITE:
        ignored = [key for key in CALLBACK_ACCOUNT_KEYS if key in options]
        ignored += [key for key in ("TOKEN_SOURCE", "ACCESS_TOKEN_FUNC") if key in options]
        hint = _(
            "A website app (网站应用) only logs users in: WeChat sends it no callbacks and "
            "gives it no access_token. Remove these keys."
        )
    else:
        if options.get("TOKEN"):
            return
        ignored = [key for key in CALLBACK_ACCOUNT_KEYS if key in options and key != "TOKEN"]
        hint = _(
            "Without a TOKEN the mini program gets no message push; add its push TOKEN "
            "(小程序后台 → 开发管理 → 消息推送) or remove these keys."
        )
    if ignored:
        yield Warning(
            _("%(where)s is of KIND %(kind)r, which does not use %(keys)s; ignored.")
            % {"where": where, "kind": kind.value, "keys": ", ".join(ignored)},
            hint=hint,
            id="wechat.W030",
        )


def _outside(value: Any, choices: type[StrEnum]) -> str:
    """The allowed values, comma-separated, when ``value`` is none of ``choices``; else ``""``."""
    allowed = [choice.value for choice in choices]
    return "" if value in allowed else ", ".join(allowed)


@register(CHECK_TAG)
def check_oauth_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``WECHAT["OAUTH_ADAPTER"]`` must import, ``OAUTH_STATE_TIMEOUT`` be positive
    (**wechat.E020**)."""
    raw = getattr(settings, "WECHAT", None)
    if not isinstance(raw, dict):
        return []  # validate() reports it
    problems: list[CheckMessage] = []
    adapter = raw.get("OAUTH_ADAPTER", DEFAULTS["OAUTH_ADAPTER"])
    try:
        import_string(adapter)
    except (ImportError, TypeError, ValueError):
        problems.append(
            Error(
                _("WECHAT['OAUTH_ADAPTER'] is %(value)r, which cannot be imported.")
                % {"value": adapter},
                hint=_(
                    "Name a subclass of django_wechat.oauth.adapter.WeChatAdapter by its "
                    "dotted path, or leave the setting out."
                ),
                id="wechat.E020",
            )
        )
    problems += _positive_integer(
        raw,
        "OAUTH_STATE_TIMEOUT",
        _("WECHAT['OAUTH_STATE_TIMEOUT'] must be a positive number of seconds, not %(value)r."),
        "wechat.E020",
    )
    return problems


# --- accounts of other kinds: the website QR login and the mini-program login (issue 11) ---


@register(CHECK_TAG)
def check_login_kinds(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``WECHAT["OAUTH_WEBSITE_ACCOUNTS"]`` pairs official accounts with website accounts
    (**wechat.E031**); ``MINIPROGRAM_LOGIN_RATE`` is a positive number (**wechat.E032**)."""
    raw = getattr(settings, "WECHAT", None)
    if not isinstance(raw, Mapping) or not isinstance(raw.get("ACCOUNTS"), Mapping):
        return []  # check_settings reports it
    accounts: Mapping[str, Any] = raw["ACCOUNTS"]

    def kind_of(name: Any) -> Any:
        options = accounts.get(name)
        if not isinstance(options, Mapping):
            return None
        return options.get("KIND", ACCOUNT_DEFAULTS["KIND"])

    problems: list[CheckMessage] = []
    pairs = raw.get("OAUTH_WEBSITE_ACCOUNTS", DEFAULTS["OAUTH_WEBSITE_ACCOUNTS"])
    example = "{'default': 'web'}"
    if not isinstance(pairs, Mapping):
        problems.append(
            Error(
                _("WECHAT['OAUTH_WEBSITE_ACCOUNTS'] must be a dict, not %(type)s.")
                % {"type": type(pairs).__name__},
                hint=_(
                    "Map each official account to the website account that logs its "
                    "followers in outside WeChat, such as %(example)s."
                )
                % {"example": example},
                id="wechat.E031",
            )
        )
        pairs = {}
    for official, website in pairs.items():
        if kind_of(official) != AccountKind.OFFICIAL.value:
            problems.append(
                Error(
                    _(
                        "WECHAT['OAUTH_WEBSITE_ACCOUNTS'] has the key %(name)r, which is not "
                        "an account of KIND 'official'."
                    )
                    % {"name": official},
                    hint=_("Its keys name official accounts of WECHAT['ACCOUNTS']."),
                    id="wechat.E031",
                )
            )
        if kind_of(website) != AccountKind.WEBSITE.value:
            problems.append(
                Error(
                    _(
                        "WECHAT['OAUTH_WEBSITE_ACCOUNTS'][%(official)r] is %(name)r, which is "
                        "not an account of KIND 'website'."
                    )
                    % {"official": official, "name": website},
                    hint=_(
                        "Add the open-platform website app (网站应用) to WECHAT['ACCOUNTS'] "
                        "with 'KIND': 'website', and name it here."
                    ),
                    id="wechat.E031",
                )
            )
    problems += _positive_integer(
        raw,
        "MINIPROGRAM_LOGIN_RATE",
        _(
            "WECHAT['MINIPROGRAM_LOGIN_RATE'] must be a positive number of logins per "
            "minute, not %(value)r."
        ),
        "wechat.E032",
    )
    return problems


@register(CHECK_TAG)
def check_client_address(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``WECHAT["CLIENT_ADDRESS"]`` is ``None``, a ``request.META`` key of a header
    (``"HTTP_X_REAL_IP"``) or ``"REMOTE_ADDR"``, or the dotted path of a function
    (**wechat.E033**)."""
    raw = getattr(settings, "WECHAT", None)
    if not isinstance(raw, Mapping):
        return []
    value = raw.get("CLIENT_ADDRESS", DEFAULTS["CLIENT_ADDRESS"])
    if value is None or (isinstance(value, str) and META_KEY_RE.fullmatch(value)):
        return []
    if isinstance(value, str) and "." in value:
        try:
            found = import_string(value)
        except Exception:  # the site's module may fail to import in any way
            found = None
        if callable(found):
            return []
        message = _("WECHAT['CLIENT_ADDRESS'] is %(value)r, which is not an importable function.")
    else:
        message = _(
            "WECHAT['CLIENT_ADDRESS'] is %(value)r: neither a request.META key nor a dotted path."
        )
    hint = _(
        "Name the header your proxy sets as request.META spells it, such as "
        "'HTTP_X_REAL_IP' or 'HTTP_X_FORWARDED_FOR', or give the dotted path of a "
        "function that takes the request and returns the address."
    )
    return [Error(message % {"value": value}, hint=hint, id="wechat.E033")]


@register(CHECK_TAG)
def check_broadcast_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``WECHAT["BROADCAST_SENDS_PER_LANE"]`` is a positive number (**wechat.E151**)."""
    raw = getattr(settings, "WECHAT", None)
    if not isinstance(raw, Mapping):
        return []  # check_settings reports it
    return _positive_integer(
        raw,
        "BROADCAST_SENDS_PER_LANE",
        _(
            "WECHAT['BROADCAST_SENDS_PER_LANE'] must be a positive number of sends a "
            "broadcast lane has in flight at once, not %(value)r."
        ),
        "wechat.E151",
    )


def _positive_integer(
    raw: Mapping[str, Any], name: str, message: str, check_id: str
) -> list[CheckMessage]:
    """An Error ``check_id`` with ``message`` unless ``raw[name]`` is absent or an int > 0."""
    value = raw.get(name, DEFAULTS[name])
    if not isinstance(value, bool) and isinstance(value, int) and value > 0:
        return []
    return [
        Error(
            message % {"value": value},
            hint=_("Leave it out for the default (%(default)s).") % {"default": DEFAULTS[name]},
            id=check_id,
        )
    ]
