"""JS-SDK tickets and signatures (JS-SDK 说明文档 附录1): ``client.jsapi``.

https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from typing import Any

from django.views.decorators.debug import sensitive_variables

from .group import APIGroup


@sensitive_variables()
def jsapi_signature(noncestr: str, ticket: str, timestamp: int | str, url: str) -> str:
    """The ``wx.config`` signature: sha1 of ``jsapi_ticket=…&noncestr=…&timestamp=…&url=…``.

    The keys are lower case and sorted; the values go in raw (not URL-encoded), and
    ``url`` is the page's URL without its ``#fragment``.
    """
    fields = {"noncestr": noncestr, "jsapi_ticket": ticket, "timestamp": timestamp, "url": url}
    plain = "&".join(f"{key}={fields[key]}" for key in sorted(fields))
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()


class JSAPI(APIGroup):
    """The ``jsapi`` and ``wx_card`` tickets (shared through the cache like the token)
    and the signed configuration ``wx.config`` takes."""

    @sensitive_variables()
    def get_ticket(self, type: str = "jsapi") -> dict[str, Any]:
        """``{"ticket", "expires_in"}`` for ``jsapi`` or ``wx_card``, from the shared cache."""
        credential = self.client.get_ticket(type)
        return {"ticket": credential.value, "expires_in": max(0, int(credential.remaining()))}

    def get_jsapi_ticket(self) -> str:
        """The ``jsapi`` ticket."""
        return self.client.get_ticket("jsapi").value

    def get_jsapi_card_ticket(self) -> str:
        """The ``wx_card`` ticket (the card api_ticket)."""
        return self.client.get_ticket("wx_card").value

    @sensitive_variables()
    def get_jsapi_signature(
        self, noncestr: str, ticket: str, timestamp: int | str, url: str
    ) -> str:
        """The signature of a ``wx.config``: see :func:`jsapi_signature`."""
        return jsapi_signature(noncestr, ticket, timestamp, url)

    @sensitive_variables()
    def get_jsapi_config(
        self,
        url: str,
        js_api_list: Iterable[str],
        *,
        debug: bool = False,
        open_tag_list: Iterable[str] = (),
    ) -> dict[str, Any]:
        """What ``wx.config()`` takes for the page at ``url``, signed with a fresh nonce.

        ``url`` is the page's full URL; a ``#fragment`` is dropped, as WeChat requires.
        """
        page = url.split("#", 1)[0]
        nonce = secrets.token_hex(8)
        timestamp = int(time.time())
        config: dict[str, Any] = {
            "debug": debug,
            "appId": self.client.account.app_id,
            "timestamp": timestamp,
            "nonceStr": nonce,
            "signature": jsapi_signature(nonce, self.get_jsapi_ticket(), timestamp, page),
            "jsApiList": list(js_api_list),
        }
        tags = list(open_tag_list)
        if tags:
            config["openTagList"] = tags
        return config
