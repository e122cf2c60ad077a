"""Followers (用户管理): ``client.user``.

https://developers.weixin.qq.com/doc/service/api/usermanage/userinfo/api_getfans
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .group import APIGroup

#: user/info/batchget takes at most 100 users per call.
BATCH_SIZE = 100


class User(APIGroup):
    """Read followers' profiles and the follower list; set remarks."""

    def get(self, user_id: str, lang: str = "zh_CN") -> dict[str, Any]:
        """The profile of the follower ``user_id`` (an openid)."""
        return self._get("cgi-bin/user/info", params={"openid": user_id, "lang": lang})

    def get_batch(
        self, user_list: Iterable[str | Mapping[str, str]], lang: str = "zh_CN"
    ) -> list[dict[str, Any]]:
        """The profiles of several followers, in order: openids, or ``{"openid", "lang"}`` dicts.

        More than 100 are fetched 100 at a time.
        """
        wanted = [{"openid": u, "lang": lang} if isinstance(u, str) else dict(u) for u in user_list]
        profiles: list[dict[str, Any]] = []
        for start in range(0, len(wanted), BATCH_SIZE):
            result = self._post(
                "cgi-bin/user/info/batchget",
                json={"user_list": wanted[start : start + BATCH_SIZE]},
            )
            profiles.extend(result.get("user_info_list", []))
        return profiles

    def get_followers(self, first_user_id: str | None = None) -> dict[str, Any]:
        """One page (up to 10,000 openids) of followers, starting after ``first_user_id``."""
        params = {"next_openid": first_user_id} if first_user_id else {}
        return self._get("cgi-bin/user/get", params=params)

    def iter_followers(self, first_user_id: str | None = None) -> Iterator[str]:
        """Every follower's openid, page after page."""
        while True:
            page = self.get_followers(first_user_id)
            openids = (page.get("data") or {}).get("openid") or []
            yield from openids
            first_user_id = page.get("next_openid") or None
            # The last page has an empty next_openid, or repeats the last openid.
            if not openids or not first_user_id:
                return

    def update_remark(self, user_id: str, remark: str) -> dict[str, Any]:
        """Set the remark (备注名, at most 30 characters) of a follower."""
        return self._post(
            "cgi-bin/user/info/updateremark", json={"openid": user_id, "remark": remark}
        )
