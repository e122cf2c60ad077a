"""Customer-service and template messages in the emulator: recorded, with WeChat's
48-hour window and template checks."""

from __future__ import annotations

from typing import Any

import pytest

from django_wechat.testing.emulator import WeChatEmulator

from .emulator_support import errcode, fetch_token, get, post

SEND = "cgi-bin/message/custom/send"
TEMPLATE_SEND = "cgi-bin/message/template/send"


@pytest.fixture
def token(wechat_emulator: WeChatEmulator) -> str:
    return fetch_token(wechat_emulator)


def text(openid: str, content: str = "您好，订单已发货") -> dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


def test_custom_message_is_recorded(wechat_emulator: WeChatEmulator, token: str) -> None:
    assert post(wechat_emulator, SEND, token, text("o-demo-follower-1"))["errcode"] == 0
    assert wechat_emulator.sent_messages("o-demo-follower-1") == [
        {
            "kind": "custom",
            "touser": "o-demo-follower-1",
            "msgtype": "text",
            "text": {"content": "您好，订单已发货"},
        }
    ]
    assert wechat_emulator.sent_messages("o-demo-follower-2") == []
    assert wechat_emulator.calls(SEND)[0].body["touser"] == "o-demo-follower-1"


def test_48_hour_window(wechat_emulator: WeChatEmulator, token: str) -> None:
    wechat_emulator.clock.advance(48 * 3600 - 60)
    token = fetch_token(wechat_emulator)  # the first one expired long ago
    assert post(wechat_emulator, SEND, token, text("o-demo-follower-1"))["errcode"] == 0
    wechat_emulator.clock.advance(61)
    late = post(wechat_emulator, SEND, token, text("o-demo-follower-1"))
    assert late["errcode"] == 45015
    assert "response out of time limit" in late["errmsg"]
    # A new message from the follower opens the window again.
    wechat_emulator.record_message("o-demo-follower-1")
    assert post(wechat_emulator, SEND, token, text("o-demo-follower-1"))["errcode"] == 0
    assert len(wechat_emulator.sent_messages()) == 2


def test_unsubscribed_follower_gets_nothing(wechat_emulator: WeChatEmulator, token: str) -> None:
    wechat_emulator.state().followers["o-demo-follower-3"].subscribe = 0
    assert errcode(post(wechat_emulator, SEND, token, text("o-demo-follower-3"))) == 45015
    assert wechat_emulator.sent_messages() == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (text("o-nobody"), 40003),
        ({"touser": "o-demo-follower-1", "msgtype": "telegram", "telegram": {}}, 40008),
        ({"touser": "o-demo-follower-1", "msgtype": "text"}, 44002),
        (text("o-demo-follower-1", content=""), 44004),
        ({"touser": "o-demo-follower-1", "msgtype": "image", "image": {"media_id": "nope"}}, 40007),
        (
            {
                "touser": "o-demo-follower-1",
                "msgtype": "news",
                "news": {"articles": [{"title": "a"}, {"title": "b"}]},
            },
            40097,
        ),
    ],
)
def test_custom_message_rules(
    wechat_emulator: WeChatEmulator, token: str, body: dict[str, Any], expected: int
) -> None:
    assert errcode(post(wechat_emulator, SEND, token, body)) == expected
    assert wechat_emulator.sent_messages() == []


def add_template(emulator: WeChatEmulator, token: str, short_id: str = "TM00015") -> str:
    answer = post(
        emulator, "cgi-bin/template/api_add_template", token, {"template_id_short": short_id}
    )
    assert answer["errcode"] == 0
    return str(answer["template_id"])


def test_template_industry(wechat_emulator: WeChatEmulator, token: str) -> None:
    api = "cgi-bin/template/api_set_industry"
    assert errcode(get(wechat_emulator, "cgi-bin/template/get_industry", token)) == 40102
    assert (
        errcode(post(wechat_emulator, api, token, {"industry_id1": "1", "industry_id2": "99"}))
        == 40102
    )
    assert (
        post(wechat_emulator, api, token, {"industry_id1": "1", "industry_id2": "4"})["errcode"]
        == 0
    )
    industry = get(wechat_emulator, "cgi-bin/template/get_industry", token)
    assert set(industry) == {"primary_industry", "secondary_industry"}
    assert industry["primary_industry"]["first_class"]


