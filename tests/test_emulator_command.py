"""``manage.py wechat_emulator`` serves the configured accounts until it is stopped, and
refuses to start for accounts that may be real, or beyond loopback, unless told to."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import CommandError, call_command

from django_wechat.conf import get_account

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(args: list[str], settings_module: str, pythonpath: list[Path]) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "django", "wechat_emulator", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_banner(proc: subprocess.Popen[str]) -> str:
    """The start-up lines, up to "Quit with CONTROL-C."."""
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "CONTROL-C" in line:
            break
    return "".join(lines)


def stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    return out, err


@pytest.fixture
def demo_settings(tmp_path: Path) -> tuple[str, int]:
    """A settings module like the demo's: DEBUG on, the API pointed at the emulator's port."""
    port = free_port()
    (tmp_path / "emulator_demo_settings.py").write_text(
        textwrap.dedent(
            f"""
            from tests.settings import *  # noqa: F403

            DEBUG = True
            WECHAT = {{
                **WECHAT,  # noqa: F405
                "API_BASE_URL": "http://127.0.0.1:{port}",
                "OAUTH_BASE_URL": "http://127.0.0.1:{port}",
            }}
            """
        )
    )
    return "emulator_demo_settings", port


@pytest.mark.slow
def test_command_serves_until_terminated(demo_settings: tuple[str, int], tmp_path: Path) -> None:
    module, port = demo_settings
    proc = start(["--port", str(port), "--followers", "3"], module, [ROOT, tmp_path])
    try:
        banner = read_banner(proc)
        url = f"http://127.0.0.1:{port}"
        assert banner.splitlines()[0].endswith(url), banner
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
        # Two templates of the library by default, ready for wechat_sync_templates.
        assert "message templates: 订单支付成功, 预约成功通知" in banner
        templates = requests.get(
            f"{url}/cgi-bin/template/get_all_private_template",
            params={"access_token": answer["access_token"]},
            timeout=5,
        ).json()["template_list"]
        assert [t["title"] for t in templates] == ["订单支付成功", "预约成功通知"]
        # The control token is printed, and the control API wants it.
        match = re.search(r"X-Emulator-Token header of /_emulator/ requests\): (\S+)", banner)
        assert match, banner
        token = match.group(1)
        assert f"{url}/_emulator/calls?token={token}" in banner
        assert requests.post(f"{url}/_emulator/reset", json={}, timeout=5).status_code == 403
        reset = requests.post(
            f"{url}/_emulator/reset", json={}, headers={"X-Emulator-Token": token}, timeout=5
        )
        assert reset.json() == {"ok": True}
    finally:
        out, err = stop(proc)
    assert "WeChat emulator stopped." in out
    assert "Warning" not in err
    assert account.app_secret not in out + err
    assert account.encoding_aes_key not in out + err


def refusal(**options: Any) -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("wechat_emulator", **options)
    return str(excinfo.value)


def test_refuses_more_templates_than_the_library_has() -> None:
    assert "templates must be from 0 to 3" in refusal(port=0, templates=4)


def test_refuses_accounts_when_debug_is_off() -> None:
    # tests.settings: DEBUG = False, as on a live site.
    message = refusal(port=0)
    assert "DEBUG is False" in message
    assert "--allow-real-accounts" in message


@pytest.mark.parametrize(
    ("base_url", "port"),
    [
        ("https://api.weixin.qq.com", 8001),
        ("http://127.0.0.1:8001", 8002),  # another emulator's, or another service's
        ("http://wechat-proxy.internal:8001", 8001),
        ("https://127.0.0.1", 8001),
    ],
)
def test_refuses_accounts_of_a_site_that_talks_to_another_api(
    settings: Any, base_url: str, port: int
) -> None:
    settings.DEBUG = True
    settings.WECHAT = {**settings.WECHAT, "API_BASE_URL": base_url}
    message = refusal(port=port)
    assert base_url in message
    assert "--allow-real-accounts" in message
    assert get_account().token not in message


def test_refuses_to_listen_beyond_loopback(settings: Any) -> None:
    settings.DEBUG = True
    settings.WECHAT = {**settings.WECHAT, "API_BASE_URL": "http://127.0.0.1:8001"}
    for host in ("0.0.0.0", "::", "192.0.2.10"):  # noqa: S104
        message = refusal(host=host, port=8001)
        assert host in message
        assert "--allow-remote" in message
    # Loopback needs nothing; real accounts are still refused with --allow-remote alone.
    settings.DEBUG = False
    assert "--allow-real-accounts" in refusal(host="0.0.0.0", port=8001, allow_remote=True)  # noqa: S104


@pytest.mark.slow
def test_both_overrides_start_it_with_warnings(tmp_path: Path) -> None:
    proc = start(
        ["--port", "0", "--host", "0.0.0.0", "--allow-remote", "--allow-real-accounts"],  # noqa: S104
        "tests.settings",
        [ROOT],
    )
    try:
        banner = read_banner(proc)
        port = re.search(r"http://0\.0\.0\.0:(\d+)", banner)
        assert port, banner
        answer = requests.get(f"http://127.0.0.1:{port.group(1)}/cgi-bin/token", timeout=5)
        assert answer.json()["errcode"] == 40002  # serving: no grant_type given
    finally:
        out, err = stop(proc)
    assert "beyond loopback" in err
    assert "DEBUG is False" in err
    assert get_account().app_secret not in out + err


@pytest.mark.slow
def test_oauth_domain_option(demo_settings: tuple[str, int], tmp_path: Path) -> None:
    module, port = demo_settings
    proc = start(
        ["--port", str(port), "--oauth-domain", "shop.example.com", "--oauth-domain", "localhost"],
        module,
        [ROOT, tmp_path],
    )
    try:
        read_banner(proc)

        def authorize(redirect_uri: str) -> requests.Response:
            return requests.get(
                f"http://127.0.0.1:{port}/connect/oauth2/authorize",
                params={
                    "appid": get_account().app_id,
                    "redirect_uri": redirect_uri,
                    "response_type": "code",
                    "scope": "snsapi_base",
                },
                timeout=5,
            )

        assert authorize("https://shop.example.com/cb").status_code == 200
        assert authorize("http://localhost:8000/cb").status_code == 200
        refused = authorize("http://127.0.0.1:8000/cb")
        assert refused.status_code == 400
        assert "10003" in refused.text
    finally:
        stop(proc)
