"""Parametric QR codes (生成带参数的二维码): ``client.qrcode``.

https://developers.weixin.qq.com/doc/service/api/qrcode/qrcodes/api_createqrcode
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..conf import DEFAULTS
from .group import APIGroup

#: Where WeChat serves the image of a QR code ticket.
SHOW_QRCODE_URL = "https://mp.weixin.qq.com/cgi-bin/showqrcode"


class QRCode(APIGroup):
    """Create temporary and permanent QR codes that carry a scene."""

    def create(self, qrcode_data: Mapping[str, Any]) -> dict[str, Any]:
        """Create a QR code; returns ``{"ticket", "expire_seconds", "url"}``.

        ``qrcode_data`` is WeChat's body, for example ``{"expire_seconds": 604800,
        "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "promo"}}}``.
        Leaving out ``expire_seconds`` for a temporary code gets WeChat's 30 seconds.
        """
        return self._post("cgi-bin/qrcode/create", json=dict(qrcode_data))

    def get_url(self, ticket: str | Mapping[str, Any]) -> str:
        """The URL of the QR code's image, for a ticket or :meth:`create`'s answer.

        When ``WECHAT["API_BASE_URL"]`` points elsewhere than WeChat (the emulator),
        the image is asked of that server too.
        """
        value = ticket["ticket"] if isinstance(ticket, Mapping) else ticket
        base = SHOW_QRCODE_URL
        if self.client.api_base_url != DEFAULTS["API_BASE_URL"]:
            base = f"{self.client.api_base_url}/cgi-bin/showqrcode"
        # The ticket holds "=" and "/": it must be URL-encoded.
        return f"{base}?ticket={quote(str(value), safe='')}"
