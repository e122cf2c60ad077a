"""Follower sync against the emulator over loopback HTTP: pages, profiles, bulk writes,
a second pass, unfollows, the daily quota, tags both ways and ``wechat_sync_users``."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_wechat.exceptions import WeChatError
from django_wechat.models import FollowerSync, Tag, WeChatUser
from django_wechat.sync.followers import (
    refresh_followers,
    sync_followers,
    sync_tags,
    tag_followers,
)
from django_wechat.testing.emulator import WeChatEmulator
from django_wechat.testing.emulator.state import generated_openid

pytestmark = pytest.mark.django_db

USER_GET = "cgi-bin/user/get"
BATCHGET = "cgi-bin/user/info/batchget"


@pytest.fixture
def emulator(wechat_emulator: WeChatEmulator) -> WeChatEmulator:
    """5 seeded and 250 generated followers, user/get pages of 100."""
    wechat_emulator.generate_followers(250)
    wechat_emulator.user_page_size = 100
    return wechat_emulator


def rows() -> int:
    return WeChatUser.objects.filter(account="default").count()


def test_a_multi_page_sync_writes_every_follower_in_bulk(emulator: WeChatEmulator) -> None:
    with CaptureQueriesContext(connection) as queries:
        result = sync_followers(full=True)
    assert result.finished
    assert not result.resumed
    assert (result.total, result.done, result.created) == (255, 255, 255)
    assert rows() == 255
    # 3 pages and the empty one after the last; profiles 100 at a time within each page.
    assert emulator.count(USER_GET) == 4
    assert emulator.count(BATCHGET) == 3  # pages of 100, 100 and 55: one call each
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "django_wechat_wechatuser"')]
    # One statement per batch, not per row: Django splits it only where the database caps
    # the parameters of a statement (SQLite: 999, so 58 rows of 17 columns).
    per_batch = -(-100 // connection.ops.bulk_batch_size(list(range(17)), []))
    assert len(inserts) <= per_batch * emulator.count(BATCHGET)
    assert len(queries) < 12 * emulator.count(BATCHGET)
    follower = WeChatUser.objects.get(openid=generated_openid(7))
    wechat = emulator.state().lookup(generated_openid(7))
    assert wechat is not None
    assert follower.subscribed is True
    assert follower.language == wechat.language
    assert follower.unionid == wechat.unionid
    assert int(follower.subscribed_at.timestamp()) == wechat.subscribe_time  # type: ignore[union-attr]
    assert follower.profile["subscribe_scene"] == wechat.subscribe_scene
    assert "qr_scene" in follower.profile
    assert follower.nickname == ""  # user/info no longer sends it
    run = FollowerSync.objects.get(account="default")
    assert (run.state, run.done, run.total) == (FollowerSync.State.DONE, 255, 255)


def test_a_nickname_from_the_login_is_never_blanked(emulator: WeChatEmulator) -> None:
    WeChatUser.objects.create(
        account="default",
        openid="o-demo-follower-1",
        nickname="张伟",
        avatar_url="https://thirdwx.qlogo.cn/a/132",
        unionid="u-demo-follower-1",
    )
    sync_followers(full=True)
    user = WeChatUser.objects.get(openid="o-demo-follower-1")
    assert (user.nickname, user.avatar_url) == ("张伟", "https://thirdwx.qlogo.cn/a/132")
    assert user.subscribed is True
    assert rows() == 255


def test_a_second_sync_changes_only_what_changed(emulator: WeChatEmulator) -> None:
    sync_followers(full=True)
    before = dict(WeChatUser.objects.values_list("openid", "updated_at"))
    with emulator.lock:
        changed = emulator.state().follower(generated_openid(3))
        assert changed is not None
        changed.remark = "老客户"
    with CaptureQueriesContext(connection) as queries:
        result = sync_followers(full=True)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 254)
    after = dict(WeChatUser.objects.values_list("openid", "updated_at"))
    assert [o for o in after if after[o] != before[o]] == [generated_openid(3)]
    assert WeChatUser.objects.get(openid=generated_openid(3)).remark == "老客户"
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "django_wechat_wechatuser"')]
    assert len(inserts) == 1  # the one changed row


def test_a_full_pass_marks_those_gone_unsubscribed(emulator: WeChatEmulator) -> None:
    sync_followers(full=True)
    WeChatUser.objects.create(account="default", openid="o-logged-in-only")
    with emulator.lock:
        for n in (5, 150):
            follower = emulator.state().follower(generated_openid(n))
            assert follower is not None
            follower.subscribe = 0
    result = sync_followers(full=True)
    assert result.unsubscribed == 3
    gone = set(WeChatUser.objects.filter(subscribed=False).values_list("openid", flat=True))
    assert gone == {generated_openid(5), generated_openid(150), "o-logged-in-only"}
    assert WeChatUser.objects.filter(subscribed=True).count() == 253


def test_a_plain_sync_fetches_only_new_followers(emulator: WeChatEmulator) -> None:
    sync_followers(full=True)
    emulator.generate_followers(30)
    calls = emulator.count(BATCHGET)
    result = sync_followers()
    assert not result.full
    assert result.finished
    assert (result.created, result.updated) == (30, 0)
    assert emulator.count(BATCHGET) - calls == 1
    assert rows() == 285


def test_the_daily_quota_stops_cleanly_and_the_next_run_resumes(
    emulator: WeChatEmulator,
) -> None:
    emulator.user_page_size = 10000
    emulator.generate_followers(750)  # 1,005 followers: 11 batchget calls

    # Three batches of 100 go through, then the quota is used up. Staged before the run
    # (faults are taken in order), not from the progress callback: every batch of a page
    # is requested at once, so by the third callback the later calls may all be answered.
    emulator.fail("delay", api=BATCHGET, delay=0.001, times=3)
    emulator.fail("errcode", api=BATCHGET, errcode=45009, times=50)

    stopped = sync_followers(full=True, workers=1)
    assert stopped.stopped
    assert stopped.quota_api == BATCHGET
    assert "45009" in stopped.message
    assert "quota" in stopped.message
    assert "5,000,000" in stopped.message
    assert 300 <= rows() < 1005
    run = FollowerSync.objects.get(account="default")
    assert run.state == FollowerSync.State.STOPPED
    assert run.offset == stopped.done
    # Still over quota: the command says so, without a traceback, exit status 3.
    with pytest.raises(CommandError) as caught:
        call_command("wechat_sync_users", "--full", stdout=io.StringIO())
    assert "45009" in str(caught.value)
    assert caught.value.returncode == 3
    emulator.reset()
    emulator.generate_followers(1000)
    out = io.StringIO()
    call_command("wechat_sync_users", "--full", stdout=out)
    assert "Resum" in out.getvalue()
    assert rows() == 1005
    run.refresh_from_db()
    assert (run.state, run.done, run.created) == (FollowerSync.State.DONE, 1005, 1005)


def test_tags_are_synced_and_linked(emulator: WeChatEmulator) -> None:
    with emulator.lock:
        state = emulator.state()
        state.tags[100] = "VIP"
        for n in (1, 2, 3):
            follower = state.follower(generated_openid(n))
            assert follower is not None
            follower.tagid_list.append(100)
    sync_followers(full=True)
    vip = Tag.objects.get(account="default", wechat_id=100)
    assert (vip.name, vip.count) == ("VIP", 3)
    assert {u.openid for u in vip.followers.all()} == {generated_openid(n) for n in (1, 2, 3)}
    # Untagged on WeChat: the next full pass unlinks.
    with emulator.lock:
        follower = emulator.state().follower(generated_openid(2))
        assert follower is not None
        follower.tagid_list.remove(100)
    sync_followers(full=True)
    assert vip.followers.count() == 2


def test_tagging_from_here_reaches_wechat_50_at_a_time(emulator: WeChatEmulator) -> None:
    with emulator.lock:
        emulator.state().tags[101] = "新客"
    sync_followers(full=True)
    tag = Tag.objects.get(wechat_id=101)
    chosen = list(WeChatUser.objects.order_by("openid")[:120])
    tag_followers(tag, chosen)
    assert emulator.count("cgi-bin/tags/members/batchtagging") == 3
    wechat = emulator.state()
    assert all(101 in wechat.follower(u.openid).tagid_list for u in chosen)  # type: ignore[union-attr]
    assert tag.followers.count() == 120
    assert WeChatUser.objects.get(pk=chosen[0].pk).tag_ids == [101]
    tag_followers(tag, chosen[:10], remove=True)
    assert tag.followers.count() == 110
    assert 101 not in wechat.follower(chosen[0].openid).tagid_list  # type: ignore[union-attr]
    assert sync_tags()[0].account == "default"
    assert Tag.objects.get(wechat_id=101).count == 110


def test_refresh_fetches_the_chosen_profiles_again(emulator: WeChatEmulator) -> None:
    sync_followers(full=True)
    with emulator.lock:
        follower = emulator.state().follower(generated_openid(9))
        assert follower is not None
        follower.remark = "刷新"
    calls = emulator.count(BATCHGET)
    assert refresh_followers(WeChatUser.objects.filter(openid=generated_openid(9))) == 1
    assert emulator.count(BATCHGET) == calls + 1
    assert WeChatUser.objects.get(openid=generated_openid(9)).remark == "刷新"


def test_old_answers_with_a_leading_empty_openid_and_a_repeated_next_openid() -> None:
    from django_wechat.sync import followers

    pages: list[dict[str, Any]] = [
        {"total": 2, "count": 2, "data": {"openid": ["", "o1", "o2"]}, "next_openid": "o2"},
        {"total": 2, "count": 0, "next_openid": "o2"},
    ]

    class FakeUser:
        def get_followers(self, first: str | None) -> dict[str, Any]:
            return pages.pop(0)

        def get_batch(self, openids: list[str]) -> list[dict[str, Any]]:
            return [{"subscribe": 1, "openid": o} for o in openids]

    class FakeClient:
        user = FakeUser()

    run, result = followers._begin("default", True)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        followers._walk(FakeClient(), pool, run, result, {}, None)  # type: ignore[arg-type]
    assert not pages
    assert result.done == 2
    assert set(WeChatUser.objects.values_list("openid", flat=True)) == {"o1", "o2"}


def test_the_command_prints_plain_lines_off_a_terminal(emulator: WeChatEmulator) -> None:
    out = io.StringIO()
    call_command("wechat_sync_users", "--full", "--workers", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("255/255 followers") for line in lines)
    assert len([line for line in lines if " followers (" in line]) >= 3
    assert "\r" not in out.getvalue()
    assert "\x1b" not in out.getvalue()
    assert "Synced 255 followers" in lines[-1]


def test_the_command_is_quiet_with_quiet(emulator: WeChatEmulator) -> None:
    out = io.StringIO()
    call_command("wechat_sync_users", "--quiet", stdout=out)
    assert out.getvalue().splitlines() == [out.getvalue().strip()]
    assert out.getvalue().startswith("Synced 255 followers")


def test_the_command_refuses_no_workers(emulator: WeChatEmulator) -> None:
    with pytest.raises(CommandError, match="--workers"):
        call_command("wechat_sync_users", "--workers", "0", stdout=io.StringIO())
    with pytest.raises(WeChatError, match="nope"):
        call_command("wechat_sync_users", "--account", "nope", stdout=io.StringIO())
