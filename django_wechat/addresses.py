"""A request's client address, read as ``WECHAT["CLIENT_ADDRESS"]`` says, and the bucket
the mini-program rate limit counts it in.

``CLIENT_ADDRESS`` is ``None`` (``REMOTE_ADDR``), a ``request.META`` key that the site's
own proxy sets (``"HTTP_X_REAL_IP"``; of ``"HTTP_X_FORWARDED_FOR"`` the last entry, the
one the proxy appended), or the dotted path of the site's function of the request. The
system check ``wechat.E033`` vouches for the value's form.
"""

from __future__ import annotations

import ipaddress
import logging
import re

from django.http import HttpRequest
from django.utils.module_loading import import_string

from .conf import META_KEY_RE, wechat_settings

__all__ = ["client_address", "rate_bucket"]

logger = logging.getLogger("django_wechat")

# An IPv4 address with a port, as some load balancers write X-Forwarded-For.
_IPV4_WITH_PORT = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}):\d+")
# An IPv6 address with a port: "[2001:db8::1]:443".
_IPV6_WITH_PORT = re.compile(r"\[([0-9A-Fa-f:.]+)\](?::\d+)?")


def _remote_addr(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "")


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request``; ``REMOTE_ADDR`` when the setting's
    header is absent or empty, or when the site's function fails (logged)."""
    setting = wechat_settings.CLIENT_ADDRESS
    if setting is None:
        return _remote_addr(request)
    if META_KEY_RE.fullmatch(setting):
        last = str(request.META.get(setting) or "").rsplit(",", 1)[-1].strip()
        # Absent, empty, or what some proxies write when they know no address
        # ("unknown"): the request counts under the address it came from.
        return last if _ip(last) is not None else _remote_addr(request)
    try:
        found = str(import_string(setting)(request) or "").strip()
    except Exception:
        # The function reads what the client sent: its failure must not turn a refusal
        # into a 500. Behind a proxy REMOTE_ADDR is the proxy's, so this errs towards
        # limiting more, not less.
        logger.exception("WECHAT['CLIENT_ADDRESS'] %s failed; using REMOTE_ADDR", setting)
        return _remote_addr(request)
    return found or _remote_addr(request)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in ``text`` (a port after it dropped); None when there is none."""
    match = _IPV4_WITH_PORT.fullmatch(text) or _IPV6_WITH_PORT.fullmatch(text)
    try:
        return ipaddress.ip_address(match.group(1) if match else text)
    except ValueError:
        return None


def rate_bucket(address: str) -> str:
    """What a rate limit counts ``address`` under: the address without a port, and for
    IPv6 its /64 (one subscriber's network, which they may fill with addresses)."""
    ip = _ip(address.strip())
    if ip is None:
        return address.strip()  # a site's function may answer anything: as it is
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # "::ffff:192.0.2.1" is that IPv4 client
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
