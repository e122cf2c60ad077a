"""Custom menus (自定义菜单): ``client.menu``.

https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..exceptions import APIError
from .group import APIGroup

#: menu/get when the account has no menu: "menu no exist".
NO_MENU_ERRCODE = 46003


class Menu(APIGroup):
    """Create, read and delete the account's menu and its conditional (personalised) menus."""

    def get(self) -> dict[str, Any] | None:
        """The menu (``{"menu": {...}, "conditionalmenu": [...]}``), or None when there is none."""
        try:
            return self._get("cgi-bin/menu/get")
        except APIError as exc:
            if exc.errcode == NO_MENU_ERRCODE:
                return None
            raise

    def create(self, menu_data: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the menu with ``menu_data`` (``{"button": [...]}``)."""
        return self._post("cgi-bin/menu/create", json=dict(menu_data))

    #: wechatpy's name for :meth:`create`.
    update = create

    def delete(self) -> dict[str, Any]:
        """Delete the menu and every conditional menu."""
        return self._get("cgi-bin/menu/delete")

    def get_menu_info(self) -> dict[str, Any]:
        """The menu as set in the console or by the API (``get_current_selfmenu_info``)."""
        return self._get("cgi-bin/get_current_selfmenu_info")

    def add_conditional(self, menu_data: Mapping[str, Any]) -> dict[str, Any]:
        """Add a conditional menu (``{"button": [...], "matchrule": {...}}``); has ``menuid``."""
        return self._post("cgi-bin/menu/addconditional", json=dict(menu_data))

    def del_conditional(self, menu_id: int | str) -> dict[str, Any]:
        """Delete the conditional menu ``menu_id``."""
        return self._post("cgi-bin/menu/delconditional", json={"menuid": str(menu_id)})

    def try_match(self, user_id: str) -> dict[str, Any]:
        """The menu the follower ``user_id`` (an openid or WeChat ID) would see."""
        return self._post("cgi-bin/menu/trymatch", json={"user_id": user_id})
