"""Inbound messages and events, one class per ``MsgType`` and per ``Event``.

:func:`parse_message` turns a callback's plaintext XML (or the dict :func:`django_wechat.xml.parse`
made of it) into one of the classes below. Attribute names follow wechatpy's where it
has one, so code moving over keeps working; every message keeps the fields WeChat sent
in ``raw``, and anything unknown parses to :class:`UnknownMessage` or
:class:`UnknownEvent` with nothing lost.

Field names come from WeChat's message docs
(https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html,
.../Receiving_event_pushes.html) as summarised in PROTOCOL.md B4/B5, and for the other
events from the doc each class names: 客服会话 (Customer_Service), 微信认证事件推送
(Account_Management/Wechat_Accreditation_Event_Push), 电子发票, 卡券事件推送
(Cards_and_Offer/Coupons_Vouchers_and_Cards_Event_Push_Messages), 摇一摇事件通知
(Shake_Nearby), 连网后下发消息 (WiFi_via_WeChat) and the hardware platform's messages.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Self, TypeVar, overload

from . import xml as wxml
from ._i18n import gettext as _
from .exceptions import XMLError

__all__ = [
    "AnnualRenewEvent",
    "BaseEvent",
    "BaseMessage",
    "CardNotPassCheckEvent",
    "CardPassCheckEvent",
    "CardPayOrderEvent",
    "CardSkuRemindEvent",
    "ClickEvent",
    "DeviceBindEvent",
    "DeviceSubscribeStatusEvent",
    "DeviceTextEvent",
    "DeviceUnbindEvent",
    "DeviceUnsubscribeStatusEvent",
    "ImageMessage",
    "KfCloseSessionEvent",
    "KfCreateSessionEvent",
    "KfSwitchSessionEvent",
    "LinkMessage",
    "LocationEvent",
    "LocationMessage",
    "LocationSelectEvent",
    "MassSendJobFinishEvent",
    "MerchantOrderEvent",
    "MiniProgramPageMessage",
    "NamingVerifyFailEvent",
    "NamingVerifySuccessEvent",
    "PicPhotoOrAlbumEvent",
    "PicSysPhotoEvent",
    "PicWeChatEvent",
    "PublishJobFinishEvent",
    "QualificationVerifyFailEvent",
    "QualificationVerifySuccessEvent",
    "ScanCodePushEvent",
    "ScanCodeWaitMsgEvent",
    "ScanEvent",
    "ShakearoundUserShakeEvent",
    "ShortVideoMessage",
    "SubmitInvoiceTitleEvent",
    "SubmitMembercardUserInfoEvent",
    "SubscribeEvent",
    "SubscribeMsgChangeEvent",
    "SubscribeMsgPopupEvent",
    "SubscribeMsgSentEvent",
    "SubscribeScanEvent",
    "SubscribeScanProductEvent",
    "TemplateSendJobFinishEvent",
    "TextMessage",
    "UnknownEvent",
    "UnknownMessage",
    "UnsubscribeEvent",
    "UpdateInvoiceStatusEvent",
    "UpdateMemberCardEvent",
    "UserAuthorizeInvoiceEvent",
    "UserConsumeCardEvent",
    "UserDeleteCardEvent",
    "UserEnterSessionFromCardEvent",
    "UserGetCardEvent",
    "UserGiftingCardEvent",
    "UserPayFromPayCellEvent",
    "UserViewCardEvent",
    "VerifyExpiredEvent",
    "VideoMessage",
    "ViewEvent",
    "ViewMiniProgramEvent",
    "VoiceMessage",
    "WiFiConnectedEvent",
    "parse_message",
]

T = TypeVar("T")

# Subscribing through a parametric QR code sends EventKey "qrscene_<scene>"; a follower
# scanning it again sends SCAN with the bare scene (PROTOCOL.md B5, D10).
QR_SCENE_PREFIX = "qrscene_"
# Subscribing from a product page (扫一扫 product scan) sends EventKey
# "scanbarcode|<KeyStandard>|<KeyStr>" or "scanimage|..." (扫一扫事件推送 doc).
PRODUCT_SCAN_PREFIXES = ("scanbarcode|", "scanimage|")


class Field(Generic[T]):
    """A message attribute read from one of WeChat's fields on access.

    An absent or empty field gives ``default``; a malformed number raises
    :class:`~django_wechat.exceptions.XMLError` naming the field.
    """

    __slots__ = ("default", "tag")

    def __init__(self, tag: str, default: T) -> None:
        self.tag = tag
        self.default = default

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: BaseMessage, owner: type[Any]) -> T: ...
    def __get__(self, obj: BaseMessage | None, owner: type[Any]) -> Self | T:
        if obj is None:
            return self
        value = obj.raw.get(self.tag)
        if value is None or value == "":
            return self.default
        return self.convert(value)

    def convert(self, value: Any) -> T:
        """Turn the parsed value into the attribute's type."""
        raise NotImplementedError


class StrField(Field[str]):
    """A text field (``""`` when absent)."""

    def __init__(self, tag: str, default: str = "") -> None:
        super().__init__(tag, default)

    def convert(self, value: Any) -> str:
        return value if isinstance(value, str) else self.default


class IntField(Field[int]):
    """An integer field (``0`` when absent)."""

    def __init__(self, tag: str, default: int = 0) -> None:
        super().__init__(tag, default)

    def convert(self, value: Any) -> int:
        return _to_int(self.tag, value)


