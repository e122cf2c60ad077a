"""The demo account's default menu, pushed by the account page's button.

Names are counted in bytes by WeChat (16 for a button, 60 for a sub-button): the Chinese
names here are 6 to 15 bytes. The click keys are the ones ``wechat_handlers`` answers.
"""

from __future__ import annotations

from typing import Any

DEFAULT_MENU: dict[str, Any] = {
    "button": [
        {"type": "click", "name": "赞一下", "key": "V1001_GOOD"},
        {
            "name": "更多",
            "sub_button": [
                {
                    "type": "view",
                    "name": "使用文档",
                    "url": "https://django-wechat-oa.readthedocs.io/",
                },
                {"type": "scancode_push", "name": "扫一扫", "key": "SCAN_DEMO"},
            ],
        },
    ]
}
