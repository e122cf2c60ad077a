"""parse_message: one class per MsgType and Event, wechatpy's attribute names, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import django_wechat
from django_wechat import messages as m
from django_wechat.exceptions import XMLError


def xml(msg_type: str, body: str = "", *, create_time: str = "1409735668") -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
        "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"{body}</xml>"
    )


def event(name: str, body: str = "") -> str:
    return xml("event", f"<Event><![CDATA[{name}]]></Event>{body}")


CASES: list[tuple[str, type[m.BaseMessage], dict[str, Any]]] = [
    (
        xml(
            "text", "<Content><![CDATA[你好，公众号]]></Content><MsgId>6054768590064713728</MsgId>"
        ),
        m.TextMessage,
        {"content": "你好，公众号", "id": "6054768590064713728", "type": "text"},
    ),
    (
        xml(
            "image",
            "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl>"
            "<MediaId><![CDATA[media_1]]></MediaId><MsgId>1</MsgId>",
        ),
        m.ImageMessage,
        {
            "image": "http://mmbiz.qpic.cn/x",
            "pic_url": "http://mmbiz.qpic.cn/x",
            "media_id": "media_1",
        },
    ),
    (
        xml(
            "voice",
            "<MediaId><![CDATA[v1]]></MediaId><Format><![CDATA[amr]]></Format>"
            "<Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>2</MsgId>",
        ),
        m.VoiceMessage,
        {"media_id": "v1", "format": "amr", "recognition": "腾讯微信团队"},
    ),
    (
        xml("voice", "<MediaId><![CDATA[v1]]></MediaId><Format><![CDATA[amr]]></Format>"),
        m.VoiceMessage,
        {"recognition": "", "id": None},
    ),
    (
        xml("video", "<MediaId>v</MediaId><ThumbMediaId>t</ThumbMediaId><MsgId>3</MsgId>"),
        m.VideoMessage,
        {"media_id": "v", "thumb_media_id": "t", "type": "video"},
    ),
    (
        xml("shortvideo", "<MediaId>v</MediaId><ThumbMediaId>t</ThumbMediaId><MsgId>4</MsgId>"),
        m.ShortVideoMessage,
        {"media_id": "v", "thumb_media_id": "t", "type": "shortvideo"},
    ),
    (
        xml(
            "location",
            "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y>"
            "<Scale>20</Scale><Label><![CDATA[广州市天河区]]></Label><MsgId>5</MsgId>",
        ),
        m.LocationMessage,
        {
            "location_x": "23.134521",
            "location_y": "113.358803",
            "scale": "20",
            "label": "广州市天河区",
            "location": (23.134521, 113.358803),
        },
    ),
    (
        xml(
            "link",
            "<Title><![CDATA[标题]]></Title><Description><![CDATA[描述]]></Description>"
            "<Url><![CDATA[https://example.com/a?b=1&c=2]]></Url><MsgId>6</MsgId>",
        ),
        m.LinkMessage,
        {"title": "标题", "description": "描述", "url": "https://example.com/a?b=1&c=2"},
    ),
    (
        xml(
            "miniprogrampage",
            "<AppId><![CDATA[wxapp]]></AppId><Title><![CDATA[卡片]]></Title>"
            "<PagePath><![CDATA[pages/index]]></PagePath><ThumbUrl><![CDATA[http://t]]></ThumbUrl>"
            "<ThumbMediaId><![CDATA[tm]]></ThumbMediaId><MsgId>7</MsgId>",
        ),
        m.MiniProgramPageMessage,
        {"app_id": "wxapp", "title": "卡片", "page_path": "pages/index", "thumb_media_id": "tm"},
    ),
    (event("subscribe"), m.SubscribeEvent, {"event": "subscribe", "key": "", "id": None}),
    (
        event("subscribe", "<EventKey><![CDATA[]]></EventKey>"),
        m.SubscribeEvent,
        {"event": "subscribe", "key": ""},
    ),
    (
        event(
            "subscribe",
            "<EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TK]]></Ticket>",
        ),
        m.SubscribeScanEvent,
        {"event": "subscribe", "scene_id": "123123", "ticket": "TK", "key": "qrscene_123123"},
    ),
    (
        event(
            "subscribe",
            "<EventKey><![CDATA[qrscene_promo_qrscene_x]]></EventKey><Ticket>T</Ticket>",
        ),
        m.SubscribeScanEvent,
        {"scene_id": "promo_qrscene_x"},
    ),
    (event("unsubscribe"), m.UnsubscribeEvent, {"event": "unsubscribe"}),
    (
        event("SCAN", "<EventKey><![CDATA[123123]]></EventKey><Ticket><![CDATA[TK]]></Ticket>"),
        m.ScanEvent,
        {"event": "scan", "scene_id": "123123", "ticket": "TK", "key": "123123"},
    ),
    (
        # SCAN's scene has no prefix; one that happens to start with it is left alone.
        event("SCAN", "<EventKey><![CDATA[qrscene_9]]></EventKey><Ticket>T</Ticket>"),
        m.ScanEvent,
        {"scene_id": "qrscene_9"},
    ),
    (
        event(
            "LOCATION",
            "<Latitude>23.137466</Latitude><Longitude>113.352425</Longitude>"
            "<Precision>119.385040</Precision>",
        ),
        m.LocationEvent,
        {
            "event": "location",
            "latitude": 23.137466,
            "longitude": 113.352425,
            "precision": 119.38504,
        },
    ),
    (
        event("CLICK", "<EventKey><![CDATA[V1001_TODAY_MUSIC]]></EventKey>"),
        m.ClickEvent,
        {"event": "click", "key": "V1001_TODAY_MUSIC"},
    ),
    (
        event("VIEW", "<EventKey><![CDATA[http://www.qq.com/]]></EventKey><MenuId>12</MenuId>"),
        m.ViewEvent,
        {
            "event": "view",
            "url": "http://www.qq.com/",
            "menu_id": "12",
            "key": "http://www.qq.com/",
        },
    ),
    (
        event(
            "view_miniprogram",
            "<EventKey><![CDATA[pages/index/index]]></EventKey><MenuId>3</MenuId>",
        ),
        m.ViewMiniProgramEvent,
        {"event": "view_miniprogram", "page_path": "pages/index/index", "menu_id": "3"},
    ),
    (
        event(
            "scancode_push",
            "<EventKey><![CDATA[rselfmenu_0_1]]></EventKey><ScanCodeInfo>"
            "<ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult>"
            "</ScanCodeInfo>",
        ),
        m.ScanCodePushEvent,
        {
            "event": "scancode_push",
            "key": "rselfmenu_0_1",
            "scan_type": "qrcode",
            "scan_result": "1",
        },
    ),
    (
        event(
            "scancode_waitmsg",
            "<EventKey>k</EventKey><ScanCodeInfo><ScanType>barcode</ScanType>"
            "<ScanResult>EAN_13,6901234567892</ScanResult></ScanCodeInfo>",
        ),
        m.ScanCodeWaitMsgEvent,
        {"scan_type": "barcode", "scan_result": "EAN_13,6901234567892"},
    ),
    (
        event(
            "pic_sysphoto",
            "<EventKey>6</EventKey><SendPicsInfo><Count>1</Count><PicList>"
            "<item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item>"
            "</PicList></SendPicsInfo>",
        ),
        m.PicSysPhotoEvent,
        {"count": 1, "pictures": [{"PicMd5Sum": "1b5f7c23b5bf75682a53e7b6d163e185"}]},
    ),
    (
        event(
            "pic_photo_or_album",
            "<EventKey>6</EventKey><SendPicsInfo><Count>2</Count><PicList>"
            "<item><PicMd5Sum>a</PicMd5Sum></item><item><PicMd5Sum>b</PicMd5Sum></item>"
            "</PicList></SendPicsInfo>",
        ),
        m.PicPhotoOrAlbumEvent,
        {"count": 2, "pictures": [{"PicMd5Sum": "a"}, {"PicMd5Sum": "b"}]},
    ),
    (
        event("pic_weixin", "<EventKey>6</EventKey><SendPicsInfo><Count>0</Count></SendPicsInfo>"),
        m.PicWeChatEvent,
        {"count": 0, "pictures": []},
    ),
    (
        event(
            "location_select",
            "<EventKey>6</EventKey><SendLocationInfo><Location_X>23</Location_X>"
            "<Location_Y>113</Location_Y><Scale>15</Scale><Label><![CDATA[ 广州市海珠区]]></Label>"
            "<Poiname><![CDATA[]]></Poiname></SendLocationInfo>",
        ),
        m.LocationSelectEvent,
        {
            "location_x": "23",
            "location_y": "113",
            "scale": "15",
            "label": " 广州市海珠区",
            "poiname": "",
        },
    ),
    (
        event(
            "TEMPLATESENDJOBFINISH",
            "<MsgID>200163836</MsgID><Status><![CDATA[failed: system failed]]></Status>",
        ),
        m.TemplateSendJobFinishEvent,
        {"id": "200163836", "status": "failed: system failed", "event": "templatesendjobfinish"},
    ),
    (
        event(
            "MASSSENDJOBFINISH",
            "<MsgID>1988</MsgID><Status><![CDATA[sendsuccess]]></Status><TotalCount>100</TotalCount>"
            "<FilterCount>80</FilterCount><SentCount>75</SentCount><ErrorCount>5</ErrorCount>",
        ),
        m.MassSendJobFinishEvent,
        {
            "id": "1988",
            "status": "sendsuccess",
            "total_count": 100,
            "filter_count": 80,
            "sent_count": 75,
            "error_count": 5,
        },
    ),
    (
        event(
            "PUBLISHJOBFINISH",
            "<PublishEventInfo><publish_id>2247503051</publish_id><publish_status>0</publish_status>"
            "<article_id><![CDATA[b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvy]]></article_id>"
            "<article_detail><count>1</count><item><idx>1</idx>"
            "<article_url><![CDATA[https://mp.weixin.qq.com/s/x]]></article_url></item>"
            "</article_detail></PublishEventInfo>",
        ),
        m.PublishJobFinishEvent,
        {
            "publish_id": "2247503051",
            "publish_status": 0,
            "article_id": "b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvy",
            "article_urls": ["https://mp.weixin.qq.com/s/x"],
        },
    ),
    (
        event(
            "subscribe_msg_popup_event",
            "<SubscribeMsgPopupEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>"
            "<SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List>"
            "<List><TemplateId><![CDATA[9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI]]></TemplateId>"
            "<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString><PopupScene>2</PopupScene></List>"
            "</SubscribeMsgPopupEvent>",
        ),
        m.SubscribeMsgPopupEvent,
        {
            "subscriptions": [
                {
                    "template_id": "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc",
                    "subscribe_status_string": "accept",
                    "popup_scene": "2",
                },
                {
                    "template_id": "9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI",
                    "subscribe_status_string": "reject",
                    "popup_scene": "2",
                },
            ]
        },
    ),
    (
        event(
            "subscribe_msg_change_event",
            "<SubscribeMsgChangeEvent><List><TemplateId>T1</TemplateId>"
            "<SubscribeStatusString>reject</SubscribeStatusString></List></SubscribeMsgChangeEvent>",
        ),
        m.SubscribeMsgChangeEvent,
        {"subscriptions": [{"template_id": "T1", "subscribe_status_string": "reject"}]},
    ),
    (
        event(
            "subscribe_msg_sent_event",
            "<SubscribeMsgSentEvent><List><TemplateId>T1</TemplateId><MsgID>1700827132819554304</MsgID>"
            "<ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List>"
            "</SubscribeMsgSentEvent>",
        ),
        m.SubscribeMsgSentEvent,
        {
            "subscriptions": [
                {
                    "template_id": "T1",
                    "msg_id": "1700827132819554304",
                    "error_code": "0",
                    "error_status": "success",
                }
            ]
        },
    ),
]


@pytest.mark.parametrize(("body", "cls", "expected"), CASES, ids=[c[1].__name__ for c in CASES])
def test_parse_message(body: str, cls: type[m.BaseMessage], expected: dict[str, Any]) -> None:
    message = django_wechat.parse_message(body)
    assert type(message) is cls
    assert message.source == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert message.target == "gh_10f6c3c3ac5a"
    assert message.timestamp == 1409735668
    assert message.create_time == datetime(2014, 9, 3, 9, 14, 28, tzinfo=UTC)
    for name, value in expected.items():
        assert getattr(message, name) == value, name
    # Nothing WeChat sent is lost.
    assert message.raw["FromUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


def test_every_listed_type_has_a_case() -> None:
    from .test_events import EVENT_CASES

    covered = {type(django_wechat.parse_message(c[0])) for c in CASES + EVENT_CASES}
    assert set(m.MESSAGE_TYPES.values()) | set(m.EVENT_TYPES.values()) <= covered


def test_unknown_message_keeps_every_field() -> None:
    message = django_wechat.parse_message(
        xml("hologram", "<Depth>3</Depth><Nested><A>1</A></Nested><MsgId>9</MsgId>")
    )
    assert type(message) is m.UnknownMessage
    assert message.type == "hologram"
    assert message.id == "9"
    assert message.raw["Depth"] == "3"
    assert message.raw["Nested"] == {"A": "1"}


def test_unknown_event_keeps_every_field() -> None:
    message = django_wechat.parse_message(
        event("user_teleport_card", "<CardId>p1</CardId><EventKey>k</EventKey><A><B>1</B></A>")
    )
    assert type(message) is m.UnknownEvent
    assert isinstance(message, m.BaseEvent)
    assert message.event == "user_teleport_card"
    assert message.key == "k"
    assert message.raw["CardId"] == "p1"
    assert message.raw["A"] == {"B": "1"}


def test_msg_type_and_event_are_case_insensitive() -> None:
    message = django_wechat.parse_message(xml("TEXT", "<Content>x</Content>"))
    assert isinstance(message, m.TextMessage)
    assert message.type == "text"
    assert isinstance(django_wechat.parse_message(event("click")), m.ClickEvent)


def test_parse_message_from_a_dict() -> None:
    message = django_wechat.parse_message(
        {"MsgType": "text", "Content": "hi", "FromUserName": "o", "CreateTime": "1", "MsgId": "5"}
    )
    assert isinstance(message, m.TextMessage)
    assert (message.content, message.id, message.timestamp) == ("hi", "5", 1)


def test_missing_fields_do_not_raise() -> None:
    message = django_wechat.parse_message("<xml><MsgType>text</MsgType></xml>")
    assert isinstance(message, m.TextMessage)
    assert (message.source, message.target, message.content, message.id, message.timestamp) == (
        "",
        "",
        "",
        None,
        0,
    )
    assert type(django_wechat.parse_message("<xml/>")) is m.UnknownMessage


def test_malformed_create_time_is_an_xml_error() -> None:
    with pytest.raises(XMLError, match="CreateTime"):
        django_wechat.parse_message(xml("text", create_time="yesterday"))


def test_malformed_number_names_the_field() -> None:
    message = django_wechat.parse_message(
        event("MASSSENDJOBFINISH", "<TotalCount>many</TotalCount>")
    )
    assert isinstance(message, m.MassSendJobFinishEvent)
    with pytest.raises(XMLError, match="TotalCount"):
        _ = message.total_count


def test_hostile_xml_is_refused() -> None:
    with pytest.raises(XMLError):
        django_wechat.parse_message(
            '<!DOCTYPE x [<!ENTITY e "boom">]><xml><Content>&e;</Content></xml>'
        )


def test_repr_names_the_class() -> None:
    assert "TextMessage" in repr(django_wechat.parse_message(xml("text", "<Content>x</Content>")))
    assert "'click'" in repr(django_wechat.parse_message(event("CLICK")))


def test_protocol_core_needs_no_django_settings() -> None:
    """`import django_wechat` is cheap, and the protocol core runs without settings."""
    import os
    import subprocess
    import sys

    script = """
import sys
import django_wechat
assert "lxml" not in sys.modules and "django_wechat.messages" not in sys.modules
from django_wechat.crypto import WeChatCrypto
from django_wechat.exceptions import XMLError
crypto = WeChatCrypto("spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx1")
xml = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><MsgType>text</MsgType>"
xml += "<Content>hi</Content></xml>"
message = django_wechat.parse_message(crypto.decrypt(crypto.encrypt(xml)))
print(django_wechat.create_reply("ok", message).render()[:5])
try:
    django_wechat.parse_message("<!DOCTYPE x><xml/>")
except XMLError as exc:
    print(exc)
from django.conf import settings
assert not settings.configured
"""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "<xml>",
        "The XML body must start with its root element; a DOCTYPE, entity declaration "
        "or processing instruction is refused.",
    ]
