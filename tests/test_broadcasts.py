"""Broadcasts against the emulator: segments, batches and lanes, exactly once per
follower, the daily quota's stop and resume, cancel, ``manage.py wechat_broadcast``."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from django_wechat import broadcasts, taskapi
from django_wechat.client import get_client
from django_wechat.models import Broadcast, BroadcastRecipient, WeChatUser
from django_wechat.sync.templates import sync_templates
from django_wechat.tasks import broadcast_lane, resume_broadcast, start_broadcast
from django_wechat.testing.emulator import WeChatEmulator

pytestmark = pytest.mark.django_db

API = taskapi.api_name()
SEND = "cgi-bin/message/custom/send"
FOLLOWERS = [f"o-demo-follower-{i}" for i in range(1, 6)]


@pytest.fixture
def followers(wechat_emulator: WeChatEmulator) -> list[str]:
    """The emulator's five followers as WeChatUser rows (tagged 7: the odd ones), and
    one who unfollowed."""
    for i, openid in enumerate(FOLLOWERS, 1):
        WeChatUser.objects.create(
            account="default", openid=openid, subscribed=True, tag_ids=[7] if i % 2 else []
        )
    WeChatUser.objects.create(account="default", openid="o-gone", subscribed=False)
    return FOLLOWERS


@pytest.fixture
def dummy(settings: Any) -> Any:
    """Tasks are only stored: each test runs the lanes itself."""
    settings.TASKS = {"default": {"BACKEND": f"{API}.backends.dummy.DummyBackend"}}
    backend = taskapi.backend()
    backend.clear()
    return backend


@pytest.fixture
def one_at_a_time(settings: Any) -> None:
    """Each lane sends one message at a time, so "the first send" is a known follower."""
    settings.WECHAT = {**settings.WECHAT, "BROADCAST_SENDS_PER_LANE": 1}


def texts(emulator: WeChatEmulator) -> list[tuple[str, str]]:
    return [(m["touser"], m["text"]["content"]) for m in emulator.sent_messages()]


def drain(backend: Any) -> None:
    """Run every stored task, and those they enqueue, as a worker would."""
    done = 0
    while done < len(backend.results):
        result = backend.results[done]
        result.task.call(*result.args, **result.kwargs)
        done += 1


def test_a_text_to_every_follower_once(
    followers: list[str], wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": f"{API}.backends.immediate.ImmediateBackend"}}
    job = broadcasts.create_broadcast(text="新品上市", batch_size=2, concurrency=2)
    assert sorted(job.recipients.values_list("batch", flat=True)) == [0, 0, 1, 1, 2]
    start_broadcast(job)
    assert sorted(texts(wechat_emulator)) == [(o, "新品上市") for o in followers]
    job.refresh_from_db()
    assert job.state == Broadcast.State.DONE
    assert broadcasts.progress(job) == broadcasts.Progress(5, 5, 0, 0, 0)
    # Its lanes run again (a retried task): nobody gets it twice.
    broadcast_lane.call(job.pk, 0)
    broadcast_lane.call(job.pk, 1)
    assert len(texts(wechat_emulator)) == 5


def test_segments_a_tag_a_queryset_and_openids(
    followers: list[str], wechat_emulator: WeChatEmulator
) -> None:
    def openids(job: Broadcast) -> list[str]:
        return sorted(job.recipients.values_list("openid", flat=True))

    assert openids(broadcasts.create_broadcast(text="t", tag=7)) == [
        followers[0],
        followers[2],
        followers[4],
    ]
    queryset = WeChatUser.objects.filter(openid__in=followers[:2])
    assert openids(broadcasts.create_broadcast(queryset, text="t")) == followers[:2]
    assert openids(broadcasts.create_broadcast([followers[1]] * 3, text="t")) == [followers[1]]
    with pytest.raises(broadcasts.ImproperlyConfigured):
        broadcasts.create_broadcast(text="t", template_id="x")


def test_unreachable_followers_are_blocked_and_errors_failed(
    followers: list[str], wechat_emulator: WeChatEmulator, dummy: Any, one_at_a_time: None
) -> None:
    job = broadcasts.create_broadcast([*followers[:2], "o-stranger"], text="hi", concurrency=1)
    wechat_emulator.fail("errcode", api=SEND, errcode=40035)  # the first send: refused
    start_broadcast(job)
    drain(dummy)
    states = dict(job.recipients.values_list("openid", "state"))
    assert states == {followers[0]: "failed", followers[1]: "sent", "o-stranger": "blocked"}
    assert broadcasts.progress(job) == broadcasts.Progress(3, 1, 1, 1, 0)


def test_the_daily_quota_pauses_and_resume_finishes(
    followers: list[str], wechat_emulator: WeChatEmulator, dummy: Any, one_at_a_time: None
) -> None:
    job = broadcasts.create_broadcast(text="q", batch_size=1, concurrency=1)
    start_broadcast(job)
    dummy.results[0].task.call(job.pk, 0)  # sends 5 in one go, unless stopped
    assert len(texts(wechat_emulator)) == 5
    wechat_emulator.state().sent.clear()

    job = broadcasts.create_broadcast(text="q2", batch_size=2, concurrency=2)
    dummy.clear()
    wechat_emulator.fail("errcode", api=SEND, errcode=45009, times=1)
    start_broadcast(job)
    # The first send meets the quota: the job pauses with everything else left.
    assert broadcasts.run_batch(job.pk, 0) is False
    job.refresh_from_db()
    assert job.state == Broadcast.State.PAUSED
    assert broadcasts.progress(job).remaining == 5
    assert broadcasts.run_batch(job.pk, 1) is False  # a paused job sends nothing
    assert texts(wechat_emulator) == []
    # After the reset: resumed, every follower once.
    dummy.clear()
    assert resume_broadcast(job) is True
    drain(dummy)
    job.refresh_from_db()
    assert job.state == Broadcast.State.DONE
    assert sorted(texts(wechat_emulator)) == [(o, "q2") for o in followers]


def test_a_lane_has_up_to_its_bound_of_sends_in_flight(
    followers: list[str], wechat_emulator: WeChatEmulator, dummy: Any, settings: Any
) -> None:
    # Each send takes half a second at WeChat: a lane keeps three of them going at once,
    # never more, and everyone still gets it once.
    settings.WECHAT = {**settings.WECHAT, "BROADCAST_SENDS_PER_LANE": 3}
    wechat_emulator.fail("delay", api=SEND, delay=0.5, times=len(followers))
    job = broadcasts.create_broadcast(text="together", batch_size=5, concurrency=1)
    assert broadcasts.run_batch(job.pk, 0) is True
    assert wechat_emulator.peak_in_flight(SEND) == 3
    assert sorted(texts(wechat_emulator)) == [(o, "together") for o in followers]
    assert broadcasts.run_batch(job.pk, 0) is False
    assert broadcasts.progress(job) == broadcasts.Progress(5, 5, 0, 0, 0)


def test_the_quota_stops_a_lane_whose_other_sends_are_in_flight(
    followers: list[str], wechat_emulator: WeChatEmulator, dummy: Any, settings: Any
) -> None:
    # All five at once; one meets the daily quota. The four others were on their way and
    # are recorded as sent; the one refused waits for the resume, and nobody gets two.
    settings.WECHAT = {**settings.WECHAT, "BROADCAST_SENDS_PER_LANE": 5}
    wechat_emulator.fail("errcode", api=SEND, errcode=45009, times=1)
    job = broadcasts.create_broadcast(text="quota", batch_size=5, concurrency=1)
    assert broadcasts.run_batch(job.pk, 0) is False
    job.refresh_from_db()
    assert job.state == Broadcast.State.PAUSED
    assert broadcasts.progress(job) == broadcasts.Progress(5, 4, 0, 0, 1)
    assert resume_broadcast(job) is True
    drain(dummy)
    assert sorted(texts(wechat_emulator)) == [(o, "quota") for o in followers]


def test_cancel_stops_between_batches(
    followers: list[str], wechat_emulator: WeChatEmulator, dummy: Any
) -> None:
    job = broadcasts.create_broadcast(text="c", batch_size=2, concurrency=1)
    assert broadcasts.run_batch(job.pk, 0) is True
    assert broadcasts.cancel(job) is True
    assert broadcasts.run_batch(job.pk, 0) is False
    assert len(texts(wechat_emulator)) == 2
    assert broadcasts.progress(job).remaining == 3
    assert resume_broadcast(job) is False
    assert broadcasts.cancel(job) is False


def test_a_send_claimed_by_another_run_is_not_sent_again(
    followers: list[str], wechat_emulator: WeChatEmulator
) -> None:
    job = broadcasts.create_broadcast(followers[:2], text="x", concurrency=1)
    # Another run of this batch holds followers[0] (it is sending it right now).
    BroadcastRecipient.objects.filter(openid=followers[0]).update(state="sending")
    broadcasts.run_batch(job.pk, 0)
    assert texts(wechat_emulator) == [(followers[1], "x")]


def test_the_command_starts_follows_and_cancels(
    followers: list[str], wechat_emulator: WeChatEmulator, dummy: Any
) -> None:
    out = StringIO()
    call_command("wechat_broadcast", "--text", "你好", "--tag", "7", stdout=out)
    job = Broadcast.objects.get()
    assert f"Broadcast {job.pk} started: 3 followers." in out.getvalue()
    out = StringIO()
    call_command("wechat_broadcast", "--status", stdout=out)
    assert "remaining 3 of 3" in out.getvalue()
    drain(dummy)
    out = StringIO()
    call_command("wechat_broadcast", "--status", str(job.pk), stdout=out)
    assert "100% — sent 3, failed 0, blocked 0, remaining 0 of 3" in out.getvalue()
    with pytest.raises(CommandError, match="not running or paused"):
        call_command("wechat_broadcast", "--cancel", str(job.pk))
    with pytest.raises(CommandError, match="one of them"):
        call_command("wechat_broadcast")
    with pytest.raises(CommandError, match="No broadcast"):
        call_command("wechat_broadcast", "--resume", "999")


class Worker:
    """Stands in for the command's ``time.sleep`` and ``time.monotonic``: each sleep moves
    the clock on and runs the next stored task, as a worker would between two looks of
    ``--wait`` (after ``idle`` sleeps that run nothing); ``then`` runs on the first sleep."""

    def __init__(
        self, backend: Any, idle: int = 0, then: Any = None, interrupt: bool = False
    ) -> None:
        self.backend, self.idle, self.then, self.interrupt = backend, idle, then, interrupt
        self.ran = 0
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.interrupt:
            raise KeyboardInterrupt
        if self.then is not None:
            self.then, then = None, self.then
            then()
        if self.idle:
            self.idle -= 1
            return
        if self.ran < len(self.backend.results):
            result = self.backend.results[self.ran]
            result.task.call(*result.args, **result.kwargs)
            self.ran += 1


@pytest.fixture
def waiting(
    followers: list[str], dummy: Any, one_at_a_time: None, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The five followers, tasks stored, and ``waiting(**worker)``: the command's sleeps
    run the stored tasks (a :class:`Worker` with those options) on a clock of their own."""
    from django_wechat.management.commands import wechat_broadcast

    def install(**options: Any) -> Worker:
        worker = Worker(dummy, **options)
        monkeypatch.setattr(wechat_broadcast.time, "sleep", worker.sleep)
        monkeypatch.setattr(wechat_broadcast.time, "monotonic", worker.monotonic)
        return worker

    return install


