"""Every event an Official Account receives, typed: samples written from WeChat's docs.

Each sample follows the XML packet in the doc named next to it (values our own where
the doc has placeholders); each test reads the class and every field. The emulator
then pushes each one over loopback HTTP to the real callback view, where an
``@handler(event=...)`` for the event's name answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import django_wechat
from django_wechat import handler
from django_wechat import messages as m
from django_wechat import xml as wxml
from django_wechat.exceptions import XMLError
from django_wechat.handlers import Registry
from django_wechat.testing.emulator import WeChatEmulator

from .test_messages import event, xml


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


# (sample, class, every field with its value)
EVENT_CASES: list[tuple[str, type[m.BaseMessage], dict[str, Any]]] = [
    # 客服会话状态通知 (Customer_Service/Session_control)
    (
        event("kf_create_session", "<KfAccount><![CDATA[kf2001@gh_test]]></KfAccount>"),
        m.KfCreateSessionEvent,
        {"event": "kf_create_session", "account": "kf2001@gh_test"},
    ),
    (
        event("kf_close_session", "<KfAccount><![CDATA[kf2001@gh_test]]></KfAccount>"),
        m.KfCloseSessionEvent,
        {"event": "kf_close_session", "account": "kf2001@gh_test"},
    ),
    (
        event(
            "kf_switch_session",
            "<FromKfAccount><![CDATA[kf2001@gh_test]]></FromKfAccount>"
            "<ToKfAccount><![CDATA[kf2002@gh_test]]></ToKfAccount>",
        ),
        m.KfSwitchSessionEvent,
        {
            "event": "kf_switch_session",
            "from_account": "kf2001@gh_test",
            "to_account": "kf2002@gh_test",
        },
    ),
    # 微信认证事件推送 (Account_Management/Wechat_Accreditation_Event_Push)
    (
        event("qualification_verify_success", "<ExpiredTime>1442401156</ExpiredTime>"),
        m.QualificationVerifySuccessEvent,
        {"event": "qualification_verify_success", "expired_time": at(1442401156)},
    ),
    (
        event(
            "qualification_verify_fail",
            "<FailTime>1442401122</FailTime><FailReason><![CDATA[营业执照已过期]]></FailReason>",
        ),
        m.QualificationVerifyFailEvent,
        {
            "event": "qualification_verify_fail",
            "fail_time": at(1442401122),
            "fail_reason": "营业执照已过期",
        },
    ),
    (
        event("naming_verify_success", "<ExpiredTime>1442401093</ExpiredTime>"),
        m.NamingVerifySuccessEvent,
        {"event": "naming_verify_success", "expired_time": at(1442401093)},
    ),
    (
        event(
            "naming_verify_fail",
            "<FailTime>1442401061</FailTime><FailReason><![CDATA[名称与主体不符]]></FailReason>",
        ),
        m.NamingVerifyFailEvent,
        {
            "event": "naming_verify_fail",
            "fail_time": at(1442401061),
            "fail_reason": "名称与主体不符",
        },
    ),
    (
        event("annual_renew", "<ExpiredTime>1442401004</ExpiredTime>"),
        m.AnnualRenewEvent,
        {"event": "annual_renew", "expired_time": at(1442401004)},
    ),
    (
        event("verify_expired", "<ExpiredTime>1442400900</ExpiredTime>"),
        m.VerifyExpiredEvent,
        {"event": "verify_expired", "expired_time": at(1442400900)},
    ),
    # 电子发票: 授权完成、发票状态更新、提交抬头 (the invoice docs)
    (
        event(
            "user_authorize_invoice",
            "<SuccOrderId><![CDATA[1202933957956]]></SuccOrderId>"
            "<FailOrderId><![CDATA[]]></FailOrderId>"
            "<AuthorizeAppId><![CDATA[wx1234567887654321]]></AuthorizeAppId>"
            "<source><![CDATA[web]]></source>",
        ),
        m.UserAuthorizeInvoiceEvent,
        {
            "event": "user_authorize_invoice",
            "success_order_id": "1202933957956",
            "fail_order_id": "",
            "app_id": "wx1234567887654321",
            "auth_source": "web",
        },
    ),
    (
        event(
            "update_invoice_status",
            "<Status><![CDATA[INVOICE_REIMBURSE_LOCK]]></Status>"
            "<CardId><![CDATA[pjZ8Yt7Um2jYxzneP8GomnxoVFWo]]></CardId>"
            "<Code><![CDATA[186921658591]]></Code>",
        ),
        m.UpdateInvoiceStatusEvent,
        {
            "event": "update_invoice_status",
            "status": "INVOICE_REIMBURSE_LOCK",
            "card_id": "pjZ8Yt7Um2jYxzneP8GomnxoVFWo",
            "code": "186921658591",
        },
    ),
    (
        event(
            "submit_invoice_title",
            "<title><![CDATA[深圳市示例科技有限公司]]></title>"
            "<phone><![CDATA[0755-12345678]]></phone>"
            "<tax_no><![CDATA[91440300MA5EXAMPLE]]></tax_no>"
            "<addr><![CDATA[深圳市南山区]]></addr>"
            "<bank_type><![CDATA[招商银行]]></bank_type>"
            "<bank_no><![CDATA[6225880000000000]]></bank_no>"
            "<attach><![CDATA[order-42]]></attach>"
            "<title_type><![CDATA[InvoiceUserTitleBusinessType]]></title_type>",
        ),
        m.SubmitInvoiceTitleEvent,
        {
            "event": "submit_invoice_title",
            "title": "深圳市示例科技有限公司",
            "phone": "0755-12345678",
            "tax_no": "91440300MA5EXAMPLE",
            "addr": "深圳市南山区",
            "bank_type": "招商银行",
            "bank_no": "6225880000000000",
            "attach": "order-42",
            "title_type": "InvoiceUserTitleBusinessType",
        },
    ),
    # 微信小店 订单付款通知 (retired)
    (
        event(
            "merchant_order",
            "<OrderId><![CDATA[7197417460812533543]]></OrderId><OrderStatus>2</OrderStatus>"
            "<ProductId><![CDATA[pDF3iYx7KDQVGzB7kDg6Tge5OKFo]]></ProductId>"
            "<SkuInfo><![CDATA[10001:1000012;10002:100021]]></SkuInfo>",
        ),
        m.MerchantOrderEvent,
        {
            "event": "merchant_order",
            "order_id": "7197417460812533543",
            "order_status": 2,
            "product_id": "pDF3iYx7KDQVGzB7kDg6Tge5OKFo",
            "sku_info": "10001:1000012;10002:100021",
        },
    ),
    # 摇一摇事件通知 (Shake_Nearby/Shake_Event_Notifications)
    (
        event(
            "ShakearoundUserShake",
            "<ChosenBeacon><Uuid><![CDATA[FDA50693-A4E2-4FB1-AFCF-C6EB07647825]]></Uuid>"
            "<Major>10001</Major><Minor>12102</Minor><Distance>0.057</Distance></ChosenBeacon>"
            "<AroundBeacons>"
            "<AroundBeacon><Uuid><![CDATA[FDA50693-A4E2-4FB1-AFCF-C6EB07647825]]></Uuid>"
            "<Major>10001</Major><Minor>12103</Minor><Distance>166.816</Distance></AroundBeacon>"
            "<AroundBeacon><Uuid><![CDATA[FDA50693-A4E2-4FB1-AFCF-C6EB07647825]]></Uuid>"
            "<Major>10001</Major><Minor>12104</Minor><Distance>15.013</Distance></AroundBeacon>"
            "</AroundBeacons>",
        ),
        m.ShakearoundUserShakeEvent,
        {
            "event": "shakearoundusershake",
            "chosen_beacon": {
                "uuid": "FDA50693-A4E2-4FB1-AFCF-C6EB07647825",
                "major": "10001",
                "minor": "12102",
                "distance": 0.057,
            },
            "around_beacons": [
                {
                    "uuid": "FDA50693-A4E2-4FB1-AFCF-C6EB07647825",
                    "major": "10001",
                    "minor": "12103",
                    "distance": 166.816,
                },
                {
                    "uuid": "FDA50693-A4E2-4FB1-AFCF-C6EB07647825",
                    "major": "10001",
                    "minor": "12104",
                    "distance": 15.013,
                },
            ],
        },
    ),
    # 连网后下发消息 (WiFi_via_WeChat/Sending_messages_after_connection)
    (
        event(
            "WifiConnected",
            "<ConnectTime>1433332012</ConnectTime><ExpireTime>0</ExpireTime>"
            "<VendorId><![CDATA[3001224419]]></VendorId><ShopId><![CDATA[429620]]></ShopId>"
            "<DeviceNo><![CDATA[00:1f:7a:ad:5c:a8]]></DeviceNo>",
        ),
        m.WiFiConnectedEvent,
        {
            "event": "wificonnected",
            "connect_time": 1433332012,
            "expire_time": 0,
            "vendor_id": "3001224419",
            "shop_id": "429620",
            "bssid": "00:1f:7a:ad:5c:a8",
        },
    ),
    # 扫一扫事件推送: subscribing from a product page
    (
        event("subscribe", "<EventKey><![CDATA[scanbarcode|ean13|6901234567892]]></EventKey>"),
        m.SubscribeScanProductEvent,
        {
            "event": "subscribe",
            "key": "scanbarcode|ean13|6901234567892",
            "scene": "scanbarcode",
            "standard": "ean13",
            "key_str": "6901234567892",
        },
    ),
    (
        event("subscribe", "<EventKey><![CDATA[scanimage|qrcode|a|b]]></EventKey>"),
        m.SubscribeScanProductEvent,
        {"scene": "scanimage", "standard": "qrcode", "key_str": "a|b"},
    ),
    # 微信硬件平台: device messages
    (
        xml(
            "device_text",
            "<DeviceType><![CDATA[gh_10f6c3c3ac5a]]></DeviceType>"
            "<DeviceID><![CDATA[dev-1]]></DeviceID><SessionID>9394</SessionID>"
            "<Content><![CDATA[5rip5bqmIDIzLjU=]]></Content><MsgId>5926987436487</MsgId>"
            "<OpenID><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></OpenID>",
        ),
        m.DeviceTextEvent,
        {
            "type": "device_text",
            "event": "device_text",
            "id": "5926987436487",
            "device_type": "gh_10f6c3c3ac5a",
            "device_id": "dev-1",
            "session_id": "9394",
            "open_id": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
            "data": "温度 23.5".encode(),
            "content": "温度 23.5",
        },
    ),
    (
        xml(
            "device_event",
            "<Event><![CDATA[bind]]></Event><DeviceType><![CDATA[gh_10f6c3c3ac5a]]></DeviceType>"
            "<DeviceID><![CDATA[dev-1]]></DeviceID><SessionID>0</SessionID>"
            "<Content><![CDATA[AQID]]></Content>"
            "<OpenID><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></OpenID>",
        ),
        m.DeviceBindEvent,
        {
            "type": "device_event",
            "event": "device_bind",
            "device_type": "gh_10f6c3c3ac5a",
            "device_id": "dev-1",
            "session_id": "0",
            "open_id": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
            "data": b"\x01\x02\x03",
        },
    ),
    (
        xml(
            "device_event",
            "<Event><![CDATA[unbind]]></Event><DeviceType><![CDATA[gh_1]]></DeviceType>"
            "<DeviceID><![CDATA[dev-1]]></DeviceID><OpenID><![CDATA[o-1]]></OpenID>",
        ),
        m.DeviceUnbindEvent,
        {
            "event": "device_unbind",
            "device_type": "gh_1",
            "device_id": "dev-1",
            "open_id": "o-1",
            "data": b"",
            "content": "",
            "session_id": "",
        },
    ),
    (
        xml(
            "device_event",
            "<Event><![CDATA[subscribe_status]]></Event><DeviceType><![CDATA[gh_1]]></DeviceType>"
            "<DeviceID><![CDATA[dev-1]]></DeviceID><OpType>1</OpType>"
            "<OpenID><![CDATA[o-1]]></OpenID>",
        ),
        m.DeviceSubscribeStatusEvent,
        {
            "event": "device_subscribe_status",
            "device_type": "gh_1",
            "device_id": "dev-1",
            "open_id": "o-1",
            "op_type": 1,
        },
    ),
    (
        xml(
            "device_event",
            "<Event><![CDATA[unsubscribe_status]]></Event><DeviceType>gh_1</DeviceType>"
            "<DeviceID>dev-1</DeviceID><OpType>0</OpType><OpenID>o-1</OpenID>",
        ),
        m.DeviceUnsubscribeStatusEvent,
        {
            "event": "device_unsubscribe_status",
            "device_type": "gh_1",
            "device_id": "dev-1",
            "open_id": "o-1",
            "op_type": 0,
        },
    ),
    # 卡券事件推送 (Cards_and_Offer/Coupons_Vouchers_and_Cards_Event_Push_Messages)
    (
        event("card_pass_check", "<CardId><![CDATA[pFS7Fjg8kV1IdDz01r4SQwMkuCKc]]></CardId>"),
        m.CardPassCheckEvent,
        {"event": "card_pass_check", "card_id": "pFS7Fjg8kV1IdDz01r4SQwMkuCKc"},
    ),
    (
        event(
            "card_not_pass_check",
            "<CardId><![CDATA[pFS7Fjg8kV1IdDz01r4SQwMkuCKc]]></CardId>"
            "<RefuseReason><![CDATA[非法代制]]></RefuseReason>",
        ),
        m.CardNotPassCheckEvent,
        {
            "event": "card_not_pass_check",
            "card_id": "pFS7Fjg8kV1IdDz01r4SQwMkuCKc",
            "refuse_reason": "非法代制",
        },
    ),
    (
        event(
            "user_get_card",
            "<CardId><![CDATA[pZI8Fjwsy5fVPRBeD78J4RmqVvBc]]></CardId>"
            "<IsGiveByFriend>1</IsGiveByFriend>"
            "<UserCardCode><![CDATA[226009850808]]></UserCardCode>"
            "<FriendUserName><![CDATA[o-friend]]></FriendUserName>"
            "<OuterId>12</OuterId><OldUserCardCode><![CDATA[226009850801]]></OldUserCardCode>"
            "<OuterStr><![CDATA[shop-qr]]></OuterStr>"
            "<IsRestoreMemberCard>0</IsRestoreMemberCard>"
            "<IsRecommendByFriend>1</IsRecommendByFriend>"
            "<UnionId><![CDATA[o6_bmasdasdsad6_2sgVt7hMZOPfL]]></UnionId>",
        ),
        m.UserGetCardEvent,
        {
            "event": "user_get_card",
            "card_id": "pZI8Fjwsy5fVPRBeD78J4RmqVvBc",
            "code": "226009850808",
            "is_given_by_friend": 1,
            "friend": "o-friend",
            "outer_id": 12,
            "old_code": "226009850801",
            "outer_str": "shop-qr",
            "is_restore_member_card": 0,
            "is_recommend_by_friend": 1,
            "union_id": "o6_bmasdasdsad6_2sgVt7hMZOPfL",
        },
    ),
    (
        event(
            "user_gifting_card",
            "<CardId><![CDATA[pZI8Fjwsy5fVPRBeD78J4RmqVvBc]]></CardId>"
            "<UserCardCode><![CDATA[226009850808]]></UserCardCode>"
            "<IsReturnBack>0</IsReturnBack>"
            "<FriendUserName><![CDATA[o-friend]]></FriendUserName><IsChatRoom>1</IsChatRoom>",
        ),
        m.UserGiftingCardEvent,
        {
            "event": "user_gifting_card",
            "card_id": "pZI8Fjwsy5fVPRBeD78J4RmqVvBc",
            "code": "226009850808",
            "is_return_back": 0,
            "friend": "o-friend",
            "is_chat_room": 1,
        },
    ),
    (
        event(
            "user_del_card",
            "<CardId><![CDATA[pMBqAs7Bq1pVbmkkaw7d2lsl2Bm4]]></CardId>"
            "<UserCardCode><![CDATA[12312312]]></UserCardCode>",
        ),
        m.UserDeleteCardEvent,
        {"event": "user_del_card", "card_id": "pMBqAs7Bq1pVbmkkaw7d2lsl2Bm4", "code": "12312312"},
    ),
    (
        event(
            "user_consume_card",
            "<CardId><![CDATA[pMBqAs7Bq1pVbmkkaw7d2lsl2Bm4]]></CardId>"
            "<UserCardCode><![CDATA[12312312]]></UserCardCode>"
            "<ConsumeSource><![CDATA[FROM_MOBILE_HELPER]]></ConsumeSource>"
            "<LocationName><![CDATA[南山店]]></LocationName>"
            "<StaffOpenId><![CDATA[o-staff]]></StaffOpenId>"
            "<VerifyCode><![CDATA[8888]]></VerifyCode>"
            "<RemarkAmount><![CDATA[12.50]]></RemarkAmount>"
            "<OuterStr><![CDATA[counter-2]]></OuterStr>",
        ),
        m.UserConsumeCardEvent,
        {
            "event": "user_consume_card",
            "card_id": "pMBqAs7Bq1pVbmkkaw7d2lsl2Bm4",
            "code": "12312312",
            "consume_source": "FROM_MOBILE_HELPER",
            "location_name": "南山店",
            "staff": "o-staff",
            "verify_code": "8888",
            "remark_amount": "12.50",
            "outer_str": "counter-2",
        },
    ),
    (
        event(
            "User_pay_from_pay_cell",
            "<CardId><![CDATA[po2VNuCuRo-8sxxxxxxxxxxx]]></CardId>"
            "<UserCardCode><![CDATA[38050000000]]></UserCardCode>"
            "<TransId><![CDATA[10022403432015000000000]]></TransId>"
            "<LocationId>291710000</LocationId><Fee>10000</Fee><OriginalFee>10000</OriginalFee>",
        ),
        m.UserPayFromPayCellEvent,
        {
            "event": "user_pay_from_pay_cell",
            "card_id": "po2VNuCuRo-8sxxxxxxxxxxx",
            "code": "38050000000",
            "trans_id": "10022403432015000000000",
            "location_id": 291710000,
            "fee": 10000,
            "original_fee": 10000,
        },
    ),
    (
        event(
            "user_view_card",
            "<CardId><![CDATA[pMBqAs7Bq1pVbmkkaw7d2lsl2Bm4]]></CardId>"
            "<UserCardCode><![CDATA[12312312]]></UserCardCode>"
            "<OuterStr><![CDATA[12b]]></OuterStr>",
        ),
        m.UserViewCardEvent,
        {
            "event": "user_view_card",
            "card_id": "pMBqAs7Bq1pVbmkkaw7d2lsl2Bm4",
            "code": "12312312",
            "outer_str": "12b",
        },
    ),
    (
        event(
            "user_enter_session_from_card",
            "<CardId><![CDATA[pMBqAs7Bq1pVbmkkaw7d2lsl2Bm4]]></CardId>"
            "<UserCardCode><![CDATA[12312312]]></UserCardCode>",
        ),
        m.UserEnterSessionFromCardEvent,
        {
            "event": "user_enter_session_from_card",
            "card_id": "pMBqAs7Bq1pVbmkkaw7d2lsl2Bm4",
            "code": "12312312",
        },
    ),
    (
        event(
            "update_member_card",
            "<CardId><![CDATA[p1Pj9jr90_SQRaVqYI239Ka1erkI]]></CardId>"
            "<UserCardCode><![CDATA[548014227396]]></UserCardCode>"
            "<ModifyBonus>3</ModifyBonus><ModifyBalance>-200</ModifyBalance>",
        ),
        m.UpdateMemberCardEvent,
        {
            "event": "update_member_card",
            "card_id": "p1Pj9jr90_SQRaVqYI239Ka1erkI",
            "code": "548014227396",
            "modify_bonus": 3,
            "modify_balance": -200,
        },
    ),
    (
        event(
            "card_sku_remind",
            "<CardId><![CDATA[pMBqAs7Bq1pVbmkkaw7d2lsl2Bm4]]></CardId>"
            "<Detail><![CDATA[the card's quantity is equal to 0]]></Detail>",
        ),
        m.CardSkuRemindEvent,
        {
            "event": "card_sku_remind",
            "card_id": "pMBqAs7Bq1pVbmkkaw7d2lsl2Bm4",
            "detail": "the card's quantity is equal to 0",
        },
    ),
    (
        event(
            "card_pay_order",
            "<OrderId><![CDATA[404091456]]></OrderId>"
            "<Status><![CDATA[ORDER_STATUS_FINANCE_SUCC]]></Status>"
            "<CreateOrderTime>1472549716</CreateOrderTime>"
            "<PayFinishTime>1472549733</PayFinishTime>"
            "<Desc><![CDATA[返还券点]]></Desc>"
            "<FreeCoinCount><![CDATA[200]]></FreeCoinCount>"
            "<PayCoinCount><![CDATA[0]]></PayCoinCount>"
            "<RefundFreeCoinCount><![CDATA[0]]></RefundFreeCoinCount>"
            "<RefundPayCoinCount><![CDATA[0]]></RefundPayCoinCount>"
            "<OrderType><![CDATA[ORDER_TYPE_SYS_ADD]]></OrderType>"
            "<Memo><![CDATA[开通账户奖励]]></Memo>"
            "<ReceiptInfo><![CDATA[]]></ReceiptInfo>",
        ),
        m.CardPayOrderEvent,
        {
            "event": "card_pay_order",
            "order_id": "404091456",
            "status": "ORDER_STATUS_FINANCE_SUCC",
            "create_order_time": at(1472549716),
            "pay_finish_time": at(1472549733),
            "description": "返还券点",
            "free_coin_count": 200,
            "pay_coin_count": 0,
            "refund_free_coin_count": 0,
            "refund_pay_coin_count": 0,
            "order_type": "ORDER_TYPE_SYS_ADD",
            "memo": "开通账户奖励",
            "receipt_info": "",
        },
    ),
    (
        event(
            "submit_membercard_user_info",
            "<CardId><![CDATA[pbLatjtZ7v1BG_ZnTjbW85GYc_E8]]></CardId>"
            "<UserCardCode><![CDATA[018255396048]]></UserCardCode>",
        ),
        m.SubmitMembercardUserInfoEvent,
        {
            "event": "submit_membercard_user_info",
            "card_id": "pbLatjtZ7v1BG_ZnTjbW85GYc_E8",
            "code": "018255396048",
            "card_code": "018255396048",
        },
    ),
]


@pytest.mark.parametrize(
    ("body", "cls", "expected"), EVENT_CASES, ids=[c[1].__name__ for c in EVENT_CASES]
)
def test_parse_event(body: str, cls: type[m.BaseMessage], expected: dict[str, Any]) -> None:
    message = django_wechat.parse_message(body)
    assert type(message) is cls
    assert isinstance(message, m.BaseEvent)
    assert message.source == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert message.target == "gh_10f6c3c3ac5a"
    assert message.create_time == datetime(2014, 9, 3, 9, 14, 28, tzinfo=UTC)
    for name, value in expected.items():
        assert getattr(message, name) == value, name


def test_every_event_class_has_a_sample() -> None:
    covered = {c[1] for c in EVENT_CASES}
    assert set(m.DEVICE_EVENT_TYPES.values()) <= covered
    assert {m.SubscribeScanProductEvent, m.DeviceTextEvent} <= covered


def test_absent_fields_read_empty() -> None:
    for cls, name, empty in [
        (m.QualificationVerifySuccessEvent, "expired_time", None),
        (m.QualificationVerifyFailEvent, "fail_time", None),
        (m.MerchantOrderEvent, "order_status", 0),
        (m.ShakearoundUserShakeEvent, "chosen_beacon", {}),
        (m.ShakearoundUserShakeEvent, "around_beacons", []),
        (m.WiFiConnectedEvent, "shop_id", ""),
        (m.UserAuthorizeInvoiceEvent, "app_id", ""),
        (m.CardPayOrderEvent, "pay_finish_time", None),
        (m.UserGetCardEvent, "is_given_by_friend", 0),
    ]:
        message = django_wechat.parse_message(event(cls.event_type))
        assert type(message) is cls
        assert getattr(message, name) == empty, (cls, name)
    plain = django_wechat.parse_message(event("subscribe", "<EventKey>scanbarcode|x</EventKey>"))
    assert isinstance(plain, m.SubscribeScanProductEvent)
    assert (plain.scene, plain.standard, plain.key_str) == ("scanbarcode", "x", "")


def test_older_spellings_are_read_too() -> None:
    # Earlier doc revisions (and wechatpy's samples) send PlaceId, AppId and Source.
    wifi = django_wechat.parse_message(event("WifiConnected", "<PlaceId>1234</PlaceId>"))
    assert isinstance(wifi, m.WiFiConnectedEvent)
    assert wifi.shop_id == "1234"
    invoice = django_wechat.parse_message(
        event("user_authorize_invoice", "<AppId>wx1</AppId><Source>app</Source>")
    )
    assert isinstance(invoice, m.UserAuthorizeInvoiceEvent)
    assert (invoice.app_id, invoice.auth_source) == ("wx1", "app")


@pytest.mark.parametrize(
    ("body", "attribute", "tag"),
    [
        (event("annual_renew", "<ExpiredTime>soon</ExpiredTime>"), "expired_time", "ExpiredTime"),
        (
            event("annual_renew", "<ExpiredTime>99999999999999999999</ExpiredTime>"),
            "expired_time",
            "ExpiredTime",
        ),
        (event("merchant_order", "<OrderStatus>paid</OrderStatus>"), "order_status", "OrderStatus"),
        (
            event("ShakearoundUserShake", "<ChosenBeacon><Distance>far</Distance></ChosenBeacon>"),
            "chosen_beacon",
            "ChosenBeacon",
        ),
        (xml("device_text", "<Content>not base64!</Content>"), "data", "Content"),
        (xml("device_text", "<Content>/w==</Content>"), "content", "Content"),
        (
            event(
                "location_select", "<SendLocationInfo><Location_X>N</Location_X></SendLocationInfo>"
            ),
            "location",
            "Location_X",
        ),
    ],
)
def test_malformed_values_name_the_field(body: str, attribute: str, tag: str) -> None:
    message = django_wechat.parse_message(body)
    assert not isinstance(message, m.UnknownEvent | m.UnknownMessage)
    with pytest.raises(XMLError, match=tag):
        getattr(message, attribute)


def test_unknown_device_event_keeps_every_field() -> None:
    message = django_wechat.parse_message(
        xml("device_event", "<Event>teleport</Event><DeviceID>dev-1</DeviceID>")
    )
    assert type(message) is m.UnknownEvent
    assert (message.type, message.event) == ("device_event", "teleport")
    assert message.raw["DeviceID"] == "dev-1"


def test_location_select_numbers() -> None:
    message = django_wechat.parse_message(
        event(
            "location_select",
            "<SendLocationInfo><Location_X>23</Location_X><Location_Y>113</Location_Y>"
            "</SendLocationInfo>",
        )
    )
    assert isinstance(message, m.LocationSelectEvent)
    assert (message.location_x, message.location) == ("23", (23.0, 113.0))


def test_subscribes_keep_wechat_keys() -> None:
    message = django_wechat.parse_message(
        event(
            "subscribe_msg_change_event",
            "<SubscribeMsgChangeEvent><List><TemplateId>t1</TemplateId>"
            "<SubscribeStatusString>reject</SubscribeStatusString></List>"
            "</SubscribeMsgChangeEvent>",
        )
    )
    assert isinstance(message, m.SubscribeMsgChangeEvent)
    assert message.subscribes == [{"TemplateId": "t1", "SubscribeStatusString": "reject"}]
    assert message.subscriptions == [{"template_id": "t1", "subscribe_status_string": "reject"}]


@pytest.mark.django_db
def test_the_emulator_pushes_each_event_to_its_handler(
    live_server: Any, handlers: Registry, wechat_emulator: WeChatEmulator
) -> None:
    names = sorted({cls.event_type for _, cls, _ in EVENT_CASES if cls.event_type})
    names.append("subscribe")

    @handler(event=[name.upper() for name in names])  # event names ignore case
    def answer(message: Any, **kwargs: Any) -> str:
        return f"{type(message).__name__} {message.event}"

    url = f"{live_server.url}/wechat/callback/default/"
    for body, cls, _ in EVENT_CASES:
        fields = wxml.parse(body)
        for common in ("ToUserName", "FromUserName", "CreateTime"):
            fields.pop(common)
        result = wechat_emulator.push(url, fields, openid="o-card-holder")
        assert result.ok, (cls.__name__, result.error)
        message = django_wechat.parse_message(body)
        assert result.content == f"{cls.__name__} {getattr(message, 'event', '')}"


def test_the_docs_table_lists_every_class() -> None:
    from pathlib import Path

    table = (Path(__file__).resolve().parent.parent / "docs" / "protocol.rst").read_text()
    classes = [n for n in m.__all__ if n.endswith(("Message", "Event")) and n[:4] != "Base"]
    assert [name for name in classes if f"``{name}``" not in table] == []
