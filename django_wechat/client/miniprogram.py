"""Mini-program login (小程序登录) and phone numbers: ``client.miniprogram``.

https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html
"""

from __future__ import annotations

from typing import Any

from django.views.decorators.debug import sensitive_variables

from .group import APIGroup


class MiniProgram(APIGroup):
    """Exchange a ``wx.login()`` code for the user's openid and session_key; a
    ``getPhoneNumber`` code for the phone number."""

    @sensitive_variables()
    def code_to_session(self, js_code: str) -> dict[str, Any]:
        """``{"openid", "session_key", "unionid"?}`` for a ``wx.login()`` code.

        Keep ``session_key`` on the server: it decrypts the user's data and must never
        reach the mini program. The exchange is never sent twice: when its answer is
        lost, the code may be used up, and a
        :class:`~django_wechat.exceptions.TransportError` says so.
        """
        return self._get_as_app(
            "sns/jscode2session", js_code=js_code, grant_type="authorization_code"
        )

    #: WeChat's name for :meth:`code_to_session`.
    jscode2session = code_to_session

    @sensitive_variables()
    def get_phone_number(self, code: str) -> dict[str, Any]:
        """The ``phone_info`` of a ``getPhoneNumber`` button's ``code`` (single use):
        ``phoneNumber``, ``purePhoneNumber``, ``countryCode`` and ``watermark``
        (``appid``, ``timestamp``); ``wxa/business/getuserphonenumber``."""
        answer = self._post(
            "wxa/business/getuserphonenumber", json={"code": code}, idempotent=False
        )
        info: dict[str, Any] = answer.get("phone_info") or {}
        return info
