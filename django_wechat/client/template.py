"""Template-message templates (模板消息): ``client.template``.

Sending is :meth:`django_wechat.client.message.Message.send_template`.
https://developers.weixin.qq.com/doc/service/api/notify/template/api_sendtemplatemessage.md
"""

from __future__ import annotations

from typing import Any

from .group import APIGroup


class Template(APIGroup):
    """The account's industry and its private templates."""

    def set_industry(self, industry_id1: int | str, industry_id2: int | str) -> dict[str, Any]:
        """Set the account's two industries (allowed once a month)."""
        return self._post(
            "cgi-bin/template/api_set_industry",
            json={"industry_id1": str(industry_id1), "industry_id2": str(industry_id2)},
        )

    def get_industry(self) -> dict[str, Any]:
        """The account's ``primary_industry`` and ``secondary_industry``."""
        return self._get("cgi-bin/template/get_industry")

    def get(self, template_id_short: str) -> str:
        """Add the library template ``template_id_short`` to the account; its ``template_id``."""
        result = self._post(
            "cgi-bin/template/api_add_template", json={"template_id_short": template_id_short}
        )
        template_id: str = result["template_id"]
        return template_id

    #: A clearer name for :meth:`get` (which wechatpy's users know).
    add = get

    def get_all_private_template(self) -> dict[str, Any]:
        """Every template of the account: ``{"template_list": [{"template_id", ...}]}``."""
        return self._get("cgi-bin/template/get_all_private_template")

    def del_private_template(self, template_id: str) -> dict[str, Any]:
        """Delete a template from the account."""
        return self._post(
            "cgi-bin/template/del_private_template", json={"template_id": template_id}
        )
