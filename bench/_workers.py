"""What the bench's worker processes run (importable, for the ``spawn`` context)."""

from __future__ import annotations

import threading
import time
from typing import Any

_local = threading.local()


class GaveUp(Exception):
    """wechatpy was still refetching tokens when the bench's time bound ran out."""


def setup_wechatpy(redis_url: str, prefix: str, api_base_url: str, app_id: str, secret: str) -> Any:
    """One wechatpy 1.8.18 WeChatClient per process, its token in Redis (RedisStorage)."""
    import redis
    from wechatpy import WeChatClient
    from wechatpy.session.redisstorage import RedisStorage

    class EmulatedWeChatClient(WeChatClient):  # type: ignore[misc]
        # wechatpy reads API_BASE_URL for its API calls, but fetch_access_token has
        # https://api.weixin.qq.com/cgi-bin/token written in: point that at the emulator
        # too, with the same parameters, and stop refetching at the bench's time bound.
        API_BASE_URL = api_base_url + "/cgi-bin/"

        def fetch_access_token(self) -> Any:
            if time.time() > getattr(_local, "deadline", float("inf")):
                raise GaveUp("time bound reached while wechatpy kept refetching")
            return self._fetch_access_token(
                url=api_base_url + "/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                },
            )

    storage = RedisStorage(redis.Redis.from_url(redis_url), prefix=prefix)
    return EmulatedWeChatClient(app_id, secret, session=storage, timeout=5)


def wechatpy_call(client: Any, deadline: float) -> None:
    """The same API call as ours: ``GET cgi-bin/user/info?openid=o-demo-follower-1``."""
    _local.deadline = deadline
    client.user.get("o-demo-follower-1")
