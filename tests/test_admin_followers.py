"""The follower admin with Django's test client against the emulator over loopback HTTP:
the filters, the tag actions (both ways, through WeChat), "Refresh from WeChat" and
"Send a text message" with WeChat's 48-hour window."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from django_wechat import broadcasts
from django_wechat.models import Broadcast, Tag, WeChatUser
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


def hidden_fields(page: str) -> dict[str, list[str]]:
    """The hidden inputs of an action's page (its own form's), as the browser sends them."""
    form = page[page.index('<form method="post">') :]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        fields.setdefault(name, []).append(value)
    return fields


def confirm(
    admin_client: Client, chosen: dict[str, Any], query: str = "", **form: Any
) -> tuple[str, Any]:
    """Run an action on ``chosen`` from the list (at ``query``): its page, then what
    submitting the page's form with ``form`` gives (followed to the list)."""
    page = admin_client.post(CHANGELIST + query, chosen)
    assert page.status_code == 200
    text = page.content.decode()
    data = {**hidden_fields(text), **form}
    data.pop("csrfmiddlewaretoken", None)
    return text, admin_client.post(CHANGELIST + query, data, follow=True)


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
    _page, done = confirm(
        admin_client, {"action": "add_tag", "_selected_action": chosen}, tag=new.pk
    )
    assert "Added the tag “新客” to followers: 2." in done.content.decode()
    assert synced.count("cgi-bin/tags/members/batchtagging") == 1
    assert 101 in synced.state().followers["o-demo-follower-3"].tagid_list
    assert set(new.followers.values_list("openid", flat=True)) == {
        "o-demo-follower-3",
        "o-demo-follower-4",
    }
    _page, done = confirm(
        admin_client, {"action": "remove_tag", "_selected_action": chosen[:1]}, tag=new.pk
    )
    assert "Removed the tag “新客” from followers: 1." in done.content.decode()
    assert 101 not in synced.state().followers["o-demo-follower-3"].tagid_list
    assert list(new.followers.values_list("openid", flat=True)) == ["o-demo-follower-4"]


def test_a_tag_must_be_chosen(admin_client: Client, synced: WeChatEmulator) -> None:
    chosen = pks("o-demo-follower-3")
    _page, done = confirm(admin_client, {"action": "add_tag", "_selected_action": chosen}, tag="")
    assert done.status_code == 200
    assert "This field is required" in done.content.decode()


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
    chosen_data = {"action": "send_text", "_selected_action": chosen}
    page, done = confirm(admin_client, chosen_data, content=content)
    assert "48 hours" in page
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


@pytest.fixture
def many(wechat_emulator: WeChatEmulator, settings: Any) -> int:
    """1,200 followers, more than a POST may carry ids of (DATA_UPLOAD_MAX_NUMBER_FIELDS);
    30 of them speak English. A broadcast lane sends one at a time (the in-memory test
    database is not for lane threads)."""
    settings.WECHAT = {**settings.WECHAT, "BROADCAST_SENDS_PER_LANE": 1}
    wechat_emulator.generate_followers(1200)
    WeChatUser.objects.bulk_create(
        WeChatUser(
            account="default",
            openid=f"o-gen-{n:09d}",
            subscribed=True,
            language="en" if n <= 30 else "zh_CN",
        )
        for n in range(1, 1201)
    )
    return 1200


def act_on_all(admin_client: Client, action: str, query: str = "", **form: Any) -> tuple[str, Any]:
    """Choose "select all" across the list's pages, run ``action``: its page, then what
    submitting the page's form with ``form`` gives (followed to the list)."""
    first = str(WeChatUser.objects.order_by("pk").values_list("pk", flat=True)[0])
    chosen = {"action": action, "select_across": "1", "index": "0", "_selected_action": first}
    return confirm(admin_client, chosen, query, **form)