def test_template_add_list_delete(wechat_emulator: WeChatEmulator, token: str) -> None:
    template_id = add_template(wechat_emulator, token)
    listing = get(wechat_emulator, "cgi-bin/template/get_all_private_template", token)
    assert [t["template_id"] for t in listing["template_list"]] == [template_id]
    assert listing["template_list"][0]["title"] == "订单支付成功"
    bad = {"template_id_short": "TM_NOPE"}
    assert errcode(post(wechat_emulator, "cgi-bin/template/api_add_template", token, bad)) == 40037
    delete = "cgi-bin/template/del_private_template"
    assert post(wechat_emulator, delete, token, {"template_id": template_id})["errcode"] == 0
    assert errcode(post(wechat_emulator, delete, token, {"template_id": template_id})) == 40037
    assert (
        get(wechat_emulator, "cgi-bin/template/get_all_private_template", token)["template_list"]
        == []
    )


def test_at_most_25_templates(wechat_emulator: WeChatEmulator, token: str) -> None:
    for _ in range(25):
        add_template(wechat_emulator, token)
    extra = {"template_id_short": "TM00015"}
    assert (
        errcode(post(wechat_emulator, "cgi-bin/template/api_add_template", token, extra)) == 45026
    )


def order_data(**overrides: str) -> dict[str, Any]:
    values = {"character_string1": "20240501123456", "amount2": "99.00元", "thing3": "年度会员"}
    values.update(overrides)
    return {k: {"value": v} for k, v in values.items()}


def test_template_send(wechat_emulator: WeChatEmulator, token: str) -> None:
    template_id = add_template(wechat_emulator, token)
    body = {
        "touser": "o-demo-follower-2",
        "template_id": template_id,
        "url": "https://example.com/orders/1",
        "data": order_data(),
    }
    answer = post(wechat_emulator, TEMPLATE_SEND, token, body)
    assert answer["errcode"] == 0
    assert isinstance(answer["msgid"], int)
    [sent] = wechat_emulator.sent_messages("o-demo-follower-2")
    assert sent["kind"] == "template"
    assert sent["msgid"] == answer["msgid"]
    assert sent["data"]["thing3"] == {"value": "年度会员"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"touser": "o-nobody"}, 40003),
        ({"template_id": "nope"}, 40037),
        ({"data": "text"}, 47001),
        ({"data": order_data(thing3="")}, 47003),
        ({"data": order_data(thing3="这是一个超过二十个字的商品名称所以会被微信拒绝掉")}, 47003),
    ],
)
def test_template_send_rules(
    wechat_emulator: WeChatEmulator, token: str, change: dict[str, Any], expected: int
) -> None:
    body = {
        "touser": "o-demo-follower-2",
        "template_id": add_template(wechat_emulator, token),
        "data": order_data(),
        **change,
    }
    assert errcode(post(wechat_emulator, TEMPLATE_SEND, token, body)) == expected


def test_template_send_requires_a_subscriber(wechat_emulator: WeChatEmulator, token: str) -> None:
    template_id = add_template(wechat_emulator, token)
    wechat_emulator.state().followers["o-demo-follower-4"].subscribe = 0
    body = {"touser": "o-demo-follower-4", "template_id": template_id, "data": order_data()}
    assert errcode(post(wechat_emulator, TEMPLATE_SEND, token, body)) == 43004


@pytest.mark.django_db
def test_an_emulator_seeded_with_templates_has_them_to_sync() -> None:
    from django_wechat.models import MessageTemplate
    from django_wechat.sync.templates import sync_templates

    titles = ["订单支付成功", "预约成功通知"]
    with WeChatEmulator(templates=2) as emulator, emulator.override_settings():
        sync_templates("default")
        assert sorted(MessageTemplate.objects.values_list("title", flat=True)) == sorted(titles)
        synced = set(MessageTemplate.objects.values_list("template_id", flat=True))
        emulator.state("default").templates.clear()
        emulator.reset()  # back to the seeded state, templates included
        assert [t["title"] for t in emulator.state("default").templates.values()] == titles
    # Another emulator (the demo restarted) has the same templates, under the same ids.
    with WeChatEmulator(templates=2) as again, again.override_settings():
        assert set(again.state("default").templates) == synced
        again_synced = sync_templates("default")
        assert not again_synced.touched
        assert len(again_synced.unchanged) == 2


def test_only_official_accounts_are_seeded_with_templates() -> None:
    from django_wechat.conf import Account, AccountKind

    official = Account("default", "wx2c2769f8efd9abc2", "secret", "token")
    web = Account("web", "wx00000000000000a1", "secret", kind=AccountKind.WEBSITE)
    mini = Account("mini", "wx00000000000000b1", "secret", kind=AccountKind.MINIPROGRAM)
    emulator = WeChatEmulator([official, web, mini], templates=3)
    assert len(emulator.state("default").templates) == 3
    assert emulator.state("web").templates == emulator.state("mini").templates == {}


@pytest.mark.parametrize("templates", [-1, 4])
def test_an_emulator_has_at_most_its_librarys_templates(templates: int) -> None:
    with pytest.raises(ValueError, match="templates must be from 0 to 3"):
        WeChatEmulator(templates=templates)