class FloatField(Field[float]):
    """A decimal field (``0.0`` when absent)."""

    def __init__(self, tag: str, default: float = 0.0) -> None:
        super().__init__(tag, default)

    def convert(self, value: Any) -> float:
        return _to_float(self.tag, value)


def _to_int(tag: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise XMLError(
            _("The field %(tag)s is not an integer: %(value)r") % {"tag": tag, "value": value}
        ) from None


def _to_float(tag: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise XMLError(
            _("The field %(tag)s is not a number: %(value)r") % {"tag": tag, "value": value}
        ) from None


#: The last second :class:`datetime` can hold (9999-12-31T23:59:59Z).
_MAX_TIMESTAMP = 253402300799


class TimestampField(Field[datetime | None]):
    """A Unix timestamp field as an aware datetime (UTC); ``None`` when absent."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag, None)

    def convert(self, value: Any) -> datetime:
        seconds = _to_int(self.tag, value)
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise XMLError(
                _("The field %(tag)s is not a Unix timestamp: %(value)r")
                % {"tag": self.tag, "value": value}
            ) from None


class Base64Field(Field[bytes]):
    """A base64 field, decoded (``b""`` when absent)."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag, b"")

    def convert(self, value: Any) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (TypeError, ValueError, binascii.Error):
            raise XMLError(
                _("The field %(tag)s is not base64: %(value)r") % {"tag": self.tag, "value": value}
            ) from None


class AnyStrField(Field[str]):
    """A text field WeChat's docs spell more than one way: the first of ``tags`` sent."""

    __slots__ = ("tags",)

    def __init__(self, *tags: str) -> None:
        super().__init__(tags[0], "")
        self.tags = tags

    def __get__(self, obj: Any, owner: type[Any]) -> Any:
        if obj is None:
            return self
        get = obj.raw.get
        for tag in self.tags:
            value = get(tag)
            if isinstance(value, str) and value:
                return value
        return ""


class DictField(Field[dict[str, Any]]):
    """A field with children, as a dict (``{}`` when absent)."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag, {})

    def __get__(self, obj: Any, owner: type[Any]) -> Any:
        if obj is None:
            return self
        value = obj.raw.get(self.tag)
        return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    # One child parses to a value, several to a list (and WeChat's JSON mode sends an
    # object for one item, an array for several: PROTOCOL.md B5).
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _snake(name: str) -> str:
    """``TemplateId`` -> ``template_id``; ``MsgID`` -> ``msg_id``."""
    return _CAMEL.sub("_", name).lower()


class BaseMessage:
    """What every message and event has.

    - ``id``: ``MsgId`` (or ``MsgID``, as job-finish events spell it) as a string, or ``None``
    - ``source``: ``FromUserName``, the follower's openid
    - ``target``: ``ToUserName``, the account's original id (``gh_...``)
    - ``timestamp``: ``CreateTime`` as sent (an int); ``create_time``: the same as an aware datetime
    - ``type``: ``MsgType`` in lower case
    - ``raw``: every field WeChat sent, as parsed
    """

    #: The ``MsgType`` this class stands for.
    msg_type: ClassVar[str] = ""

    raw: dict[str, Any]
    id: str | None
    source: str
    target: str
    timestamp: int
    type: str

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        get = raw.get
        # Spelled out rather than through _text(): this runs for every callback.
        msg_id = get("MsgId") or get("MsgID")
        self.id = msg_id if isinstance(msg_id, str) and msg_id else None
        value = get("FromUserName")
        self.source = value if isinstance(value, str) else ""
        value = get("ToUserName")
        self.target = value if isinstance(value, str) else ""
        value = get("MsgType")
        self.type = value.lower() if isinstance(value, str) else ""
        stamp = get("CreateTime")
        try:
            self.timestamp = int(stamp) if stamp else 0
        except (TypeError, ValueError):
            self.timestamp = -1
        # Refused here, not when create_time is read: out of datetime's range it would
        # raise OverflowError/OSError in a handler.
        if not 0 <= self.timestamp <= _MAX_TIMESTAMP:
            raise XMLError(_("CreateTime is not a Unix timestamp: %(value)r") % {"value": stamp})

    @property
    def create_time(self) -> datetime:
        """``CreateTime`` as an aware datetime (UTC)."""
        return datetime.fromtimestamp(self.timestamp, tz=UTC)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={self.id!r} source={self.source!r} type={self.type!r}>"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class UnknownMessage(BaseMessage):
    """A ``MsgType`` this version does not know; everything is in ``raw``."""


class TextMessage(BaseMessage):
    """``MsgType=text``: ``content``."""

    msg_type = "text"
    content = StrField("Content")
    #: Set when the follower tapped a menu item sent by a customer-service message.
    biz_msg_menu_id = StrField("bizmsgmenuid")


class ImageMessage(BaseMessage):
    """``MsgType=image``: ``media_id`` and ``image`` (the picture's URL, also ``pic_url``)."""

    msg_type = "image"
    media_id = StrField("MediaId")
    image = StrField("PicUrl")
    pic_url = StrField("PicUrl")


class VoiceMessage(BaseMessage):
    """``MsgType=voice``: ``media_id``, ``format``, ``recognition`` (speech-to-text, if enabled)."""

    msg_type = "voice"
    media_id = StrField("MediaId")
    format = StrField("Format")
    recognition = StrField("Recognition")


class VideoMessage(BaseMessage):
    """``MsgType=video``: ``media_id`` and ``thumb_media_id``."""

    msg_type = "video"
    media_id = StrField("MediaId")
    thumb_media_id = StrField("ThumbMediaId")


class ShortVideoMessage(VideoMessage):
    """``MsgType=shortvideo``: ``media_id`` and ``thumb_media_id``."""

    msg_type = "shortvideo"


class LocationMessage(BaseMessage):
    """``MsgType=location``: ``location_x`` (latitude), ``location_y``, ``scale``, ``label``."""

    msg_type = "location"
    location_x = StrField("Location_X")
    location_y = StrField("Location_Y")
    scale = StrField("Scale")
    label = StrField("Label")
    latitude = FloatField("Location_X")
    longitude = FloatField("Location_Y")

    @property
    def location(self) -> tuple[float, float]:
        """``(latitude, longitude)`` as numbers."""
        return self.latitude, self.longitude


class LinkMessage(BaseMessage):
    """``MsgType=link``: ``title``, ``description``, ``url``."""

    msg_type = "link"
    title = StrField("Title")
    description = StrField("Description")
    url = StrField("Url")


class MiniProgramPageMessage(BaseMessage):
    """``MsgType=miniprogrampage`` (a mini-program card, in customer-service sessions)."""

    msg_type = "miniprogrampage"
    app_id = StrField("AppId")
    title = StrField("Title")
    page_path = StrField("PagePath")
    thumb_url = StrField("ThumbUrl")
    thumb_media_id = StrField("ThumbMediaId")


# --- events --------------------------------------------------------------------------------


class BaseEvent(BaseMessage):
    """``MsgType=event``: ``event`` (``Event``, lower case) and ``key`` (``EventKey`` or ``""``)."""

    msg_type = "event"
    #: The ``Event`` (lower case) this class stands for.
    event_type: ClassVar[str] = ""

    event: str
    key = StrField("EventKey")

    def __init__(self, raw: dict[str, Any]) -> None:
        super().__init__(raw)
        self.event = _text(raw.get("Event")).lower()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} source={self.source!r} event={self.event!r}>"


class UnknownEvent(BaseEvent):
    """An ``Event`` this version does not know; everything is in ``raw``."""


class SubscribeEvent(BaseEvent):
    """``subscribe``: a new follower (``key`` is ``""`` unless through a QR code)."""

    event_type = "subscribe"


class SubscribeScanEvent(SubscribeEvent):
    """``subscribe`` through a parametric QR code: ``scene_id`` (``qrscene_`` stripped), ``ticket``.

    ``event`` stays ``"subscribe"`` (what WeChat sends), so a handler for
    ``event="subscribe"`` sees these too; ``key`` keeps the raw ``qrscene_...`` value.
    """

    ticket = StrField("Ticket")

    @property
    def scene_id(self) -> str:
        """The QR code's scene (``scene_id`` or ``scene_str``), without ``qrscene_``."""
        key = self.key
        return key[len(QR_SCENE_PREFIX) :] if key.startswith(QR_SCENE_PREFIX) else key


class UnsubscribeEvent(BaseEvent):
    """``unsubscribe``: a follower left."""

    event_type = "unsubscribe"


class ScanEvent(BaseEvent):
    """``SCAN``: a follower scanned a parametric QR code: ``scene_id`` (no prefix), ``ticket``."""

    event_type = "scan"
    scene_id = StrField("EventKey")
    ticket = StrField("Ticket")


class LocationEvent(BaseEvent):
    """``LOCATION`` (reported location): ``latitude``, ``longitude``, ``precision``."""

    event_type = "location"
    latitude = FloatField("Latitude")
    longitude = FloatField("Longitude")
    precision = FloatField("Precision")


class ClickEvent(BaseEvent):
    """``CLICK`` on a menu button: ``key`` is the button's key."""

    event_type = "click"


class ViewEvent(BaseEvent):
    """``VIEW``: a menu link was opened: ``url`` (the ``EventKey``) and ``menu_id``."""

    event_type = "view"
    url = StrField("EventKey")
    menu_id = StrField("MenuId")


class ViewMiniProgramEvent(BaseEvent):
    """``view_miniprogram``: a menu opened a mini program: ``page_path`` and ``menu_id``."""

    event_type = "view_miniprogram"
    page_path = StrField("EventKey")
    menu_id = StrField("MenuId")


class BaseScanCodeEvent(BaseEvent):
    """A menu's scan button: ``scan_type`` and ``scan_result`` from ``ScanCodeInfo``."""

    scan_code_info = DictField("ScanCodeInfo")

    @property
    def scan_type(self) -> str:
        """``qrcode``, ``barcode``..."""
        return _text(self.scan_code_info.get("ScanType"))

    @property
    def scan_result(self) -> str:
        """What the code says."""
        return _text(self.scan_code_info.get("ScanResult"))


class ScanCodePushEvent(BaseScanCodeEvent):
    """``scancode_push``."""

    event_type = "scancode_push"


class ScanCodeWaitMsgEvent(BaseScanCodeEvent):
    """``scancode_waitmsg`` (WeChat shows "receiving" until the reply)."""

    event_type = "scancode_waitmsg"


class BasePictureEvent(BaseEvent):
    """A menu's photo button: ``count`` and ``pictures`` (dicts with ``PicMd5Sum``)."""

    pictures_info = DictField("SendPicsInfo")

    @property
    def count(self) -> int:
        """How many pictures were sent."""
        value = self.pictures_info.get("Count")
        if value is None or value == "":
            return len(self.pictures)
        return _to_int("Count", value)

    @property
    def pictures(self) -> list[dict[str, Any]]:
        """One dict per picture, such as ``{"PicMd5Sum": "..."}``."""
        pic_list = self.pictures_info.get("PicList")
        items = pic_list.get("item") if isinstance(pic_list, dict) else None
        return [item for item in _as_list(items) if isinstance(item, dict)]


class PicSysPhotoEvent(BasePictureEvent):
    """``pic_sysphoto``."""

    event_type = "pic_sysphoto"


class PicPhotoOrAlbumEvent(BasePictureEvent):
    """``pic_photo_or_album``."""

    event_type = "pic_photo_or_album"


class PicWeChatEvent(BasePictureEvent):
    """``pic_weixin``."""

    event_type = "pic_weixin"


class LocationSelectEvent(BaseEvent):
    """``location_select``: ``location_x``, ``location_y``, ``scale``, ``label``, ``poiname``."""

    event_type = "location_select"
    location_info = DictField("SendLocationInfo")

    def _info(self, tag: str) -> str:
        return _text(self.location_info.get(tag))

    @property
    def location_x(self) -> str:
        """Latitude, as sent."""
        return self._info("Location_X")

    @property
    def location_y(self) -> str:
        """Longitude, as sent."""
        return self._info("Location_Y")

    @property
    def scale(self) -> str:
        """Map zoom level."""
        return self._info("Scale")

    @property
    def label(self) -> str:
        """The address."""
        return self._info("Label")

    @property
    def poiname(self) -> str:
        """The place's name, when any."""
        return self._info("Poiname")

    @property
    def latitude(self) -> float:
        """``Location_X`` as a number."""
        return _to_float("Location_X", self.location_x) if self.location_x else 0.0

    @property
    def longitude(self) -> float:
        """``Location_Y`` as a number."""
        return _to_float("Location_Y", self.location_y) if self.location_y else 0.0

    @property
    def location(self) -> tuple[float, float]:
        """``(latitude, longitude)`` as numbers, as on :class:`LocationMessage`."""
        return self.latitude, self.longitude


class TemplateSendJobFinishEvent(BaseEvent):
    """``TEMPLATESENDJOBFINISH``: ``id`` (the template message's ``MsgID``) and ``status``.

    ``status`` is ``success``, ``failed:user block`` or ``failed: system failed`` (sic).
    """

    event_type = "templatesendjobfinish"
    status = StrField("Status")


class MassSendJobFinishEvent(BaseEvent):
    """``MASSSENDJOBFINISH``: ``id``, ``status`` and the counts."""

    event_type = "masssendjobfinish"
    status = StrField("Status")
    total_count = IntField("TotalCount")
    filter_count = IntField("FilterCount")
    sent_count = IntField("SentCount")
    error_count = IntField("ErrorCount")


class PublishJobFinishEvent(BaseEvent):
    """``PUBLISHJOBFINISH``: the result of a publish (发布) job, from ``PublishEventInfo``."""

    event_type = "publishjobfinish"
    publish_event_info = DictField("PublishEventInfo")

    @property
    def publish_id(self) -> str:
        """The job's ``publish_id``."""
        return _text(self.publish_event_info.get("publish_id"))

    @property
    def publish_status(self) -> int:
        """0 success, 1 publishing, 2 original-content failure, 3 ... (see WeChat's docs);
        -1 when absent."""
        value = self.publish_event_info.get("publish_status")
        return -1 if value is None or value == "" else _to_int("publish_status", value)

    @property
    def article_id(self) -> str:
        """The published article's id, on success."""
        return _text(self.publish_event_info.get("article_id"))

    @property
    def article_urls(self) -> list[str]:
        """The URL of each published article."""
        detail = self.publish_event_info.get("article_detail")
        items = detail.get("item") if isinstance(detail, dict) else None
        return [
            _text(item.get("article_url")) for item in _as_list(items) if isinstance(item, dict)
        ]


class BaseSubscribeMsgEvent(BaseEvent):
    """Subscription-notification events: ``subscriptions``, one dict per template.

    The dict keys are WeChat's, in snake case: ``template_id``,
    ``subscribe_status_string`` (``accept``/``reject``), ``popup_scene``, ``msg_id``,
    ``error_code``, ``error_status``, depending on the event.
    """

    #: The element holding the ``List`` items.
    container: ClassVar[str] = ""

    @property
    def subscriptions(self) -> list[dict[str, str]]:
        """One dict per template the event reports on."""
        return [{_snake(k): _text(v) for k, v in item.items()} for item in self.subscribes]

    @property
    def subscribes(self) -> list[dict[str, Any]]:
        """The same items with WeChat's own keys (``TemplateId``...), as wechatpy has them."""
        container = self.raw.get(self.container)
        items = container.get("List") if isinstance(container, dict) else None
        return [item for item in _as_list(items) if isinstance(item, dict)]


class SubscribeMsgPopupEvent(BaseSubscribeMsgEvent):
    """``subscribe_msg_popup_event``: the follower answered the subscription pop-up."""

    event_type = "subscribe_msg_popup_event"
    container = "SubscribeMsgPopupEvent"


class SubscribeMsgChangeEvent(BaseSubscribeMsgEvent):
    """``subscribe_msg_change_event``: the follower changed a subscription in settings."""

    event_type = "subscribe_msg_change_event"
    container = "SubscribeMsgChangeEvent"


class SubscribeMsgSentEvent(BaseSubscribeMsgEvent):
    """``subscribe_msg_sent_event``: the delivery result of a subscription notification."""

    event_type = "subscribe_msg_sent_event"
    container = "SubscribeMsgSentEvent"


class SubscribeScanProductEvent(SubscribeEvent):
    """``subscribe`` from a product's page (扫一扫): the ``EventKey`` split in three.

    WeChat sends ``EventKey`` ``scanbarcode|<KeyStandard>|<KeyStr>`` (or ``scanimage|...``):
    ``scene`` (``scanbarcode`` or ``scanimage``), ``standard`` (the code standard, such as
    ``ean13``) and ``key_str`` (the code). ``event`` stays ``"subscribe"`` and ``key`` the
    whole ``EventKey``, as on :class:`SubscribeScanEvent`; wechatpy has the code as ``key``.
    The 扫一扫 product pages are a legacy feature of WeChat's.
    """

    def _part(self, index: int) -> str:
        parts = self.key.split("|", 2)
        return parts[index] if len(parts) > index else ""

    @property
    def scene(self) -> str:
        """``scanbarcode`` or ``scanimage``."""
        return self._part(0)

    @property
    def standard(self) -> str:
        """The code's standard (``KeyStandard``: ``ean13``, ``qrcode``...)."""
        return self._part(1)

    @property
    def key_str(self) -> str:
        """The code itself (``KeyStr``)."""
        return self._part(2)


# --- customer service (客服会话状态通知) -----------------------------------------------------


class BaseKfSessionEvent(BaseEvent):
    """A customer-service session event: ``account`` (``KfAccount``, such as ``kf2001@gh``)."""

    account = StrField("KfAccount")


class KfCreateSessionEvent(BaseKfSessionEvent):
    """``kf_create_session``: a customer-service agent took the follower's session."""

    event_type = "kf_create_session"


class KfCloseSessionEvent(BaseKfSessionEvent):
    """``kf_close_session``: the agent ``account`` closed the session."""

    event_type = "kf_close_session"


class KfSwitchSessionEvent(BaseEvent):
    """``kf_switch_session``: the session moved from ``from_account`` to ``to_account``."""

    event_type = "kf_switch_session"
    from_account = StrField("FromKfAccount")
    to_account = StrField("ToKfAccount")


# --- account verification (微信认证事件推送) ------------------------------------------------


class BaseVerifyExpiryEvent(BaseEvent):
    """A verification event with ``expired_time`` (``ExpiredTime``, an aware datetime)."""

    expired_time = TimestampField("ExpiredTime")


class BaseVerifyFailEvent(BaseEvent):
    """A failed verification: ``fail_time`` (``FailTime``, a datetime) and ``fail_reason``."""

    fail_time = TimestampField("FailTime")
    fail_reason = StrField("FailReason")


class QualificationVerifySuccessEvent(BaseVerifyExpiryEvent):
    """``qualification_verify_success`` (资质认证成功): the API permissions are granted now;
    ``expired_time`` is when the verification lapses."""

    event_type = "qualification_verify_success"


class QualificationVerifyFailEvent(BaseVerifyFailEvent):
    """``qualification_verify_fail`` (资质认证失败)."""

    event_type = "qualification_verify_fail"


class NamingVerifySuccessEvent(BaseVerifyExpiryEvent):
    """``naming_verify_success`` (名称认证成功): the account shows the verified tick."""

    event_type = "naming_verify_success"


class NamingVerifyFailEvent(BaseVerifyFailEvent):
    """``naming_verify_fail`` (名称认证失败): no tick, though the API permissions stay."""

    event_type = "naming_verify_fail"


class AnnualRenewEvent(BaseVerifyExpiryEvent):
    """``annual_renew`` (年审通知): renew before ``expired_time``."""

    event_type = "annual_renew"


class VerifyExpiredEvent(BaseVerifyExpiryEvent):
    """``verify_expired`` (认证过期失效通知): the verification lapsed at ``expired_time``."""

    event_type = "verify_expired"


# --- invoices (电子发票) ---------------------------------------------------------------------


class UserAuthorizeInvoiceEvent(BaseEvent):
    """``user_authorize_invoice`` (授权完成): a follower authorised an invoice for an order.

    ``success_order_id`` or ``fail_order_id`` (one of the two is set), ``app_id`` (the AppID
    that asked, ``AuthorizeAppId``; older samples send ``AppId``) and ``auth_source``
    (``source``: ``web``, ``app``, ``wxa`` or ``wap``; older samples spell it ``Source``).
    """

    event_type = "user_authorize_invoice"
    success_order_id = StrField("SuccOrderId")
    fail_order_id = StrField("FailOrderId")
    app_id = AnyStrField("AuthorizeAppId", "AppId")
    auth_source = AnyStrField("source", "Source")


class UpdateInvoiceStatusEvent(BaseEvent):
    """``update_invoice_status``: an invoice's reimbursement ``status`` changed
    (``INVOICE_REIMBURSE_INIT``, ``..._LOCK``, ``..._CLOSURE``); ``card_id``, ``code``."""

    event_type = "update_invoice_status"
    status = StrField("Status")
    card_id = StrField("CardId")
    code = StrField("Code")


class SubmitInvoiceTitleEvent(BaseEvent):
    """``submit_invoice_title``: a follower sent an invoice title (抬头) from the QR page.

    ``title``, ``phone``, ``tax_no``, ``addr``, ``bank_type``, ``bank_no``, ``attach``
    and ``title_type`` (``InvoiceUserTitlePersonType`` or ``...BusinessType``): WeChat
    sends these tags in lower case.
    """

    event_type = "submit_invoice_title"
    title = StrField("title")
    phone = StrField("phone")
    tax_no = StrField("tax_no")
    addr = StrField("addr")
    bank_type = StrField("bank_type")
    bank_no = StrField("bank_no")
    attach = StrField("attach")
    title_type = StrField("title_type")


# --- legacy services ------------------------------------------------------------------------


class MerchantOrderEvent(BaseEvent):
    """``merchant_order`` (订单付款通知): an order was paid in the first 微信小店.

    ``order_id``, ``order_status`` (an int; 2 is paid), ``product_id``, ``sku_info``.
    That shop API is retired (WeChat's shops now run on 视频号小店, with events of their
    own); the class stays for accounts and archives that still carry these.
    """

    event_type = "merchant_order"
    order_id = StrField("OrderId")
    order_status = IntField("OrderStatus")
    product_id = StrField("ProductId")
    sku_info = StrField("SkuInfo")


def _beacon(tag: str, item: Any) -> dict[str, Any]:
    item = item if isinstance(item, dict) else {}
    distance = item.get("Distance")
    return {
        "uuid": _text(item.get("Uuid")),
        "major": _text(item.get("Major")),
        "minor": _text(item.get("Minor")),
        "distance": _to_float(tag, distance) if distance else 0.0,
    }


class ShakearoundUserShakeEvent(BaseEvent):
    """``ShakearoundUserShake`` (摇一摇事件通知): a follower shook near the account's beacons.

    ``chosen_beacon`` (the beacon whose page was shown) and ``around_beacons`` (up to
    five more), each ``{"uuid", "major", "minor", "distance"}`` with ``distance`` in
    metres as a float. Retired: 摇一摇周边 is documented only in WeChat's older
    Official Account docs (Shake_Nearby), not in the current 服务号 docs.
    """

    event_type = "shakearoundusershake"
    chosen_beacon_info = DictField("ChosenBeacon")
    around_beacons_info = DictField("AroundBeacons")

    @property
    def chosen_beacon(self) -> dict[str, Any]:
        """The beacon whose page was shown, or ``{}``."""
        info = self.chosen_beacon_info
        return _beacon("ChosenBeacon", info) if info else {}

    @property
    def around_beacons(self) -> list[dict[str, Any]]:
        """The other beacons nearby."""
        items = self.around_beacons_info.get("AroundBeacon")
        return [_beacon("AroundBeacon", item) for item in _as_list(items)]


class WiFiConnectedEvent(BaseEvent):
    """``WifiConnected`` (连网后下发消息): a follower connected to a shop's Wi-Fi.

    ``connect_time`` (an int, as sent), ``expire_time`` and ``vendor_id`` (reserved by
    WeChat), ``shop_id`` (``ShopId``; older samples send ``PlaceId``) and ``bssid``
    (``DeviceNo``, the access point's MAC address). Retired: 微信连Wi-Fi is documented
    only in WeChat's older Official Account docs (WiFi_via_WeChat).
    """

    event_type = "wificonnected"
    connect_time = IntField("ConnectTime")
    expire_time = IntField("ExpireTime")
    vendor_id = StrField("VendorId")
    shop_id = AnyStrField("ShopId", "PlaceId")
    bssid = StrField("DeviceNo")


# --- devices (微信硬件平台) -----------------------------------------------------------------


class BaseDeviceEvent(BaseEvent):
    """A message from the hardware platform: ``MsgType`` ``device_text`` or ``device_event``.

    ``type`` is the ``MsgType``; ``event`` is ``device_text``, or ``device_`` plus the
    ``Event`` for ``device_event`` (``device_bind``...), as wechatpy names them, so that
    ``@handler(event="device_bind")`` works. ``device_type`` (the account's original id),
    ``device_id``, ``session_id``, ``open_id``. The hardware platform (微信硬件平台) is a
    legacy service, documented outside the current 服务号 docs.
    """

    device_type = StrField("DeviceType")
    device_id = StrField("DeviceID")
    session_id = StrField("SessionID")
    open_id = StrField("OpenID")

    def __init__(self, raw: dict[str, Any]) -> None:
        super().__init__(raw)
        self.event = f"device_{self.event}" if self.event else self.type


class BaseDeviceContentEvent(BaseDeviceEvent):
    """A device message carrying data: ``data`` (``Content`` base64-decoded) and ``content``."""

    data = Base64Field("Content")

    @property
    def content(self) -> str:
        """``data`` as UTF-8 text (use ``data`` for a binary protocol)."""
        try:
            return self.data.decode()
        except UnicodeDecodeError:
            raise XMLError(
                _("The field %(tag)s is not UTF-8 text once decoded.") % {"tag": "Content"}
            ) from None


class DeviceTextEvent(BaseDeviceContentEvent):
    """``MsgType=device_text``: a device sent data through the follower's WeChat."""

    msg_type = "device_text"
    event_type = "device_text"


class DeviceBindEvent(BaseDeviceContentEvent):
    """``device_event`` with ``Event=bind``: the follower bound a device."""

    msg_type = "device_event"
    event_type = "device_bind"


class DeviceUnbindEvent(BaseDeviceContentEvent):
    """``device_event`` with ``Event=unbind``: the follower unbound a device."""

    msg_type = "device_event"
    event_type = "device_unbind"


class DeviceSubscribeStatusEvent(BaseDeviceEvent):
    """``device_event`` with ``Event=subscribe_status``: ``op_type`` (1 heartbeat, 2 subscribe)."""

    msg_type = "device_event"
    event_type = "device_subscribe_status"
    op_type = IntField("OpType")


class DeviceUnsubscribeStatusEvent(BaseDeviceEvent):
    """``device_event`` with ``Event=unsubscribe_status``: ``op_type`` (0 unsubscribe)."""

    msg_type = "device_event"
    event_type = "device_unsubscribe_status"
    op_type = IntField("OpType")


# --- cards and coupons (卡券事件推送) -------------------------------------------------------


class BaseCardEvent(BaseEvent):
    """A card event: ``card_id`` (``CardId``)."""

    card_id = StrField("CardId")


class BaseUserCardEvent(BaseCardEvent):
    """A card event about one follower's card: ``card_id`` and ``code`` (``UserCardCode``)."""

    code = StrField("UserCardCode")


class CardPassCheckEvent(BaseCardEvent):
    """``card_pass_check``: a card passed WeChat's review."""

    event_type = "card_pass_check"


class CardNotPassCheckEvent(BaseCardEvent):
    """``card_not_pass_check``: a card failed review: ``refuse_reason``."""

    event_type = "card_not_pass_check"
    refuse_reason = StrField("RefuseReason")


class UserGetCardEvent(BaseUserCardEvent):
    """``user_get_card`` (领取事件): a follower took a card.

    ``is_given_by_friend`` (1 when a friend gave it, then ``friend`` is their openid and
    ``old_code`` the giver's code), ``outer_id``, ``outer_str`` (the channel),
    ``is_restore_member_card``, ``is_recommend_by_friend`` (ints) and ``union_id``.
    """

    event_type = "user_get_card"
    is_given_by_friend = IntField("IsGiveByFriend")
    friend = StrField("FriendUserName")
    old_code = StrField("OldUserCardCode")
    outer_id = IntField("OuterId")
    outer_str = StrField("OuterStr")
    is_restore_member_card = IntField("IsRestoreMemberCard")
    is_recommend_by_friend = IntField("IsRecommendByFriend")
    union_id = StrField("UnionId")


class UserGiftingCardEvent(BaseUserCardEvent):
    """``user_gifting_card`` (转赠事件): the follower gave a card to ``friend``.

    ``is_return_back`` and ``is_chat_room`` (ints: 1 for a return, for a group chat).
    """

    event_type = "user_gifting_card"
    friend = StrField("FriendUserName")
    is_return_back = IntField("IsReturnBack")
    is_chat_room = IntField("IsChatRoom")


class UserDeleteCardEvent(BaseUserCardEvent):
    """``user_del_card``: the follower deleted a card."""

    event_type = "user_del_card"


class UserConsumeCardEvent(BaseUserCardEvent):
    """``user_consume_card`` (核销事件): a card was redeemed.

    ``consume_source`` (``FROM_API``, ``FROM_MP``, ``FROM_MOBILE_HELPER``...),
    ``location_name`` (the shop), ``staff`` (``StaffOpenId``), ``verify_code`` and
    ``remark_amount`` (self-service redemption), ``outer_str``.
    """

    event_type = "user_consume_card"
    consume_source = StrField("ConsumeSource")
    location_name = StrField("LocationName")
    staff = StrField("StaffOpenId")
    verify_code = StrField("VerifyCode")
    remark_amount = StrField("RemarkAmount")
    outer_str = StrField("OuterStr")


class UserPayFromPayCellEvent(BaseUserCardEvent):
    """``user_pay_from_pay_cell`` (买单事件): a follower paid with a card.

    ``trans_id`` (the WeChat Pay transaction), ``location_id``, ``fee`` and
    ``original_fee`` (ints, in fen).
    """

    event_type = "user_pay_from_pay_cell"
    trans_id = StrField("TransId")
    location_id = IntField("LocationId")
    fee = IntField("Fee")
    original_fee = IntField("OriginalFee")


class UserViewCardEvent(BaseUserCardEvent):
    """``user_view_card``: the follower opened a member card: ``outer_str`` (the QR channel)."""

    event_type = "user_view_card"
    outer_str = StrField("OuterStr")


class UserEnterSessionFromCardEvent(BaseUserCardEvent):
    """``user_enter_session_from_card``: the follower came to the chat from a card."""

    event_type = "user_enter_session_from_card"


class UpdateMemberCardEvent(BaseUserCardEvent):
    """``update_member_card``: a member card's points or balance changed:
    ``modify_bonus`` and ``modify_balance`` (ints)."""

    event_type = "update_member_card"
    modify_bonus = IntField("ModifyBonus")
    modify_balance = IntField("ModifyBalance")


class CardSkuRemindEvent(BaseCardEvent):
    """``card_sku_remind`` (库存报警): a card's stock is low: ``detail``."""

    event_type = "card_sku_remind"
    detail = StrField("Detail")


class CardPayOrderEvent(BaseEvent):
    """``card_pay_order`` (券点流水详情): a change in the account's coupon points (券点).

    ``order_id``, ``status`` (``ORDER_STATUS_WAITING``, ``..._SUCC``...),
    ``create_order_time`` and ``pay_finish_time`` (datetimes), ``description`` (``Desc``),
    ``free_coin_count``, ``pay_coin_count``, ``refund_free_coin_count``,
    ``refund_pay_coin_count`` (ints), ``order_type``, ``memo``, ``receipt_info``.
    """

    event_type = "card_pay_order"
    order_id = StrField("OrderId")
    status = StrField("Status")
    create_order_time = TimestampField("CreateOrderTime")
    pay_finish_time = TimestampField("PayFinishTime")
    description = StrField("Desc")
    free_coin_count = IntField("FreeCoinCount")
    pay_coin_count = IntField("PayCoinCount")
    refund_free_coin_count = IntField("RefundFreeCoinCount")
    refund_pay_coin_count = IntField("RefundPayCoinCount")
    order_type = StrField("OrderType")
    memo = StrField("Memo")
    receipt_info = StrField("ReceiptInfo")


class SubmitMembercardUserInfoEvent(BaseUserCardEvent):
    """``submit_membercard_user_info`` (会员卡激活): the follower filled in the activation form.

    ``code`` (also ``card_code``, wechatpy's name); the answers are fetched with the
    card API.
    """

    event_type = "submit_membercard_user_info"
    card_code = StrField("UserCardCode")


#: ``MsgType`` -> class.
MESSAGE_TYPES: dict[str, type[BaseMessage]] = {
    cls.msg_type: cls
    for cls in (
        TextMessage,
        ImageMessage,
        VoiceMessage,
        VideoMessage,
        ShortVideoMessage,
        LocationMessage,
        LinkMessage,
        MiniProgramPageMessage,
        DeviceTextEvent,
    )
}

#: ``Event`` (lower case) -> class.
EVENT_TYPES: dict[str, type[BaseEvent]] = {
    cls.event_type: cls
    for cls in (
        SubscribeEvent,
        UnsubscribeEvent,
        ScanEvent,
        LocationEvent,
        ClickEvent,
        ViewEvent,
        ViewMiniProgramEvent,
        ScanCodePushEvent,
        ScanCodeWaitMsgEvent,
        PicSysPhotoEvent,
        PicPhotoOrAlbumEvent,
        PicWeChatEvent,
        LocationSelectEvent,
        TemplateSendJobFinishEvent,
        MassSendJobFinishEvent,
        PublishJobFinishEvent,
        SubscribeMsgPopupEvent,
        SubscribeMsgChangeEvent,
        SubscribeMsgSentEvent,
        KfCreateSessionEvent,
        KfCloseSessionEvent,
        KfSwitchSessionEvent,
        QualificationVerifySuccessEvent,
        QualificationVerifyFailEvent,
        NamingVerifySuccessEvent,
        NamingVerifyFailEvent,
        AnnualRenewEvent,
        VerifyExpiredEvent,
        UserAuthorizeInvoiceEvent,
        UpdateInvoiceStatusEvent,
        SubmitInvoiceTitleEvent,
        MerchantOrderEvent,
        ShakearoundUserShakeEvent,
        WiFiConnectedEvent,
        CardPassCheckEvent,
        CardNotPassCheckEvent,
        UserGetCardEvent,
        UserGiftingCardEvent,
        UserDeleteCardEvent,
        UserConsumeCardEvent,
        UserPayFromPayCellEvent,
        UserViewCardEvent,
        UserEnterSessionFromCardEvent,
        UpdateMemberCardEvent,
        CardSkuRemindEvent,
        CardPayOrderEvent,
        SubmitMembercardUserInfoEvent,
    )
}

#: ``device_`` + ``Event`` (lower case) -> class, for ``MsgType=device_event``.
DEVICE_EVENT_TYPES: dict[str, type[BaseDeviceEvent]] = {
    cls.event_type: cls
    for cls in (
        DeviceBindEvent,
        DeviceUnbindEvent,
        DeviceSubscribeStatusEvent,
        DeviceUnsubscribeStatusEvent,
    )
}


def parse_message(xml: str | bytes | Mapping[str, Any]) -> BaseMessage:
    """Turn a callback's plaintext XML (or its parsed dict) into a message or event object.

    Raises :class:`~django_wechat.exceptions.XMLError` for XML the hardened parser refuses.
    """
    # str first: the abstract Mapping check is the slow one.
    raw = (
        wxml.parse(xml)
        if isinstance(xml, str | bytes) or not isinstance(xml, Mapping)
        else dict(xml)
    )
    msg_type = raw.get("MsgType")
    msg_type = msg_type.lower() if isinstance(msg_type, str) else ""
    if msg_type != "event":
        if msg_type == "device_event":
            event = raw.get("Event")
            name = f"device_{event.lower()}" if isinstance(event, str) else ""
            return DEVICE_EVENT_TYPES.get(name, UnknownEvent)(raw)
        return MESSAGE_TYPES.get(msg_type, UnknownMessage)(raw)
    event = raw.get("Event")
    event = event.lower() if isinstance(event, str) else ""
    if event == "subscribe":
        key = raw.get("EventKey")
        if isinstance(key, str) and key:
            if key.startswith(QR_SCENE_PREFIX):
                return SubscribeScanEvent(raw)
            if key.startswith(PRODUCT_SCAN_PREFIXES):
                return SubscribeScanProductEvent(raw)
    return EVENT_TYPES.get(event, UnknownEvent)(raw)
