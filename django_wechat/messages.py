"""Inbound messages and events, one class per ``MsgType`` and per ``Event``.

:func:`parse_message` turns a callback's plaintext XML (or the dict :func:`django_wechat.xml.parse`
made of it) into one of the classes below. Attribute names follow wechatpy's where it
has one, so code moving over keeps working; every message keeps the fields WeChat sent
in ``raw``, and anything unknown parses to :class:`UnknownMessage` or
:class:`UnknownEvent` with nothing lost.

Field names come from WeChat's message docs
(https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html,
.../Receiving_event_pushes.html) as summarised in PROTOCOL.md B4/B5.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Self, TypeVar, overload

from . import xml as wxml
from ._i18n import gettext as _
from .exceptions import XMLError

__all__ = [
    "BaseEvent",
    "BaseMessage",
    "ClickEvent",
    "ImageMessage",
    "LinkMessage",
    "LocationEvent",
    "LocationMessage",
    "LocationSelectEvent",
    "MassSendJobFinishEvent",
    "MiniProgramPageMessage",
    "PicPhotoOrAlbumEvent",
    "PicSysPhotoEvent",
    "PicWeChatEvent",
    "PublishJobFinishEvent",
    "ScanCodePushEvent",
    "ScanCodeWaitMsgEvent",
    "ScanEvent",
    "ShortVideoMessage",
    "SubscribeEvent",
    "SubscribeMsgChangeEvent",
    "SubscribeMsgPopupEvent",
    "SubscribeMsgSentEvent",
    "SubscribeScanEvent",
    "TemplateSendJobFinishEvent",
    "TextMessage",
    "UnknownEvent",
    "UnknownMessage",
    "UnsubscribeEvent",
    "VideoMessage",
    "ViewEvent",
    "ViewMiniProgramEvent",
    "VoiceMessage",
    "parse_message",
]

T = TypeVar("T")

# Subscribing through a parametric QR code sends EventKey "qrscene_<scene>"; a follower
# scanning it again sends SCAN with the bare scene (PROTOCOL.md B5, D10).
QR_SCENE_PREFIX = "qrscene_"


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
        try:
            return int(value)
        except (TypeError, ValueError):
            raise XMLError(
                _("The field %(tag)s is not an integer: %(value)r")
                % {"tag": self.tag, "value": value}
            ) from None


class FloatField(Field[float]):
    """A decimal field (``0.0`` when absent)."""

    def __init__(self, tag: str, default: float = 0.0) -> None:
        super().__init__(tag, default)

    def convert(self, value: Any) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise XMLError(
                _("The field %(tag)s is not a number: %(value)r")
                % {"tag": self.tag, "value": value}
            ) from None


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
            raise XMLError(
                _("CreateTime is not a Unix timestamp: %(value)r") % {"value": stamp}
            ) from None

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
        return int(value) if isinstance(value, str) and value.isdigit() else len(self.pictures)

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
        """0 success, 1 publishing, 2 original-content failure, 3 ... (see WeChat's docs)."""
        value = self.publish_event_info.get("publish_status")
        return int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else -1

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
        container = self.raw.get(self.container)
        items = container.get("List") if isinstance(container, dict) else None
        return [
            {_snake(k): _text(v) for k, v in item.items()}
            for item in _as_list(items)
            if isinstance(item, dict)
        ]


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
        return MESSAGE_TYPES.get(msg_type, UnknownMessage)(raw)
    event = raw.get("Event")
    event = event.lower() if isinstance(event, str) else ""
    if event == "subscribe":
        key = raw.get("EventKey")
        if isinstance(key, str) and key.startswith(QR_SCENE_PREFIX):
            return SubscribeScanEvent(raw)
    return EVENT_TYPES.get(event, UnknownEvent)(raw)
