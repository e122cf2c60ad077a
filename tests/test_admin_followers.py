"""The follower admin with Django's test client against the emulator over loopback HTTP:
the filters, the tag actions (both ways, through WeChat), "Refresh from WeChat" and
"Send a text message" with WeChat's 48-hour window."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from django_wechat.models import Tag, WeChatUser
from django_wechat.sync.followers import sync_followers
from django_wechat.testing.emulator import WeChatEmulator

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/django_wechat/wechatuser/"


@pytest.fixture
def synced(wechat_emulator: WeChatEmulator) -> WeChatEmulator:
    with wechat_emulator.lock:
        state = wechat_emulator.state()
        state.tags[100] = "VIP"
        state.tags[101] = "新客"
        state.followers["o-demo-follower-1"].tagid_list.append(100)
        state.followers["o-demo-follower-2"].language = "en"
    sync_followers(full=True)
    return wechat_emulator


def pks(*openids: str) -> list[str]:
    return [str(WeChatUser.objects.get(openid=o).pk) for o in openids]


def test_the_list_filters_by_tag_account_subscribed_and_language(
    admin_client: Client, synced: WeChatEmulator
) -> None:
    vip = Tag.objects.get(wechat_id=100)
    page = admin_client.get(CHANGELIST, {"tags__id__exact": vip.pk}).content.decode()
    assert "o-demo-follower-1" in page
    assert "o-demo-follower-3" not in page
    page = admin_client.get(CHANGELIST).content.decode()
    for name in ("By account", "By subscribed", "By tag", "By language"):
        assert name in page
    assert "VIP" in page
    page = admin_client.get(CHANGELIST, {"language": "en"}).content.decode()
    assert "o-demo-follower-2" in page
    assert "o-demo-follower-4" not in page


def test_add_then_remove_a_tag_through_the_confirmation_page(
    admin_client: Client, synced: WeChatEmulator
) -> None:
    chosen = pks("o-demo-follower-3", "o-demo-follower-4")
    new = Tag.objects.get(wechat_id=101)
    page = admin_client.post(CHANGELIST, {"action": "add_tag", "_selected_action": chosen})
    assert page.status_code == 200
    assert "Chosen followers: 2" in page.content.decode()
    assert synced.count("cgi-bin/tags/members/batchtagging") == 0  # nothing yet
    done = admin_client.post(
        CHANGELIST,
        {"action": "add_tag", "_selected_action": chosen, "post": "yes", "tag": new.pk},
        follow=True,
    )
    assert "Added the tag “新客” to followers: 2." in done.content.decode()
    assert synced.count("cgi-bin/tags/members/batchtagging") == 1
    assert 101 in synced.state().followers["o-demo-follower-3"].tagid_list
    assert set(new.followers.values_list("openid", flat=True)) == {
        "o-demo-follower-3",
        "o-demo-follower-4",
    }
    done = admin_client.post(
        CHANGELIST,
        {"action": "remove_tag", "_selected_action": chosen[:1], "post": "yes", "tag": new.pk},
        follow=True,
    )
    assert "Removed the tag “新客” from followers: 1." in done.content.decode()
    assert 101 not in synced.state().followers["o-demo-follower-3"].tagid_list
    assert list(new.followers.values_list("openid", flat=True)) == ["o-demo-follower-4"]


def test_a_tag_must_be_chosen(admin_client: Client, synced: WeChatEmulator) -> None:
    chosen = pks("o-demo-follower-3")
    page = admin_client.post(
        CHANGELIST, {"action": "add_tag", "_selected_action": chosen, "post": "yes", "tag": ""}
    )
    assert page.status_code == 200
    assert "This field is required" in page.content.decode()


def test_refresh_from_wechat(admin_client: Client, synced: WeChatEmulator) -> None:
    with synced.lock:
        synced.state().followers["o-demo-follower-5"].remark = "新备注"
    done = admin_client.post(
        CHANGELIST,
        {"action": "refresh_from_wechat", "_selected_action": pks("o-demo-follower-5")},
        follow=True,
    )
    assert "Refreshed from WeChat: 1 followers, 1 changed." in done.content.decode()
    assert WeChatUser.objects.get(openid="o-demo-follower-5").remark == "新备注"


def send(admin_client: Client, chosen: list[str], content: str = "你好") -> str:
    data: dict[str, Any] = {"action": "send_text", "_selected_action": chosen}
    page = admin_client.post(CHANGELIST, data)
    assert "48 hours" in page.content.decode()
    done = admin_client.post(CHANGELIST, {**data, "post": "yes", "content": content}, follow=True)
    return str(done.content.decode())


def test_send_a_text_message_and_the_48_hour_window(
    admin_client: Client, synced: WeChatEmulator
) -> None:
    page = send(admin_client, pks("o-demo-follower-1", "o-demo-follower-2"))
    assert "Messages sent: 2." in page
    assert [m["text"]["content"] for m in synced.sent_messages("o-demo-follower-1")] == ["你好"]
    synced.clock.advance(49 * 3600)
    synced.record_message("o-demo-follower-2")
    page = send(admin_client, pks("o-demo-follower-1", "o-demo-follower-2"))
    assert "Messages sent: 1." in page
    assert "errcode 45015" in page
    assert "within 48 hours of" in page
