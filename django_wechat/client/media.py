"""Temporary media (临时素材), kept by WeChat for three days: ``client.media``.

https://developers.weixin.qq.com/doc/service/api/material/temporary/api_uploadtempmedia
"""

from __future__ import annotations

import os
from typing import IO, Any

import requests
from django.utils.translation import gettext as _

from .group import APIGroup

MEDIA_TYPES = ("image", "voice", "video", "thumb")


class Media(APIGroup):
    """Upload and download temporary media."""

    def upload(
        self, media_type: str, media_file: IO[bytes] | bytes, filename: str | None = None
    ) -> dict[str, Any]:
        """Upload an ``image``, ``voice``, ``video`` or ``thumb``; returns ``{"media_id", ...}``.

        ``media_file`` is an open binary file or bytes. It is read once, so a retry of
        the call (after a refused token) sends the whole file again.
        """
        if media_type not in MEDIA_TYPES:
            raise ValueError(
                _("media_type must be one of %(types)s.") % {"types": ", ".join(MEDIA_TYPES)}
            )
        if isinstance(media_file, bytes | bytearray):
            content = bytes(media_file)
            name = filename or f"upload.{_EXTENSIONS[media_type]}"
        else:
            content = media_file.read()
            name = (
                filename
                or os.path.basename(str(getattr(media_file, "name", "")))
                or (f"upload.{_EXTENSIONS[media_type]}")
            )
        return self._post(
            "cgi-bin/media/upload",
            params={"type": media_type},
            files={"media": (name, content)},
        )

    def download(self, media_id: str) -> requests.Response:
        """The media file as a :class:`requests.Response` (``.content`` holds the bytes).

        A video's answer is JSON (``{"video_url": ...}``): read it with ``.json()``.
        An unknown ``media_id`` raises :class:`~django_wechat.exceptions.APIError` (40007).
        """
        response: requests.Response = self.client.request(
            "GET", "cgi-bin/media/get", params={"media_id": media_id}, raw=True
        )
        return response


_EXTENSIONS = {"image": "jpg", "voice": "amr", "video": "mp4", "thumb": "jpg"}