def wait_for(*options: str) -> tuple[str, CommandError | None]:
    """``wechat_broadcast <options> --wait``: its output and the error it ended with."""
    out = StringIO()
    try:
        call_command("wechat_broadcast", *options, "--wait", stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_wait_follows_the_broadcast_to_its_end(
    wechat_emulator: WeChatEmulator, waiting: Any
) -> None:
    waiting()
    out, error = wait_for("--text", "你好", "--batch-size", "2")
    assert error is None
    lines = out.splitlines()
    job = Broadcast.objects.get()
    assert lines[0] == f"Broadcast {job.pk} started: 5 followers."
    shown = [line for line in lines if " messages (" in line]
    # Two lanes, one task each, run a second apart: the first sends batches 0 and 2 (3
    # followers), the second batch 1; the rate counts from the first look.
    assert shown == ["0/5 messages (0/s)", "3/5 messages (3/s)", "5/5 messages (2/s)"]
    assert "100% — sent 5, failed 0, blocked 0, remaining 0 of 5" in lines[-1]
    assert len([line for line in lines if line.startswith("#")]) == 1  # one status line
    assert "task worker" not in out  # 1 s between batches is progress
    assert sorted(texts(wechat_emulator)) == [(o, "你好") for o in FOLLOWERS]


def test_wait_ends_with_status_3_when_the_quota_pauses_it(
    wechat_emulator: WeChatEmulator, waiting: Any
) -> None:
    wechat_emulator.fail("errcode", api=SEND, errcode=45009)
    waiting()
    out, error = wait_for("--text", "q")
    assert error is not None
    assert error.returncode == 3
    assert "paused by WeChat's daily quota" in str(error)
    assert "--resume" in str(error)
    assert "paused by the daily quota: 0%" in out


def test_wait_ends_with_status_3_when_it_is_cancelled_or_deleted(
    wechat_emulator: WeChatEmulator, waiting: Any
) -> None:
    job = broadcasts.create_broadcast(text="q")
    start_broadcast(job)
    waiting(then=lambda: broadcasts.cancel(job), idle=1)
    out, error = wait_for("--status", str(job.pk))
    assert error is not None
    assert error.returncode == 3
    assert str(error) == f"Broadcast {job.pk} was cancelled."
    assert "cancelled: 0%" in out.splitlines()[-1]

    other = broadcasts.create_broadcast(text="q")
    start_broadcast(other)
    waiting(then=lambda: Broadcast.objects.filter(pk=other.pk).delete(), idle=1)
    _out, error = wait_for("--status", str(other.pk))
    assert error is not None
    assert error.returncode == 3
    assert str(error) == f"No broadcast {other.pk}."


@pytest.mark.parametrize(("idle", "hinted"), [(29, False), (31, True)])
def test_wait_asks_for_a_worker_after_30_seconds_without_progress(
    wechat_emulator: WeChatEmulator, waiting: Any, idle: int, hinted: bool
) -> None:
    job = broadcasts.create_broadcast(text="q")
    start_broadcast(job)
    waiting(idle=idle)
    out, error = wait_for("--status", str(job.pk))
    assert error is None
    hint = "No progress for 30 seconds: is a task worker running (manage.py db_worker"
    assert out.count(hint) == (1 if hinted else 0)
    if hinted:
        assert f"--resume {job.pk} sends the rest" in out
    assert "100% — sent 5" in out.splitlines()[-1]


def test_wait_interrupted_leaves_the_broadcast_running(
    wechat_emulator: WeChatEmulator, waiting: Any
) -> None:
    job = broadcasts.create_broadcast(text="q")
    start_broadcast(job)
    waiting(interrupt=True)
    _out, error = wait_for("--resume", str(job.pk))
    assert error is not None
    assert error.returncode == 130
    assert "goes on in the background" in str(error)
    assert f"--status {job.pk}" in str(error)
    job.refresh_from_db()
    assert job.state == Broadcast.State.RUNNING


@pytest.mark.parametrize("options", [["--cancel", "1"], ["--status"]])
def test_wait_follows_one_broadcast(options: list[str]) -> None:
    with pytest.raises(CommandError, match="--wait follows one broadcast") as raised:
        call_command("wechat_broadcast", *options, "--wait", stdout=StringIO())
    assert raised.value.returncode == 2


def test_the_admin_shows_progress(
    followers: list[str], wechat_emulator: WeChatEmulator, admin_client: Any
) -> None:
    job = broadcasts.create_broadcast(text="a", batch_size=2, concurrency=1)
    broadcasts.run_batch(job.pk, 0)
    page = admin_client.get("/admin/django_wechat/broadcast/").content.decode()
    assert '<progress class="broadcast-progress" value="2" max="5">40%</progress>' in page
    assert "2 / 0 / 0 / 3" in page
    response = admin_client.post(
        "/admin/django_wechat/broadcast/",
        {"action": "cancel", "_selected_action": [job.pk]},
        follow=True,
    )
    assert "Broadcasts cancelled: 1." in response.content.decode()
    job.refresh_from_db()
    assert job.state == Broadcast.State.CANCELLED


def test_a_template_broadcast_goes_through_send_template_message(
    followers: list[str], wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": f"{API}.backends.immediate.ImmediateBackend"}}
    # 预约成功通知: 预约项目 {{thing1.DATA}}, 预约时间 {{time2.DATA}}.
    template_id = get_client().template.add("OPENTM411587302")
    sync_templates("default")
    job = broadcasts.create_broadcast(
        followers[:2],
        template_id=template_id,
        data={"thing1": "年度体检", "time2": "2026年12月2日 09:30"},
    )
    start_broadcast(job)
    sent = wechat_emulator.sent_messages()
    assert sorted(m["touser"] for m in sent) == followers[:2]
    assert broadcasts.progress(job).sent == 2


@pytest.mark.parametrize("value", [0, -1, "8", True, 2.5])
def test_the_sends_in_flight_must_be_a_positive_integer(value: Any, settings: Any) -> None:
    from django.core.checks import run_checks
    from django.test import override_settings

    with override_settings(WECHAT={**settings.WECHAT, "BROADCAST_SENDS_PER_LANE": value}):
        found = [m for m in run_checks(tags=["wechat"]) if m.id == "wechat.E151"]
    assert len(found) == 1
    assert repr(value) in found[0].msg
    assert "default (8)" in found[0].hint
    with override_settings(WECHAT={**settings.WECHAT, "BROADCAST_SENDS_PER_LANE": 16}):
        assert not [m for m in run_checks(tags=["wechat"]) if m.id == "wechat.E151"]


def test_an_error_mid_batch_still_records_the_sends_in_flight(
    followers: list[str],
    wechat_emulator: WeChatEmulator,
    dummy: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Preparing the third follower's message fails (the database, say) while two sends
    # are on their way: those two are recorded as sent, the third goes back to pending,
    # and the task's retry finishes the batch with nobody messaged twice.
    settings.WECHAT = {**settings.WECHAT, "BROADCAST_SENDS_PER_LANE": 5}
    wechat_emulator.fail("delay", api=SEND, delay=0.3, times=2)
    prepare = broadcasts._prepare

    def broken(broadcast: Broadcast, openid: str) -> Any:
        if openid == followers[2]:
            raise RuntimeError("the database went away")
        return prepare(broadcast, openid)

    monkeypatch.setattr(broadcasts, "_prepare", broken)
    job = broadcasts.create_broadcast(text="mid", batch_size=5, concurrency=1)
    with pytest.raises(RuntimeError):
        broadcasts.run_batch(job.pk, 0)
    states = dict(job.recipients.values_list("openid", "state"))
    assert states == {
        followers[0]: "sent",
        followers[1]: "sent",
        followers[2]: "pending",
        followers[3]: "pending",
        followers[4]: "pending",
    }
    monkeypatch.setattr(broadcasts, "_prepare", prepare)
    assert broadcasts.run_batch(job.pk, 0) is True
    assert sorted(texts(wechat_emulator)) == [(o, "mid") for o in followers]
