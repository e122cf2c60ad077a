"""The demo account's handlers: imported by django_wechat at start-up (like admin.py).

Try them without WeChat: run the site (``make demo``), then::

    cd testproject && ../.venv/bin/python manage.py wechat_simulate --text "你好"
    ../.venv/bin/python manage.py wechat_simulate --event click --key V1001_GOOD
"""

from __future__ import annotations

from typing import Any

from django_wechat import handler
from django_wechat.replies import ImageReply


@handler(event="subscribe")
def welcome(message: Any, **kwargs: Any) -> str:
    """A new follower: say hello (a subscribe through a QR code carries its scene)."""
    scene = getattr(message, "scene_id", "")
    suffix = f"（来自场景 {scene}）" if scene else ""
    return f"欢迎关注 django_wechat 演示号！发送“你好”试试。{suffix}"


@handler(event="click", key="V1001_GOOD")
def liked(message: Any, **kwargs: Any) -> list[dict[str, str]]:
    """The "like" menu button: answer with an article."""
    return [
        {
            "title": "谢谢你的赞",
            "description": "django_wechat: WeChat Official Accounts for Django.",
            "url": "https://django-wechat-oa.readthedocs.io/",
            "image": "",
        }
    ]


@handler(type="image")
def picture(message: Any, **kwargs: Any) -> ImageReply:
    """An image: send it back (a received MediaId can be used in a reply)."""
    return ImageReply(message=message, media_id=message.raw["MediaId"])


@handler(type="text", content=r"你好|hello|hi")
def greet(message: Any, **kwargs: Any) -> str:
    """A greeting."""
    return "你好！我是 django_wechat 的演示号。"


@handler(type="text")
def echo(message: Any, **kwargs: Any) -> str:
    """Any other text: echo it."""
    return f"你说：{message.content}"
