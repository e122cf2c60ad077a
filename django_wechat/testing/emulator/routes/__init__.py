"""The emulated APIs, one module per API group as in :mod:`django_wechat.client`.

Importing this package registers every route in :data:`~..http.ROUTES`. Each route
gets the emulator as a :class:`~..state.Emulator` and never imports the server.
"""

from __future__ import annotations

from . import (  # noqa: F401  (each module registers its routes)
    media,
    menu,
    message,
    miniprogram,
    oauth,
    qrcode,
    tag,
    template,
    token,
    user,
)
