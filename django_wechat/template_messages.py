"""Sending a template message (模板消息), checked first and recorded: the one function the
admin's test send, background tasks and a site's own code all use.

::

    from django_wechat.template_messages import send_template_message

    message = send_template_message(
        "default", openid, template_id, {"thing1": "体检", "time2": "2024年5月1日 09:30"},
        url="https://example.com/booking/42",
    )
    message.msgid, message.status  # "1234567890", "sent"

The rules checked before any call are WeChat's since 2023-05-04 (关于规范公众号模板消息的
再次公告): every keyword of the template has a value, no value is longer than its limit
(20 characters, or its type's limit in a 类目模板: ``thing`` 20, ``phrase`` 5,
``character_string`` 32...) and none holds a line break. ``first`` and ``remark`` are no
longer shown, so they are not asked for; colours are gone, so none is sent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .client import get_client
from .conf import get_account
from .exceptions import APIError, WeChatError
from .models import MessageTemplate, TemplateMessage

__all__ = [
    "CLIENT_MSG_ID_WINDOW",
    "DEFAULT_LIMIT",
    "TYPE_LIMITS",
    "InvalidTemplateMessage",
    "PreparedTemplateMessage",
    "keyword_limit",
    "make_client_msg_id",
    "prepare_template_message",
    "send_template_message",
    "validate_data",
]

#: A keyword's limit in characters when its type has none of its own (2023-05-04 rules:
#: "单个字段内容不超过20个字").
DEFAULT_LIMIT = 20
#: The limits of 类目模板 keyword types (``thing1`` is a ``thing``), from the template and
#: subscribe-message docs; a value over them is refused with 47003.
TYPE_LIMITS = {
    "thing": 20,
    "short_thing": 5,
    "phrase": 5,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "amount": 20,
    "phone_number": 17,
    "car_number": 8,
    "name": 20,
    "const": 20,
    "time": 20,
    "date": 20,
}
#: WeChat sends one message per openid and client_msg_id within this time ("防重入id。对于
#: 同一个openid + client_msg_id, 只发送一条消息,10分钟有效").
CLIENT_MSG_ID_WINDOW = timedelta(minutes=10)


class InvalidTemplateMessage(WeChatError, ValueError):
    """The message breaks a rule of the template or of WeChat; nothing was sent.

    ``field`` names what is wrong: a keyword (``"thing1"``), ``"template_id"``,
    ``"openid"``, ``"url"`` or ``"miniprogram"``.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def keyword_limit(keyword: str) -> int:
    """The most characters ``keyword``'s value may have (``thing1`` -> 20, ``phrase2`` -> 5)."""
    return TYPE_LIMITS.get(keyword.rstrip("0123456789"), DEFAULT_LIMIT)


def _value(item: Any) -> Any:
    return item.get("value") if isinstance(item, Mapping) else item


def validate_data(template: MessageTemplate, data: Mapping[str, Any]) -> dict[str, str]:
    """``data`` as ``{keyword: value}``, checked against ``template``'s keywords and WeChat's
    rules; raises :class:`InvalidTemplateMessage` naming the first keyword that breaks one.

    A value may be a string or WeChat's ``{"value": ...}`` (a ``color`` is dropped: WeChat
    ignores colours since 2023).
    """
    unknown = [k for k in data if k not in template.keywords and k not in ("first", "remark")]
    if unknown:
        raise InvalidTemplateMessage(
            unknown[0],
            _("template “%(title)s” has no keyword %(keyword)s; its keywords are %(keywords)s.")
            % {
                "title": template.title,
                "keyword": unknown[0],
                "keywords": ", ".join(template.keywords),
            },
        )
    values: dict[str, str] = {}
    for keyword in template.keywords:
        value = _value(data.get(keyword))
        if value is None or str(value) == "":
            raise InvalidTemplateMessage(keyword, _("a value is required."))
        text = str(value)
        if "\n" in text or "\r" in text:
            raise InvalidTemplateMessage(keyword, _("WeChat does not show line breaks."))
        limit = keyword_limit(keyword)
        if len(text) > limit:
            raise InvalidTemplateMessage(
                keyword,
                _("%(length)d characters; WeChat allows at most %(limit)d.")
                % {"length": len(text), "limit": limit},
            )
        values[keyword] = text
    return values


