"""``manage.py wechat_emulator`` serves the configured accounts until it is stopped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from django_wechat.conf import get_account

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_command_serves_until_terminated() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "django", "wechat_emulator", "--port", "0", "--followers", "3"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert match, first
        url = match.group(0)
        account = get_account()
        answer = requests.get(
            f"{url}/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": account.app_id,
                "secret": account.app_secret,
            },
            timeout=5,
        ).json()
        assert answer["expires_in"] == 7200
        users = requests.get(
            f"{url}/cgi-bin/user/get", params={"access_token": answer["access_token"]}, timeout=5
        ).json()
        assert users["data"]["openid"] == [f"o-demo-follower-{n}" for n in (1, 2, 3)]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "WeChat emulator stopped." in out
    assert account.app_secret not in out + err
