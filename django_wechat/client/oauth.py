"""Web OAuth (网页授权) for followers who open the account's pages: ``client.oauth``.

The login views and the auth backend build on these calls. The OAuth access_token is the
follower's, not the account's: it is never cached with the account's token.
https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from ..exceptions import APIError
from .group import APIGroup

SCOPES = ("snsapi_base", "snsapi_userinfo")


class OAuth(APIGroup):
    """Authorize URLs, the code exchange, refresh, userinfo."""

    def authorize_url(self, redirect_uri: str, scope: str = "snsapi_base", state: str = "") -> str:
        """The URL to send a follower to; WeChat comes back to ``redirect_uri?code=…&state=…``.

        ``state`` (letters and digits, at most 128 bytes) should be an unguessable value
        kept in the session, to be checked on return.
        """
        if scope not in SCOPES:
            raise ValueError(_("scope must be one of %(scopes)s.") % {"scopes": ", ".join(SCOPES)})
        return self._url("connect/oauth2/authorize", redirect_uri, scope, state)

    def qrconnect_url(self, redirect_uri: str, state: str = "") -> str:
        """The website QR-code login URL (open platform web apps, scope ``snsapi_login``)."""
        return self._url("connect/qrconnect", redirect_uri, "snsapi_login", state)

    def _url(self, path: str, redirect_uri: str, scope: str, state: str) -> str:
        query = urlencode(
            {
                "appid": self.client.account.app_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": scope,
                "state": state,
            }
        )
        # "#wechat_redirect" is mandatory: without it WeChat shows an error page.
        return f"{self.client.oauth_base_url}/{path}?{query}#wechat_redirect"

    @sensitive_variables()
    def fetch_access_token(self, code: str) -> dict[str, Any]:
        """Exchange the ``code`` WeChat sent back (single use, 5 minutes) for the follower's
        ``access_token``, ``refresh_token``, ``openid``, ``scope`` (and ``unionid``).

        The exchange is never sent twice: when its answer is lost, the code may be used
        up, and a :class:`~django_wechat.exceptions.TransportError` says so."""
        return self._get_as_app(
            "sns/oauth2/access_token", code=code, grant_type="authorization_code"
        )

    @sensitive_variables()
    def refresh_access_token(self, refresh_token: str) -> dict[str, Any]:
        """A new follower access_token for a ``refresh_token`` (valid 30 days)."""
        return self._get_as_app(
            "sns/oauth2/refresh_token",
            secret=False,
            grant_type="refresh_token",
            refresh_token=refresh_token,
        )

    @sensitive_variables()
    def get_user_info(self, openid: str, access_token: str, lang: str = "zh_CN") -> dict[str, Any]:
        """The follower's profile (scope ``snsapi_userinfo`` only)."""
        return self._get(
            "sns/userinfo",
            params={"access_token": access_token, "openid": openid, "lang": lang},
            with_token=False,
        )

    @sensitive_variables()
    def check_access_token(self, openid: str, access_token: str) -> bool:
        """True when WeChat still accepts the follower's access_token."""
        try:
            self._get(
                "sns/auth",
                params={"access_token": access_token, "openid": openid},
                with_token=False,
            )
        except APIError:
            return False
        return True
