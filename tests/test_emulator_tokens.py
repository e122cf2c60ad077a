"""The emulator's credential rules, over real HTTP: appid/secret checks, expiry by the
clock, the five-minute overlap of cgi-bin/token, strict rotation, stable_token, tickets,
and the token check every API makes.
"""

from __future__ import annotations

import threading

import pytest
import requests

from django_wechat.conf import get_account
from django_wechat.testing.emulator import WeChatEmulator
from django_wechat.testing.emulator.http import ROUTES

from .emulator_support import errcode, fetch_token, get, post

TICKET = "cgi-bin/ticket/getticket"


def works(emulator: WeChatEmulator, token: str) -> int:
    """The errcode an API answers with this token (0: the token works)."""
    return errcode(get(emulator, TICKET, token, type="jsapi"))


def test_token_checks_appid_and_secret(wechat_emulator: WeChatEmulator) -> None:
    account = get_account()
    url = f"{wechat_emulator.url}/cgi-bin/token"
    grant = {"grant_type": "client_credential"}

    def ask(**params: str) -> dict[str, object]:
        return requests.get(url, params={**grant, **params}, timeout=5).json()  # type: ignore[no-any-return]

    assert errcode(ask(appid="wx-not-an-account", secret=account.app_secret)) == 40013
    wrong = ask(appid=account.app_id, secret="wrong-secret")
    assert errcode(wrong) == 40125
    assert "invalid appsecret" in str(wrong["errmsg"])
    assert errcode(ask(appid=account.app_id)) == 41004
    bad_grant = requests.get(
        url, params={"grant_type": "password", "appid": account.app_id}, timeout=5
    ).json()
    assert bad_grant["errcode"] == 40002

    good = ask(appid=account.app_id, secret=account.app_secret)
    assert "errcode" not in good
    assert good["expires_in"] == 7200
    assert len(str(good["access_token"])) > 100


TOKEN_APIS = sorted(api for api, r in ROUTES.items() if r.needs_token)


@pytest.mark.parametrize("api", TOKEN_APIS)
def test_every_api_checks_its_token(wechat_emulator: WeChatEmulator, api: str) -> None:
    method = ROUTES[api].method or "GET"

    def ask(token: str | None) -> int:
        params = {} if token is None else {"access_token": token}
        response = requests.request(
            method, f"{wechat_emulator.url}/{api}", params=params, json={}, timeout=5
        )
        return errcode(response.json())

    assert ask(None) == 41001
    assert ask("not-a-token") == 40001
    token = fetch_token(wechat_emulator)
    wechat_emulator.clock.advance(7200)
    assert ask(token) == 42001


def test_token_expires_after_7200_seconds_by_the_clock(wechat_emulator: WeChatEmulator) -> None:
    token = fetch_token(wechat_emulator)
    wechat_emulator.clock.advance(7199)
    assert works(wechat_emulator, token) == 0
    wechat_emulator.clock.advance(1)
    assert works(wechat_emulator, token) == 42001


def test_new_token_leaves_the_old_one_valid_for_five_minutes(
    wechat_emulator: WeChatEmulator,
) -> None:
    old = fetch_token(wechat_emulator)
    new = fetch_token(wechat_emulator)
    assert old != new
    assert works(wechat_emulator, old) == 0
    wechat_emulator.clock.advance(299)
    assert works(wechat_emulator, old) == 0
    wechat_emulator.clock.advance(1)
    assert works(wechat_emulator, old) == 40001
    assert works(wechat_emulator, new) == 0


def test_strict_rotation_invalidates_the_old_token_at_once(
    wechat_emulator: WeChatEmulator,
) -> None:
    wechat_emulator.strict_token_rotation = True
    old = fetch_token(wechat_emulator)
    new = fetch_token(wechat_emulator)
    assert works(wechat_emulator, old) == 40001
    assert works(wechat_emulator, new) == 0


def test_tokens_belong_to_their_account(wechat_emulator: WeChatEmulator) -> None:
    default = fetch_token(wechat_emulator, "default")
    plain = fetch_token(wechat_emulator, "plain")
    # A new token for one account does not touch another account's token.
    wechat_emulator.strict_token_rotation = True
    fetch_token(wechat_emulator, "plain")
    assert works(wechat_emulator, default) == 0
    assert works(wechat_emulator, plain) == 40001
    calls = wechat_emulator.calls(TICKET)
    assert [c.app_id for c in calls] == [get_account().app_id, None]