def test_a_text_to_every_follower_goes_out_as_a_broadcast(
    admin_client: Client, many: int, wechat_emulator: WeChatEmulator
) -> None:
    page, done = act_on_all(admin_client, "send_text", content="会员日")
    assert "Chosen followers: 1200" in page
    assert "and 1180 more" in page
    assert page.count("<small>(default, o-gen-") == 20  # the first 20 named, not 1,200
    assert 'name="select_across" value="1"' in page
    assert page.count('name="_selected_action"') == 1  # not 1,200 ids to post back
    assert done.status_code == 200
    job = Broadcast.objects.get()
    assert (job.kind, job.payload) == (Broadcast.Kind.CUSTOM, {"content": "会员日"})
    assert broadcasts.progress(job).total == 1200
    text = done.content.decode()
    assert f"Broadcast {job.pk} started for 1200 followers of account default" in text
    assert f'href="/admin/django_wechat/broadcast/{job.pk}/change/"' in text
    # The generated followers never wrote to the account: WeChat refuses each (45015).
    assert broadcasts.progress(job).blocked == 1200
    assert wechat_emulator.count("cgi-bin/message/custom/send") == 1200


def test_select_all_keeps_the_lists_filter(admin_client: Client, many: int) -> None:
    page, _done = act_on_all(admin_client, "send_text", "?language=en", content="hi")
    assert "Chosen followers: 30" in page
    assert "and 10 more" in page
    job = Broadcast.objects.get()
    assert broadcasts.progress(job).total == 30
    openids = set(job.recipients.values_list("openid", flat=True))
    assert openids == {f"o-gen-{n:09d}" for n in range(1, 31)}


@pytest.fixture
def vip(wechat_emulator: WeChatEmulator) -> Tag:
    """The tag VIP (100), on WeChat and synced."""
    with wechat_emulator.lock:
        wechat_emulator.state().tags[100] = "VIP"
    return Tag.objects.create(account="default", wechat_id=100, name="VIP")


def test_a_tag_for_every_follower_across_the_pages(
    admin_client: Client, many: int, wechat_emulator: WeChatEmulator, vip: Tag
) -> None:
    tag = vip
    page, done = act_on_all(admin_client, "add_tag", tag=tag.pk)
    assert "Chosen followers: 1200" in page
    assert "Added the tag “VIP” to followers: 1200." in done.content.decode()
    assert wechat_emulator.count("cgi-bin/tags/members/batchtagging") == 24  # 50 a call


def staff_client(*codenames: str) -> Client:
    """A staff member with the follower admin's permissions and ``codenames`` beside."""
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("clerk", password="x", is_staff=True)
    wanted = {"view_wechatuser", "change_wechatuser", *codenames}
    user.user_permissions.set(Permission.objects.filter(codename__in=wanted))
    client = Client()
    client.force_login(user)
    return client


def test_only_staff_who_may_add_broadcasts_send_to_many(
    many: int, wechat_emulator: WeChatEmulator
) -> None:
    _page, done = act_on_all(staff_client(), "send_text", content="会员日")
    assert "you may not start broadcasts (the “add broadcast” permission)" in (
        done.content.decode()
    )
    assert not Broadcast.objects.exists()
    assert wechat_emulator.count("cgi-bin/message/custom/send") == 0
    # Allowed to start one but not to view broadcasts: no link to a page they cannot open.
    get_user_model().objects.filter(username="clerk").delete()
    _page, done = act_on_all(staff_client("add_broadcast"), "send_text", content="会员日")
    text = done.content.decode()
    job = Broadcast.objects.get()
    assert f"Broadcast {job.pk} started for 1200 followers of account default." in text
    assert "/admin/django_wechat/broadcast/" not in text


