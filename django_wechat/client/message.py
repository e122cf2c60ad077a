"""Customer-service messages (客服消息) and template messages: ``client.message``.

A customer-service message reaches a follower only within 48 hours of their last message
to the account (errcode 45015 otherwise).
https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .group import APIGroup


class Message(APIGroup):
    """Send customer-service messages of every kind, and template messages.

    ``account`` (a customer-service account such as ``"kf2001@gh_..."``) sends as that
    agent. Every ``send_*`` is sent at most once: after a timeout it raises
    :class:`~django_wechat.exceptions.TransportError` instead of sending again.
    """

    def _send_custom(
        self, user_id: str, msgtype: str, content: Mapping[str, Any], account: str | None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"touser": user_id, "msgtype": msgtype, msgtype: dict(content)}
        if account:
            data["customservice"] = {"kf_account": account}
        return self._post("cgi-bin/message/custom/send", json=data)

    def send_text(self, user_id: str, content: str, account: str | None = None) -> dict[str, Any]:
        """Send a text message."""
        return self._send_custom(user_id, "text", {"content": content}, account)

    def send_image(self, user_id: str, media_id: str, account: str | None = None) -> dict[str, Any]:
        """Send an uploaded image."""
        return self._send_custom(user_id, "image", {"media_id": media_id}, account)

    def send_voice(self, user_id: str, media_id: str, account: str | None = None) -> dict[str, Any]:
        """Send an uploaded voice recording."""
        return self._send_custom(user_id, "voice", {"media_id": media_id}, account)

    def send_video(
        self,
        user_id: str,
        media_id: str,
        title: str | None = None,
        description: str | None = None,
        account: str | None = None,
        thumb_media_id: str | None = None,
    ) -> dict[str, Any]:
        """Send an uploaded video."""
        video: dict[str, Any] = {"media_id": media_id}
        for key, value in (
            ("thumb_media_id", thumb_media_id),
            ("title", title),
            ("description", description),
        ):
            if value is not None:
                video[key] = value
        return self._send_custom(user_id, "video", video, account)

    def send_music(
        self,
        user_id: str,
        url: str,
        hq_url: str,
        thumb_media_id: str,
        title: str | None = None,
        description: str | None = None,
        account: str | None = None,
    ) -> dict[str, Any]:
        """Send a music message."""
        music: dict[str, Any] = {
            "musicurl": url,
            "hqmusicurl": hq_url,
            "thumb_media_id": thumb_media_id,
        }
        if title is not None:
            music["title"] = title
        if description is not None:
            music["description"] = description
        return self._send_custom(user_id, "music", music, account)

    def send_articles(
        self,
        user_id: str,
        articles: Sequence[Mapping[str, Any]] | str,
        account: str | None = None,
    ) -> dict[str, Any]:
        """Send articles: a list of ``{"title", "description", "url", "picurl"}`` (news),
        or the ``media_id`` of a published article (mpnews)."""
        if isinstance(articles, str):
            return self._send_custom(user_id, "mpnews", {"media_id": articles}, account)
        items = [
            {
                "title": a["title"],
                "description": a.get("description", ""),
                "url": a["url"],
                # wechatpy accepted "image" as well as WeChat's "picurl".
                "picurl": a.get("picurl", a.get("image", "")),
            }
            for a in articles
        ]
        return self._send_custom(user_id, "news", {"articles": items}, account)

    def send_mini_program_page(
        self, user_id: str, miniprogrampage: Mapping[str, Any], account: str | None = None
    ) -> dict[str, Any]:
        """Send a mini-program card: ``{"title", "appid", "pagepath", "thumb_media_id"}``."""
        return self._send_custom(user_id, "miniprogrampage", miniprogrampage, account)

    def send_typing(self, user_id: str, typing: bool = True) -> dict[str, Any]:
        """Show (or, with ``typing=False``, hide) "typing..." to a follower: WeChat's
        ``message/custom/typing`` (客服输入状态), for a reply that takes a while."""
        return self._post(
            "cgi-bin/message/custom/typing",
            json={"touser": user_id, "command": "Typing" if typing else "CancelTyping"},
        )

    def send_template(
        self,
        user_id: str,
        template_id: str,
        data: Mapping[str, Any],
        url: str | None = None,
        mini_program: Mapping[str, Any] | None = None,
        client_msg_id: str | None = None,
    ) -> dict[str, Any]:
        """Send a template message; returns ``{"msgid": ...}``.

        ``data`` maps each keyword to ``{"value": ...}`` (a bare string is wrapped for
        you). ``client_msg_id`` makes WeChat drop a repeat of the same message.
        """
        payload: dict[str, Any] = {
            "touser": user_id,
            "template_id": template_id,
            "data": {
                k: dict(v) if isinstance(v, Mapping) else {"value": str(v)} for k, v in data.items()
            },
        }
        if url:
            payload["url"] = url
        if mini_program:
            payload["miniprogram"] = dict(mini_program)
        if client_msg_id:
            payload["client_msg_id"] = client_msg_id
        return self._post("cgi-bin/message/template/send", json=payload)
