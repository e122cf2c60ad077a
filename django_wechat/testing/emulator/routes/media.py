"""The emulated temporary media APIs (临时素材): upload and download.

Every function here is called with the state lock held and a checked access_token.
"""

from __future__ import annotations

import secrets
from typing import Any

from ..http import Reply, Request, WeChatFault, route
from ..state import MEDIA_TTL, AccountState, Emulator, Media

# 新增临时素材 doc: image 10 MB (bmp/png/jpeg/jpg/gif), voice 2 MB (amr/mp3), video
# 10 MB (mp4), thumb 64 KB (jpg); kept for 3 days.

MEDIA_RULES: dict[str, tuple[int, tuple[str, ...]]] = {
    "image": (10 * 1024 * 1024, ("bmp", "png", "jpeg", "jpg", "gif")),
    "voice": (2 * 1024 * 1024, ("amr", "mp3")),
    "video": (10 * 1024 * 1024, ("mp4",)),
    "thumb": (64 * 1024, ("jpg", "jpeg")),
}


def media_alive(emulator: Emulator, state: AccountState, media_id: Any) -> bool:
    media = state.media.get(str(media_id))
    return media is not None and emulator.clock.now() - media.created_at < MEDIA_TTL


@route("cgi-bin/media/upload", method="POST")
def media_upload(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``POST cgi-bin/media/upload?type=...`` with the file in the multipart field ``media``."""
    kind = request.query.get("type", "")
    if kind not in MEDIA_RULES:
        raise WeChatFault(40004)
    upload = request.files().get("media")
    if upload is None:
        raise WeChatFault(41005)
    limit, extensions = MEDIA_RULES[kind]
    if upload.filename.rsplit(".", 1)[-1].lower() not in extensions:
        raise WeChatFault(40005, "invalid file type")
    if not upload.content or len(upload.content) > limit:
        raise WeChatFault(40006)
    media_id = secrets.token_urlsafe(48)
    created_at = int(emulator.clock.now())
    state.media[media_id] = Media(
        media_id, kind, upload.filename, upload.content_type, upload.content, created_at
    )
    # Thumbnails answer "thumb_media_id" instead of "media_id".
    id_field = "thumb_media_id" if kind == "thumb" else "media_id"
    return Reply.json({"type": kind, id_field: media_id, "created_at": created_at})


@route("cgi-bin/media/get")
def media_get(emulator: Emulator, request: Request, state: AccountState) -> Reply:
    """``GET cgi-bin/media/get?media_id=...``: the file; for a video, ``{"video_url"}``."""
    media_id = request.query.get("media_id", "")
    if not media_alive(emulator, state, media_id):
        raise WeChatFault(40007)
    media = state.media[media_id]
    if media.type == "video":
        return Reply.json({"video_url": f"{emulator.url}/_emulator/media/{media_id}"})
    return Reply(
        200,
        media.content,
        media.content_type or "application/octet-stream",
        # WeChat names the download after the media_id, whatever the upload was called.
        {"Content-disposition": f'attachment; filename="{media_id}.{media.extension}"'},
    )
