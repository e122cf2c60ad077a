"""The demo's defaults (issue 16): English unless asked for Chinese, and one cache, in the
demo's SQLite, shared by the server and every manage.py process."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from django_wechat.conf import get_account
from django_wechat.testing.emulator import WeChatEmulator
from tests.demo_support import emulator_env, manage, runserver

ENGLISH = "This site runs django_wechat against a local WeChat emulator."
CHINESE = "本站点运行 django_wechat，连接本地的微信模拟器。"


@pytest.fixture(scope="module")
def emulator() -> Iterator[WeChatEmulator]:
    with WeChatEmulator([get_account()]) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, emulator: WeChatEmulator) -> dict[str, str]:
    """The demo's environment as `make demo` prepares it, against the test's emulator."""
    db = tmp_path_factory.mktemp("demo-defaults") / "db.sqlite3"
    env = emulator_env(db, emulator.url, get_account())
    env.pop("DJANGO_LANGUAGE_CODE", None)
    manage("migrate", "--noinput", env=env)
    manage("createcachetable", env=env)
    return env


@pytest.mark.slow
def test_the_demo_speaks_english_and_switches_to_chinese_in_one_click(env: dict[str, str]) -> None:
    with runserver(env) as site, requests.Session() as browser:
        home = browser.get(site + "/", timeout=5)
        assert ENGLISH in home.text
        assert '<html lang="en">' in home.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home.text)
        assert token is not None
        switched = browser.post(
            site + "/i18n/setlang/",
            data={"language": "zh-hans", "next": "/", "csrfmiddlewaretoken": token[1]},
            headers={"Referer": site + "/"},
            timeout=5,
        )
        assert switched.status_code == 200
        assert CHINESE in switched.text
        assert browser.get(site + "/", timeout=5).text.count(CHINESE) == 1


@pytest.mark.slow
def test_a_second_process_sees_the_servers_token(
    env: dict[str, str], emulator: WeChatEmulator
) -> None:
    emulator.reset()
    first = manage("wechat_token", env=env).stdout
    second = manage("wechat_token", env=env).stdout
    start = re.search(r"access_token of default \(\w+\): (\S+)…", first)
    assert start is not None, first
    assert start[1] in second
    # One fetch: the second process found the first one's token in the shared cache.
    assert emulator.count("cgi-bin/token") == 1
    # And a refresh in one process is what the next process sees.
    refreshed = manage("wechat_token", "--refresh", env=env).stdout
    assert manage("wechat_token", env=env).stdout.split("…")[0] == refreshed.split("…")[0]
    assert emulator.count("cgi-bin/token") == 2
