"""Play a mini program against the demo: ``wx.login()`` → our login → an authenticated call.

With ``make demo`` running (the site on :8000, the emulator on :8001)::

    python play_miniprogram.py --control-token <the token wechat_emulator printed>

1. asks the emulator for a ``wx.login()`` code (what WeChat gives the mini program);
2. ``POST``\\ s it to ``/wechat/oauth/miniprogram/login/mini/`` and gets a session;
3. calls ``/api/me/`` with the session as the ``X-WeChat-Session`` header, then as the
   ``Cookie`` (a mini program's ``wx.request`` may send either; it keeps no cookies itself).

Needs only ``requests``; prints each step and exits non-zero when one fails.
"""

from __future__ import annotations

import argparse
import json
import sys

import requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="http://127.0.0.1:8000")
    parser.add_argument("--emulator", default="http://127.0.0.1:8001")
    parser.add_argument("--control-token", required=True)
    parser.add_argument("--app-id", default="wxd0000000000000c1", help="the mini program's")
    parser.add_argument("--account", default="mini", help="its name in settings.WECHAT")
    parser.add_argument("--openid", default="o-mp-follower-1")
    args = parser.parse_args(argv)

    # 1. wx.login(): WeChat (the emulator) gives the mini program a code.
    answer = requests.post(
        f"{args.emulator}/_emulator/js_code",
        json={"openid": args.openid, "app_id": args.app_id},
        headers={"X-Emulator-Token": args.control_token},
        timeout=10,
    )
    answer.raise_for_status()
    code = answer.json()["js_code"]
    print("wx.login() code: (received, single use)")

    # 2. The mini program sends it to the site, which logs the user in.
    login = requests.post(
        f"{args.site}/wechat/oauth/miniprogram/login/{args.account}/",
        json={"code": code},
        timeout=10,
    )
    body = login.json()
    print(
        "login:", login.status_code, json.dumps({k: v for k, v in body.items() if k != "session"})
    )
    if not body.get("ok"):
        return 1
    session = body["session"]

    # 3. Authenticated calls: the session as a header, then as a cookie.
    failed = False
    for how, headers in (
        ("header", {session["header"]: session["value"]}),
        ("cookie", {"Cookie": f"{session['cookie']}={session['value']}"}),
    ):
        me = requests.get(f"{args.site}/api/me/", headers=headers, timeout=10)
        print(f"/api/me/ with the session as a {how}:", me.status_code, me.text)
        failed = failed or me.status_code != 200
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
