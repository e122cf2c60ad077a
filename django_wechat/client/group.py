"""The base class of the API groups (``client.menu``, ``client.user`` ...): :class:`APIGroup`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import hide_locals

if TYPE_CHECKING:
    from .client import WeChatClient


class APIGroup:
    """The base of ``client.menu``, ``client.user`` ...: a set of calls on one client."""

    def __init__(self, client: WeChatClient) -> None:
        self.client = client

    def _get(self, api: str, **kwargs: Any) -> dict[str, Any]:
        """``client.request("GET", api, ...)``: WeChat's JSON answer."""
        return self._request("GET", api, **kwargs)

    def _post(self, api: str, **kwargs: Any) -> dict[str, Any]:
        """``client.request("POST", api, ...)``: WeChat's JSON answer."""
        return self._request("POST", api, **kwargs)

    def _request(self, method: str, api: str, **kwargs: Any) -> dict[str, Any]:
        # Typed here, once for every group: request() answers the JSON object, and a
        # Response only with raw=True, which Media.download asks of the client itself.
        answer: dict[str, Any] = self.client.request(method, api, **kwargs)
        return answer

    @hide_locals
    def _get_as_app(self, api: str, *, secret: bool = True, **params: Any) -> dict[str, Any]:
        """GET an API that takes the AppID (and AppSecret) instead of the access_token."""
        account = self.client.account
        query = {"appid": account.app_id, **({"secret": account.app_secret} if secret else {})}
        return self._get(api, params={**query, **params}, with_token=False)
