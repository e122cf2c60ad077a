"""The scheduled syncs as tasks. They wrap issue 14's follower sync and issue 13's
template sync; both tests are skipped until those modules are merged."""

from __future__ import annotations

import pytest

from django_wechat.testing.emulator import WeChatEmulator

pytestmark = pytest.mark.django_db


def test_the_follower_sync_runs_as_a_task(wechat_emulator: WeChatEmulator) -> None:
    from django_wechat.models import WeChatUser
    from django_wechat.tasks import sync_followers

    assert isinstance(sync_followers.call("default", full=True), str)
    assert wechat_emulator.count("cgi-bin/user/get") >= 1
    assert WeChatUser.objects.filter(account="default").count() == 5


def test_the_template_sync_runs_as_a_task(wechat_emulator: WeChatEmulator) -> None:
    from django_wechat.tasks import sync_templates

    assert isinstance(sync_templates.call("default"), str)
    assert wechat_emulator.count("cgi-bin/template/get_all_private_template") == 1