def make_client_msg_id(
    account: str,
    openid: str,
    template_id: str,
    data: Mapping[str, str],
    url: str = "",
    miniprogram: Mapping[str, str] | None = None,
) -> str:
    """A client_msg_id made from everything the message says: the same message to the same
    follower always has the same one, so WeChat delivers a retried send once."""
    body = json.dumps(
        [account, openid, template_id, dict(data), url, dict(miniprogram or {})],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def _miniprogram(value: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not value:
        return None
    appid, pagepath = str(value.get("appid") or ""), str(value.get("pagepath") or "")
    if not appid:
        raise InvalidTemplateMessage("miniprogram", _("a mini program needs its appid."))
    return {"appid": appid, "pagepath": pagepath}


def send_template_message(
    account: str,
    openid: str,
    template_id: str,
    data: Mapping[str, Any],
    *,
    url: str = "",
    miniprogram: Mapping[str, Any] | None = None,
    client_msg_id: str | None = None,
) -> TemplateMessage:
    """Send a template message to ``openid`` and record it as a
    :class:`~django_wechat.models.TemplateMessage`.

    :param account: the account's name in ``settings.WECHAT["ACCOUNTS"]``.
    :param template_id: a template of the account, synced into
        :class:`~django_wechat.models.MessageTemplate` (``manage.py wechat_sync_templates``).
    :param data: each keyword's value, ``{"thing1": "体检"}`` (or ``{"thing1": {"value": ...}}``).
    :param url: the page the message opens; ``miniprogram`` (``{"appid", "pagepath"}``)
        opens a mini program page instead (WeChat prefers it when both are given).
    :param client_msg_id: WeChat's 防重入id. Without one it is made from the message
        (:func:`make_client_msg_id`), so sending the same message again within 10 minutes
        (a retried task, a double click) reaches the follower once; pass your own to send
        the same words twice on purpose.

    Checks first (:func:`validate_data`) and raises :class:`InvalidTemplateMessage`
    without calling WeChat. Then records the message (status ``sending``), sends it, and
    returns it with its ``msgid`` and status ``sent``; WeChat's ``TEMPLATESENDJOBFINISH``
    event later sets ``success``, ``user_block`` or ``system_failed``. When WeChat refuses
    the message (:class:`~django_wechat.exceptions.APIError`), the record gets status
    ``refused`` and the error, and the error is raised; when WeChat cannot be reached
    (no answer: it may have sent it), the record stays ``sending`` with the error and the
    error is raised. A send repeated with the same client_msg_id within 10 minutes (a
    retry) updates the same record rather than making another.

    The three steps are :func:`prepare_template_message`,
    :meth:`PreparedTemplateMessage.post` and :meth:`PreparedTemplateMessage.record`, for
    code that sends many at once (a broadcast posts from several threads).
    """
    prepared = prepare_template_message(
        account,
        openid,
        template_id,
        data,
        url=url,
        miniprogram=miniprogram,
        client_msg_id=client_msg_id,
    )
    try:
        answer = prepared.post()
    except WeChatError as exc:
        prepared.record(error=exc)
        raise
    return prepared.record(answer)


@dataclass(frozen=True)
class PreparedTemplateMessage:
    """A template message checked and recorded (status ``sending``), not sent yet."""

    #: The record, as :func:`send_template_message` returns it.
    message: TemplateMessage
    account: str
    openid: str
    template_id: str
    values: dict[str, Any]
    url: str
    miniprogram: dict[str, str] | None
    client_msg_id: str

    def post(self) -> dict[str, Any]:
        """Send it to WeChat: WeChat's answer. Touches no database, so any thread may."""
        answer: dict[str, Any] = get_client(self.account).message.send_template(
            self.openid,
            self.template_id,
            self.values,
            url=self.url or None,
            mini_program=self.miniprogram,
            client_msg_id=self.client_msg_id,
        )
        return answer

    def record(
        self, answer: Mapping[str, Any] | None = None, *, error: WeChatError | None = None
    ) -> TemplateMessage:
        """Write :meth:`post`'s ``answer``, or the ``error`` it raised, to the record."""
        message = self.message
        if error is not None:
            if isinstance(error, APIError) and not message.msgid:
                message.status, message.error = TemplateMessage.Status.REFUSED, str(error)
                message.save(update_fields=["status", "error"])
            elif not isinstance(error, APIError):
                # No answer: WeChat may have sent it. The record stays "sending" for a
                # retry with the same client_msg_id, which WeChat does not deliver twice.
                message.error = str(error)
                message.save(update_fields=["error"])
            return message
        if not message.msgid:
            message.msgid = str((answer or {}).get("msgid", ""))
            message.status, message.error = TemplateMessage.Status.SENT, ""
            message.save(update_fields=["msgid", "status", "error"])
        return message


def prepare_template_message(
    account: str,
    openid: str,
    template_id: str,
    data: Mapping[str, Any],
    *,
    url: str = "",
    miniprogram: Mapping[str, Any] | None = None,
    client_msg_id: str | None = None,
) -> PreparedTemplateMessage:
    """The checks and the record of :func:`send_template_message`, without the send.

    Raises :class:`InvalidTemplateMessage` as it does.
    """
    name = get_account(account).name
    if not openid:
        raise InvalidTemplateMessage("openid", _("the follower's openid is required."))
    template = MessageTemplate.objects.filter(account=name, template_id=template_id).first()
    if template is None:
        raise InvalidTemplateMessage(
            "template_id",
            _(
                "account %(account)s has no template %(template_id)s: run "
                "“manage.py wechat_sync_templates” to fetch its templates from WeChat."
            )
            % {"account": name, "template_id": template_id},
        )
    if template.removed:
        raise InvalidTemplateMessage(
            "template_id",
            _("template “%(title)s” was removed on WeChat.") % {"title": template.title},
        )
    values = validate_data(template, data)
    mini = _miniprogram(miniprogram)
    if url and not url.startswith(("http://", "https://")):
        raise InvalidTemplateMessage("url", _("the URL must start with http:// or https://."))
    cmid = client_msg_id or make_client_msg_id(name, openid, template_id, values, url, mini)

    message = (
        TemplateMessage.objects.filter(
            account=name,
            openid=openid,
            client_msg_id=cmid,
            sent_at__gte=timezone.now() - CLIENT_MSG_ID_WINDOW,
        )
        .exclude(status=TemplateMessage.Status.REFUSED)
        .first()
    )
    if message is None:
        message = TemplateMessage.objects.create(
            account=name,
            template=template,
            openid=openid,
            data=values,
            url=url,
            miniprogram_appid=mini["appid"] if mini else "",
            miniprogram_pagepath=mini["pagepath"] if mini else "",
            client_msg_id=cmid,
        )
    return PreparedTemplateMessage(
        message=message,
        account=name,
        openid=openid,
        template_id=template_id,
        values=values,
        url=url,
        miniprogram=mini,
        client_msg_id=cmid,
    )
