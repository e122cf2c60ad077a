"""Every error django_wechat raises derives from :class:`WeChatError`.

Several classes also derive from the standard exception a caller would already catch:
:class:`InvalidSignature` is a :class:`~django.core.exceptions.SuspiciousOperation`
(Django answers 400 and logs it on the ``django.security`` logger), and
:class:`ImproperlyConfigured` is Django's own, so a configuration mistake is never
swallowed by a broad ``except WeChatError``.
"""

from __future__ import annotations

from typing import Any

from django.core import exceptions as django_exceptions

from ._i18n import gettext as _


class WeChatError(Exception):
    """The root of every django_wechat error."""


class ImproperlyConfigured(WeChatError, django_exceptions.ImproperlyConfigured):
    """``settings.WECHAT`` is missing, malformed, or names an unknown account."""


class UnknownAccount(ImproperlyConfigured, LookupError):
    """An account name that is not a key of ``WECHAT["ACCOUNTS"]``."""

    def __init__(self, name: str, configured: list[str]) -> None:
        self.name = name
        self.configured = configured
        # Account names are not secrets: DEBUG's 404 page shows this too.
        super().__init__(
            _("No WeChat account %(name)r in WECHAT['ACCOUNTS']; configured: %(names)s.")
            % {"name": name, "names": ", ".join(map(repr, configured)) or "-"}
        )


# --- the callback: what WeChat sends us -------------------------------------------------


class SuspiciousCallback(WeChatError, django_exceptions.SuspiciousOperation):
    """A callback request that must not reach any handler."""


class InvalidSignature(SuspiciousCallback):
    """``signature`` or ``msg_signature`` does not match the request."""


class RequestExpired(SuspiciousCallback):
    """The request's ``timestamp`` is too far from the server's clock (a possible replay)."""


class DecryptError(SuspiciousCallback):
    """An encrypted body that cannot be decrypted: bad base64, padding, length or key."""


class InvalidAppId(DecryptError):
    """The decrypted message names another account's AppID."""


class XMLError(SuspiciousCallback, ValueError):
    """XML that is malformed, too large, or hostile (DOCTYPE, entities, processing instructions)."""


class ReplyError(WeChatError, ValueError):
    """A passive reply that WeChat would refuse (for example too many articles)."""


# --- the API: what WeChat answers us ----------------------------------------------------


class APIError(WeChatError):
    """WeChat answered an API call with a non-zero ``errcode``.

    ``str()`` names the API path, the errcode and WeChat's errmsg; it never contains the
    access_token, the AppSecret or the request's query string.

    ``response``, when set, is a :class:`django_wechat.client.base.ErrorAnswer`: the HTTP
    status and the JSON answer (``.status_code``, ``.json()``) with its secrets redacted,
    never the :class:`requests.Response`, whose URL carries the access_token.
    """

    def __init__(
        self,
        errcode: int,
        errmsg: str,
        api: str,
        *,
        response: Any = None,
    ) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.api = api
        self.response = response
        super().__init__(errcode, errmsg, api)

    def __str__(self) -> str:
        return f"WeChat API {self.api} failed: errcode={self.errcode}, errmsg={self.errmsg!r}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(errcode={self.errcode!r}, "
            f"errmsg={self.errmsg!r}, api={self.api!r})"
        )


class QuotaExceeded(APIError):
    """errcode 45009 (daily quota) or 45011 (minute quota): back off, do not retry."""


class InvalidCredential(APIError):
    """An access_token or AppSecret WeChat does not accept (40001, 40014, 42001, 40125...)."""


class CacheUnavailable(WeChatError, ConnectionError):
    """A call to the Django cache that holds django_wechat's keys failed (Redis down,
    stalled past its socket timeout, or refusing the command).

    Also a :class:`ConnectionError` (so an ``OSError``), as a caller catching network
    failures expects. ``alias`` names the cache in ``CACHES`` (``"?"`` when the cache is
    not one of them); the backend's own exception is chained as ``__cause__``.
    """

    def __init__(self, alias: str) -> None:
        self.alias = alias
        super().__init__(_("The cache %(alias)r did not answer django_wechat.") % {"alias": alias})

    def __str__(self) -> str:
        cause = self.__cause__
        text = str(self.args[0]) if self.args else ""
        return f"{text} ({type(cause).__name__})" if cause is not None else text

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.alias,))


class TokenUnavailable(WeChatError):
    """No access_token or ticket could be had in time (another process held the lock too long)."""


class AccountKindError(WeChatError):
    """An API group (or the access_token) an account of this ``KIND`` cannot use, such as
    ``client.menu`` of a website app."""

    def __init__(self, account: str, kind: str, group: str, groups: list[str]) -> None:
        self.account = account
        self.kind = kind
        self.group = group
        super().__init__(
            _(
                "Account %(name)r is of KIND %(kind)r, which has no access to "
                "client.%(group)s; it may use %(groups)s."
            )
            % {
                "name": account,
                "kind": kind,
                "group": group,
                "groups": ", ".join(f"client.{g}" for g in groups),
            }
        )


class TransportError(WeChatError):
    """The HTTP exchange with WeChat failed: connection refused, timeout, HTTP 5xx, not JSON."""

    def __init__(self, message: str, api: str) -> None:
        self.api = api
        super().__init__(f"WeChat API {api}: {message}")


# --- the callback view's own refusals -----------------------------------------------------


class BodyTooLarge(SuspiciousCallback):
    """A callback body larger than ``WECHAT["MAX_BODY_SIZE"]``; refused before it is read."""


class MalformedQuery(SuspiciousCallback):
    """A signed query value of a shape WeChat never sends (a ``timestamp`` or ``nonce`` that
    is not digits, a ``msg_signature`` that is not 40 hex digits); refused with a 400."""


class EncryptionMismatch(SuspiciousCallback):
    """A plaintext callback to an account whose mode requires encryption, or the reverse."""


class CallbackUnavailable(WeChatError):
    """The callback cannot be answered safely now: the cache that de-duplicates messages
    (and, in plain mode, binds a signature to its body) failed. The view answers 503 and
    WeChat delivers the message again (``WECHAT["CACHE_FAILURE"]``)."""
