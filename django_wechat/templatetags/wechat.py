"""``{% load wechat %}``: the signed JS-SDK configuration for the current page.

::

    <script src="https://res.wx.qq.com/open/js/jweixin-1.6.0.js"></script>
    <script>
      {% wechat_jssdk_config js_api_list="chooseImage scanQRCode" %}
      wx.ready(function () { ... });
    </script>
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ..client import get_client
from ..conf import DEFAULT_ACCOUNT
from ..exceptions import APIError, TokenUnavailable, TransportError

register = template.Library()
logger = logging.getLogger("django_wechat.jssdk")

# Characters that could end the <script> element or open an HTML comment inside it.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _api_list(js_api_list: str | Iterable[str]) -> list[str]:
    if isinstance(js_api_list, str):
        return js_api_list.replace(",", " ").split()
    return [str(api) for api in js_api_list]


@register.simple_tag(takes_context=True)
def wechat_jssdk_config(
    context: template.Context,
    js_api_list: str | Iterable[str] = "",
    account: str = DEFAULT_ACCOUNT,
    debug: bool = False,
) -> SafeString:
    """``wx.config({...});`` signed for the current request's URL (without its fragment).

    ``js_api_list`` is a list or a string of names separated by spaces or commas. The
    URL is ``request.build_absolute_uri()``: behind a TLS-terminating proxy, set
    ``SECURE_PROXY_SSL_HEADER`` (and ``USE_X_FORWARDED_HOST`` if needed) so that it is
    the URL the follower's browser shows, or WeChat rejects the signature (invalid signature).
    """
    request: Any = context.get("request")
    if request is None:
        raise template.TemplateSyntaxError(
            _(
                "wechat_jssdk_config needs the request in the template context: add "
                "'django.template.context_processors.request' to TEMPLATES' "
                "context_processors."
            )
        )
    try:
        config = get_client(account).jsapi.get_jsapi_config(
            request.build_absolute_uri(), _api_list(js_api_list), debug=bool(debug)
        )
    except (TransportError, APIError, TokenUnavailable) as exc:
        # One slow or failing upstream must not take down every page that uses the tag:
        # the page renders without wx.config() (the JS-SDK stays unconfigured).
        logger.error(
            "wechat_jssdk_config: no JS-SDK signature for account %r: %s (%s).",
            account,
            exc,
            type(exc).__name__,
        )
        return mark_safe("/* wechat_jssdk_config: WeChat is unavailable, see the server log */")
    payload = json.dumps(config, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
    return mark_safe(f"wx.config({payload});")  # noqa: S308 - JSON with <, >, & escaped


# --- the website QR login inside the page (wxLogin.js) ---------------------------------------

#: WeChat's script that draws the website QR login inside a page (网站应用微信登录).
WX_LOGIN_JS = "https://res.wx.qq.com/connect/zh_CN/htmledition/js/wxLogin.js"


@register.inclusion_tag("django_wechat/oauth/qr_login.html")
def wechat_qr_login(
    account: str,
    next: str = "",
    element_id: str = "wechat-qr-login",
    style: str = "black",
    href: str = "",
    self_redirect: bool = False,
    script_url: str = WX_LOGIN_JS,
) -> dict[str, Any]:
    """The website QR login drawn inside the page by WeChat's ``wxLogin.js``::

        {% load wechat %}
        {% wechat_qr_login "web" next="/orders/" %}

    ``account`` is a website account (``KIND: "website"``). The page's script asks
    ``wechat:oauth_login`` (``?embed=1``) for a fresh state, so the server mints and
    checks it as for the redirecting login; ``style`` is ``"black"`` or ``"white"``,
    ``href`` a stylesheet URL for the QR box, ``self_redirect`` keeps the redirect inside
    the box's frame.
    """
    from ..oauth.views import login_url

    url = login_url(account, next)
    url += ("&" if "?" in url else "?") + "embed=1"
    return {
        "element_id": element_id,
        "options_id": f"{element_id}-options",
        "script_url": script_url,
        "options": {
            "url": url,
            "id": element_id,
            "style": style,
            "href": href,
            "self_redirect": bool(self_redirect),
        },
    }