def test_a_broadcast_that_cannot_start_is_cancelled_and_said(
    admin_client: Client, many: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_wechat import tasks

    def broker_down(job: Any) -> None:
        raise ConnectionError("the task broker is down")

    monkeypatch.setattr(tasks, "start_broadcast", broker_down)
    _page, done = act_on_all(admin_client, "send_text", content="会员日")
    assert done.status_code == 200
    job = Broadcast.objects.get()
    assert job.state == Broadcast.State.CANCELLED
    assert (
        f"Could not start the broadcast ({job.pk}, now cancelled): the task broker is down"
        in done.content.decode()
    )


def test_the_action_page_posts_back_to_the_lists_url(admin_client: Client, many: int) -> None:
    page, _done = act_on_all(admin_client, "add_tag", "?language=en&q=o-gen")
    # No action= on the form: it posts to the list's URL, with its filters and search.
    assert '<form method="post">' in page
    assert "Chosen followers: 30" in page


@pytest.mark.parametrize(("chosen", "broadcast"), [(20, False), (21, True)])
def test_up_to_20_followers_are_sent_to_at_once(
    admin_client: Client, many: int, wechat_emulator: WeChatEmulator, chosen: int, broadcast: bool
) -> None:
    ids = [str(pk) for pk in WeChatUser.objects.order_by("pk").values_list("pk", flat=True)]
    _page, done = confirm(
        admin_client, {"action": "send_text", "_selected_action": ids[:chosen]}, content="hi"
    )
    assert Broadcast.objects.exists() is broadcast
    text = done.content.decode()
    if broadcast:
        assert f"started for {chosen} followers" in text
    else:  # each one's outcome on the next page (here: none of them wrote in 48 hours)
        assert "errcode 45015" in text
    assert wechat_emulator.count("cgi-bin/message/custom/send") == chosen


def test_followers_of_two_accounts_get_a_broadcast_each(
    admin_client: Client, many: int, settings: Any
) -> None:
    from tests.settings import WECHAT

    assert "compatible" in WECHAT["ACCOUNTS"]
    WeChatUser.objects.bulk_create(
        WeChatUser(account="compatible", openid=f"o-c-{n}", subscribed=True) for n in range(25)
    )
    _page, done = act_on_all(admin_client, "send_text", content="hi")
    jobs = {job.account: broadcasts.progress(job).total for job in Broadcast.objects.all()}
    assert jobs == {"compatible": 25, "default": 1200}
    text = done.content.decode()
    assert "followers of account compatible" in text
    assert "followers of account default" in text


def test_a_tag_removed_from_every_follower_across_the_pages(
    admin_client: Client, many: int, wechat_emulator: WeChatEmulator, vip: Tag
) -> None:
    tag = vip
    act_on_all(admin_client, "add_tag", tag=tag.pk)
    _page, done = act_on_all(admin_client, "remove_tag", tag=tag.pk)
    assert "Removed the tag “VIP” from followers: 1200." in done.content.decode()
    assert wechat_emulator.count("cgi-bin/tags/members/batchuntagging") == 24
    assert not tag.followers.exists()


def test_a_form_sent_twice_is_carried_out_once(
    admin_client: Client, many: int, wechat_emulator: WeChatEmulator
) -> None:
    # A double click, or the browser's "resend" on reload: the same page's form twice.
    first = str(WeChatUser.objects.order_by("pk").values_list("pk", flat=True)[0])
    page = admin_client.post(
        CHANGELIST, {"action": "send_text", "select_across": "1", "_selected_action": first}
    )
    form = {**hidden_fields(page.content.decode()), "content": "会员日"}
    form.pop("csrfmiddlewaretoken", None)
    admin_client.post(CHANGELIST, form)
    again = admin_client.post(CHANGELIST, form, follow=True)
    assert "This form was sent already" in again.content.decode()
    assert Broadcast.objects.count() == 1
    # A new page of the action is a new form: it is carried out.
    _page, done = act_on_all(admin_client, "send_text", content="会员日")
    assert "This form was sent already" not in done.content.decode()
    assert Broadcast.objects.count() == 2


def test_a_form_without_its_page_does_nothing(admin_client: Client, synced: WeChatEmulator) -> None:
    chosen = {"action": "send_text", "_selected_action": pks("o-demo-follower-1")}
    done = admin_client.post(CHANGELIST, {**chosen, "post": "yes", "content": "hi"}, follow=True)
    assert "This form did not come from its page: nothing was done." in done.content.decode()
    assert synced.count("cgi-bin/message/custom/send") == 0


def test_with_the_cache_failing_quietly_the_action_still_runs(
    admin_client: Client,
    synced: WeChatEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.core.cache import caches

    # django-redis with IGNORE_EXCEPTIONS answers None for a command that failed.
    monkeypatch.setattr(caches["default"], "add", lambda *args, **kwargs: None)
    with caplog.at_level(logging.WARNING, logger="django_wechat"):
        page = send(admin_client, pks("o-demo-follower-1"))
    assert "Messages sent: 1." in page
    assert "ran unchecked for repeats" in caplog.text