def test_invalidate_tokens(wechat_emulator: WeChatEmulator) -> None:
    token = fetch_token(wechat_emulator)
    other = fetch_token(wechat_emulator, "plain")
    wechat_emulator.invalidate_tokens(get_account().app_id)
    assert works(wechat_emulator, token) == 40001
    assert works(wechat_emulator, other) == 0
    assert works(wechat_emulator, fetch_token(wechat_emulator)) == 0


def stable(emulator: WeChatEmulator, force: object = False, secret: str | None = None) -> dict:  # type: ignore[type-arg]
    account = get_account()
    body = {
        "grant_type": "client_credential",
        "appid": account.app_id,
        "secret": secret or account.app_secret,
        "force_refresh": force,
    }
    return post(emulator, "cgi-bin/stable_token", None, body)  # type: ignore[no-any-return]


def test_stable_token_returns_the_current_token_unless_forced(
    wechat_emulator: WeChatEmulator,
) -> None:
    first = stable(wechat_emulator)
    wechat_emulator.clock.advance(100)
    again = stable(wechat_emulator)
    assert again["access_token"] == first["access_token"]
    assert again["expires_in"] == 7100
    forced = stable(wechat_emulator, force=True)
    assert forced["access_token"] != first["access_token"]
    assert forced["expires_in"] == 7200
    assert works(wechat_emulator, forced["access_token"]) == 0
    assert errcode(stable(wechat_emulator, secret="wrong")) == 40125
    assert errcode(stable(wechat_emulator, force="yes")) == 47001


def test_stable_token_is_independent_of_cgi_bin_token(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.strict_token_rotation = True
    token = stable(wechat_emulator)["access_token"]
    fetch_token(wechat_emulator)
    fetch_token(wechat_emulator)
    assert works(wechat_emulator, token) == 0


def test_stable_token_renews_five_minutes_before_expiry(wechat_emulator: WeChatEmulator) -> None:
    first = stable(wechat_emulator)["access_token"]
    wechat_emulator.clock.advance(7200 - 300)
    renewed = stable(wechat_emulator)
    assert renewed["access_token"] != first
    assert renewed["expires_in"] == 7200
    # The old one still works through its overlap.
    assert works(wechat_emulator, first) == 0


def test_stable_token_wants_post(wechat_emulator: WeChatEmulator) -> None:
    answer = get(wechat_emulator, "cgi-bin/stable_token", None)
    assert errcode(answer) == 43002
    empty = requests.post(f"{wechat_emulator.url}/cgi-bin/stable_token", timeout=5).json()
    assert empty["errcode"] == 44002
    garbled = requests.post(
        f"{wechat_emulator.url}/cgi-bin/stable_token", data=b"{not json", timeout=5
    ).json()
    assert garbled["errcode"] == 47001


def test_getticket_returns_the_same_ticket_until_it_expires(
    wechat_emulator: WeChatEmulator,
) -> None:
    token = fetch_token(wechat_emulator)
    first = get(wechat_emulator, TICKET, token, type="jsapi")
    assert first["errcode"] == 0
    assert first["expires_in"] == 7200
    assert get(wechat_emulator, TICKET, token, type="jsapi")["ticket"] == first["ticket"]
    card = get(wechat_emulator, TICKET, token, type="wx_card")
    assert card["ticket"] != first["ticket"]
    assert errcode(get(wechat_emulator, TICKET, token, type="bogus")) == 40097
    wechat_emulator.clock.advance(7200)
    token = fetch_token(wechat_emulator)
    assert get(wechat_emulator, TICKET, token, type="jsapi")["ticket"] != first["ticket"]


def test_token_endpoint_is_correct_under_concurrency(wechat_emulator: WeChatEmulator) -> None:
    """64 simultaneous fetches in strict mode: every one answered, exactly one survives."""
    wechat_emulator.strict_token_rotation = True
    tokens: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(64)

    def fetch() -> None:
        try:
            barrier.wait(timeout=10)
            tokens.append(fetch_token(wechat_emulator))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(tokens)) == 64
    assert wechat_emulator.count("cgi-bin/token") == 64
    assert sum(works(wechat_emulator, t) == 0 for t in tokens) == 1


def test_secrets_stay_out_of_the_call_log(wechat_emulator: WeChatEmulator) -> None:
    account = get_account()
    token = fetch_token(wechat_emulator)
    works(wechat_emulator, token)
    stable(wechat_emulator)
    logged = repr(wechat_emulator.calls())
    assert account.app_secret not in logged
    assert token not in logged
    assert "********" in logged
    assert wechat_emulator.calls("cgi-bin/stable_token")[0].body["secret"] == "********"
