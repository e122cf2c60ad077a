"""The demo account's handlers: imported by django_wechat at start-up (like admin.py).

They answer in the site's language (``LANGUAGE_CODE``: English, or Chinese with
``DJANGO_LANGUAGE_CODE=zh-hans``). Try them without WeChat: run the site (``make demo``),
then::

    cd testproject && ../.venv/bin/python manage.py wechat_simulate --text "hello"
    ../.venv/bin/python manage.py wechat_simulate --event click --key V1001_GOOD

Send "slow" for a handler that takes 8 seconds, longer than WeChat waits: it runs in the
demo's task worker (``manage.py db_worker``) and answers through the customer-service API.
"""

from __future__ import annotations

import os
import time
from typing import Any

from django.utils.translation import gettext as _

from django_wechat import handler
from django_wechat.replies import ImageReply


@handler(event="subscribe")
def welcome(message: Any, **kwargs: Any) -> str:
    """A new follower: say hello (a subscribe through a QR code carries its scene)."""
    scene = getattr(message, "scene_id", "")
    if scene:
        return _("Welcome to the django_wechat demo! Send “hello” to try it. (Scene %(scene)s)") % {
            "scene": scene
        }
    return _("Welcome to the django_wechat demo! Send “hello” to try it.")


@handler(event="click", key="V1001_GOOD")
def liked(message: Any, **kwargs: Any) -> list[dict[str, str]]:
    """The "like" menu button: answer with an article."""
    return [
        {
            "title": _("Thanks for the like"),
            "description": "django_wechat: WeChat Official Accounts for Django.",
            "url": "https://django-wechat-oa.readthedocs.io/",
            "image": "",
        }
    ]


@handler(type="image")
def picture(message: Any, **kwargs: Any) -> ImageReply:
    """An image: send it back (a received MediaId can be used in a reply)."""
    return ImageReply(message=message, media_id=message.raw["MediaId"])


@handler(type="text", content=r"^(slow|慢)", defer=True)
def slow(message: Any, **kwargs: Any) -> str:
    """A slow answer (a language model, a search): past WeChat's 5 seconds, so deferred."""
    seconds = float(os.environ.get("DEMO_SLOW_SECONDS", "8"))
    time.sleep(seconds)
    return _("Sorry for the wait: that took %(seconds)s seconds.") % {"seconds": f"{seconds:g}"}


@handler(type="text", content=r"你好|hello|hi")
def greet(message: Any, **kwargs: Any) -> str:
    """A greeting."""
    return _("Hello! I am django_wechat's demo account.")


@handler(type="text")
def echo(message: Any, **kwargs: Any) -> str:
    """Any other text: echo it."""
    return _("You said: %(content)s") % {"content": message.content}
