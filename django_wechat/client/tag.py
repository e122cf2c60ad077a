"""User tags (用户标签管理): ``client.tag``. They replace WeChat's retired "groups" API.

https://developers.weixin.qq.com/doc/service/api/usermanage/tag/api_createtag
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .group import APIGroup


def _openids(user_id: str | Sequence[str]) -> list[str]:
    return [user_id] if isinstance(user_id, str) else list(user_id)


class Tag(APIGroup):
    """Create, rename and delete tags; tag and untag followers; list a tag's followers."""

    def create(self, name: str) -> dict[str, Any]:
        """Create a tag; returns ``{"id": ..., "name": ...}``."""
        result = self._post("cgi-bin/tags/create", json={"tag": {"name": name}})
        tag: dict[str, Any] = result["tag"]
        return tag

    def get(self) -> list[dict[str, Any]]:
        """Every tag: ``[{"id", "name", "count"}, ...]``."""
        result = self._get("cgi-bin/tags/get")
        tags: list[dict[str, Any]] = result.get("tags", [])
        return tags

    def update(self, tag_id: int, name: str) -> dict[str, Any]:
        """Rename a tag."""
        return self._post("cgi-bin/tags/update", json={"tag": {"id": int(tag_id), "name": name}})

    def delete(self, tag_id: int) -> dict[str, Any]:
        """Delete a tag (its followers keep their other tags)."""
        return self._post("cgi-bin/tags/delete", json={"tag": {"id": int(tag_id)}})

    def tag_user(self, tag_id: int, user_id: str | Sequence[str]) -> dict[str, Any]:
        """Tag one follower (an openid) or several (a list of up to 50)."""
        return self._post(
            "cgi-bin/tags/members/batchtagging",
            json={"tagid": int(tag_id), "openid_list": _openids(user_id)},
        )

    def untag_user(self, tag_id: int, user_id: str | Sequence[str]) -> dict[str, Any]:
        """Remove the tag from one follower or several."""
        return self._post(
            "cgi-bin/tags/members/batchuntagging",
            json={"tagid": int(tag_id), "openid_list": _openids(user_id)},
        )

    def get_user_tag(self, user_id: str) -> list[int]:
        """The ids of the follower's tags."""
        result = self._post("cgi-bin/tags/getidlist", json={"openid": user_id})
        ids: list[int] = result.get("tagid_list", [])
        return ids

    def get_tag_users(self, tag_id: int, first_user_id: str | None = None) -> dict[str, Any]:
        """One page of the tag's followers, starting after ``first_user_id``."""
        data: dict[str, Any] = {"tagid": int(tag_id)}
        if first_user_id:
            data["next_openid"] = first_user_id
        return self._post("cgi-bin/user/tag/get", json=data)

    def iter_tag_users(self, tag_id: int, first_user_id: str | None = None) -> Iterator[str]:
        """The openid of every follower with the tag, page after page."""
        while True:
            page = self.get_tag_users(tag_id, first_user_id)
            openids = (page.get("data") or {}).get("openid") or []
            yield from openids
            first_user_id = page.get("next_openid") or None
            if not openids or not first_user_id:
                return
