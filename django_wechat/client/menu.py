"""Custom menus (自定义菜单): ``client.menu``.

https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..exceptions import APIError
from .base import APIGroup

#: menu/get when the account has no menu: "menu no exist".
NO_MENU_ERRCODE = 46003


class Menu(APIGroup):
    """Create, read and delete the account's menu and its conditional (personalised) menus."""

    def get(self) -> dict[str, Any] | None:
        """The menu (``{"menu": {...}, "conditionalmenu": [...]}``), or None when there is none."""
        try:
            result: dict[str, Any] = self._get("cgi-bin/menu/get")
        except APIError as exc:
            if exc.errcode == NO_MENU_ERRCODE:
                return None
            raise
        return result

    def create(self, menu_data: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the menu with ``menu_data`` (``{"button": [...]}``)."""
        result: dict[str, Any] = self._post("cgi-bin/menu/create", json=dict(menu_data))
        return result

    #: wechatpy's name for :meth:`create`.
    update = create

    def delete(self) -> dict[str, Any]:
        """Delete the menu and every conditional menu."""
        result: dict[str, Any] = self._get("cgi-bin/menu/delete")
        return result

    def get_menu_info(self) -> dict[str, Any]:
        """The menu as set in the console or by the API (``get_current_selfmenu_info``)."""
        result: dict[str, Any] = self._get("cgi-bin/get_current_selfmenu_info")
        return result

    def add_conditional(self, menu_data: Mapping[str, Any]) -> dict[str, Any]:
        """Add a conditional menu (``{"button": [...], "matchrule": {...}}``); has ``menuid``."""
        result: dict[str, Any] = self._post("cgi-bin/menu/addconditional", json=dict(menu_data))
        return result

    def del_conditional(self, menu_id: int | str) -> dict[str, Any]:
        """Delete the conditional menu ``menu_id``."""
        result: dict[str, Any] = self._post(
            "cgi-bin/menu/delconditional", json={"menuid": str(menu_id)}
        )
        return result

    def try_match(self, user_id: str) -> dict[str, Any]:
        """The menu the follower ``user_id`` (an openid or WeChat ID) would see."""
        result: dict[str, Any] = self._post("cgi-bin/menu/trymatch", json={"user_id": user_id})
        return result
