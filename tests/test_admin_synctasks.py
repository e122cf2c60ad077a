"""The scheduled syncs started from the admin ("Sync followers in the background" on the
follower syncs' page, "Sync in the background" on the templates' page), with Django's test
client against the emulator over loopback HTTP: DummyBackend shows what was enqueued,
ImmediateBackend that the sync ran."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from django_wechat import get_client, taskapi
from django_wechat.models import FollowerSync, MessageTemplate, WeChatUser
from django_wechat.testing.emulator import WeChatEmulator

pytestmark = pytest.mark.django_db

API = taskapi.api_name()
FOLLOWER_SYNCS = "/admin/django_wechat/followersync/"
TEMPLATES = "/admin/django_wechat/messagetemplate/"


@pytest.fixture
def dummy(settings: Any) -> Any:
    """Tasks are only stored."""
    settings.TASKS = {"default": {"BACKEND": f"{API}.backends.dummy.DummyBackend"}}
    backend = taskapi.backend()
    backend.clear()
    return backend


@pytest.fixture
def immediate(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": f"{API}.backends.immediate.ImmediateBackend"}}


def test_the_follower_button_enqueues_one_sync_with_its_arguments(
    admin_client: Client, dummy: Any, wechat_emulator: WeChatEmulator
) -> None:
    page = admin_client.get(FOLLOWER_SYNCS).content.decode()
    assert "Sync followers in the background" in page
    assert 'name="csrfmiddlewaretoken"' in page
    done = admin_client.post(f"{FOLLOWER_SYNCS}start/", {"account": "default", "full": "1"})
    assert done.status_code == 302
    assert done["Location"] == FOLLOWER_SYNCS
    [result] = dummy.results
    assert result.task.name == "sync_followers"
    assert (result.args, result.kwargs) == (["default"], {"full": True})
    page = admin_client.get(FOLLOWER_SYNCS).content.decode()
    assert f"Sync of account default enqueued as task {result.id}: Ready." in page
    assert wechat_emulator.count("cgi-bin/user/get") == 0  # only enqueued
    admin_client.post(f"{FOLLOWER_SYNCS}start/", {"account": "default"})
    assert dummy.results[1].kwargs == {"full": False}


def test_the_follower_sync_runs_and_its_progress_is_listed(
    admin_client: Client, immediate: None, wechat_emulator: WeChatEmulator
) -> None:
    page = admin_client.post(
        f"{FOLLOWER_SYNCS}start/", {"account": "default", "full": "1"}, follow=True
    ).content.decode()
    assert ": Successful." in page
    assert WeChatUser.objects.filter(account="default").count() == 5
    assert FollowerSync.objects.get(account="default").done == 5
    assert "o-demo-follower" not in page  # the progress row, not the followers
    assert ">5<" in page


def test_the_template_button_enqueues_then_the_sync_runs(
    admin_client: Client, dummy: Any, settings: Any, wechat_emulator: WeChatEmulator
) -> None:
    get_client().template.add("TM00015")
    page = admin_client.get(TEMPLATES).content.decode()
    assert "Sync from WeChat" in page  # the synchronous one stays
    assert "Sync in the background" in page
    admin_client.post(f"{TEMPLATES}start/", {"account": "default"})
    [result] = dummy.results
    assert result.task.name == "sync_templates"
    assert (result.args, result.kwargs) == (["default"], {})
    assert MessageTemplate.objects.count() == 0
    settings.TASKS = {"default": {"BACKEND": f"{API}.backends.immediate.ImmediateBackend"}}
    page = admin_client.post(
        f"{TEMPLATES}start/", {"account": "default"}, follow=True
    ).content.decode()
    assert ": Successful." in page
    assert MessageTemplate.objects.get().keywords == ["character_string1", "amount2", "thing3"]


def test_a_sync_that_fails_says_so(
    admin_client: Client, immediate: None, wechat_emulator: WeChatEmulator
) -> None:
    wechat_emulator.fail("errcode", api="cgi-bin/template/get_all_private_template", errcode=48001)
    response = admin_client.post(f"{TEMPLATES}start/", {"account": "default"}, follow=True)
    [message] = list(response.context["messages"])
    assert message.level_tag == "error"
    assert message.message.endswith(": Failed.")


def test_an_unknown_account_is_refused(admin_client: Client, dummy: Any) -> None:
    page = admin_client.post(f"{TEMPLATES}start/", {"account": "nope"}, follow=True)
    assert "No account named nope." in page.content.decode()
    assert dummy.results == []


def test_without_a_task_backend_the_page_says_so(admin_client: Client, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "no_such_module.Backend"}}
    for url in (f"{FOLLOWER_SYNCS}start/", f"{TEMPLATES}start/"):
        response = admin_client.post(url, {"account": "default"}, follow=True)
        assert response.status_code == 200
        assert "Could not start the sync in the background:" in response.content.decode()


def test_staff_without_the_change_permission_get_403(
    client: Client, dummy: Any, wechat_emulator: WeChatEmulator
) -> None:
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_followersync", "view_messagetemplate"])
    )
    client.force_login(staff)
    assert client.get(FOLLOWER_SYNCS).status_code == 200
    assert client.post(f"{FOLLOWER_SYNCS}start/", {"account": "default"}).status_code == 403
    assert client.post(f"{TEMPLATES}start/", {"account": "default"}).status_code == 403
    assert dummy.results == []


def test_the_buttons_in_chinese(admin_client: Client, dummy: Any, settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    assert "在后台同步粉丝" in admin_client.get(FOLLOWER_SYNCS).content.decode()
    assert "在后台同步" in admin_client.get(TEMPLATES).content.decode()
    page = admin_client.post(
        f"{TEMPLATES}start/", {"account": "default"}, follow=True
    ).content.decode()
    assert "公众号 default 的同步已加入任务队列" in page
