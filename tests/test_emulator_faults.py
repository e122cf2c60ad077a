"""Faults on demand (from Python and over the control endpoint), and the call log."""

from __future__ import annotations

import pytest
import requests

from django_wechat.testing.emulator import WeChatEmulator

from .emulator_support import control, control_get, errcode, fetch_token, get

TICKET = "cgi-bin/ticket/getticket"


def ticket(emulator: WeChatEmulator, token: str) -> requests.Response:
    return requests.get(
        f"{emulator.url}/{TICKET}", params={"access_token": token, "type": "jsapi"}, timeout=5
    )


def test_errcode_fault_defaults_to_system_busy(wechat_emulator: WeChatEmulator) -> None:
    token = fetch_token(wechat_emulator)
    wechat_emulator.fail("errcode", api=TICKET, times=2)
    assert ticket(wechat_emulator, token).json()["errcode"] == -1
    assert ticket(wechat_emulator, token).json()["errcode"] == -1
    assert ticket(wechat_emulator, token).json()["errcode"] == 0
    assert [c.fault for c in wechat_emulator.calls(TICKET)] == ["errcode", "errcode", None]


def test_quota_fault(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.fail("errcode", api="cgi-bin/token", errcode=45009)
    answer = requests.get(f"{wechat_emulator.url}/cgi-bin/token", timeout=5).json()
    assert answer["errcode"] == 45009
    assert "reach max api daily quota limit" in answer["errmsg"]


@pytest.mark.parametrize(("kind", "status"), [("http500", 500), ("http502", 502)])
def test_http_error_faults(wechat_emulator: WeChatEmulator, kind: str, status: int) -> None:
    token = fetch_token(wechat_emulator)
    wechat_emulator.fail(kind)
    response = ticket(wechat_emulator, token)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    assert ticket(wechat_emulator, token).status_code == 200


def test_drop_fault_closes_the_connection(wechat_emulator: WeChatEmulator) -> None:
    token = fetch_token(wechat_emulator)
    wechat_emulator.fail("drop", api=TICKET)
    with pytest.raises(requests.ConnectionError):
        ticket(wechat_emulator, token)
    assert ticket(wechat_emulator, token).json()["errcode"] == 0
    assert wechat_emulator.calls(TICKET)[0].status == 0


def test_delay_fault_outlasts_a_short_timeout(wechat_emulator: WeChatEmulator) -> None:
    token = fetch_token(wechat_emulator)
    wechat_emulator.fail("delay", api=TICKET, delay=0.5)
    with pytest.raises(requests.Timeout):
        requests.get(
            f"{wechat_emulator.url}/{TICKET}",
            params={"access_token": token, "type": "jsapi"},
            timeout=0.1,
        )
    # The delayed call is still answered (after the client gave up); the next is prompt.
    assert ticket(wechat_emulator, token).json()["errcode"] == 0


def test_fault_for_one_api_leaves_others_alone(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.fail("http500", api=TICKET)
    token = fetch_token(wechat_emulator)  # cgi-bin/token is unaffected
    assert ticket(wechat_emulator, token).status_code == 500


def test_fault_for_every_api(wechat_emulator: WeChatEmulator) -> None:
    wechat_emulator.fail("errcode", times=1)
    assert errcode(requests.get(f"{wechat_emulator.url}/cgi-bin/token", timeout=5).json()) == -1


def test_bad_fault_arguments_are_refused(wechat_emulator: WeChatEmulator) -> None:
    with pytest.raises(ValueError, match="Unknown fault"):
        wechat_emulator.fail("explode")
    with pytest.raises(ValueError, match="times"):
        wechat_emulator.fail("drop", times=0)
    with pytest.raises(ValueError, match="delay"):
        wechat_emulator.fail("delay")


def test_control_endpoint(wechat_emulator: WeChatEmulator) -> None:
    token = fetch_token(wechat_emulator)
    answer = control(wechat_emulator, "fail", {"kind": "errcode", "api": TICKET, "errcode": 45009})
    assert answer.json() == {"ok": True}
    assert ticket(wechat_emulator, token).json()["errcode"] == 45009

    control(wechat_emulator, "clock/advance", {"seconds": 7200})
    assert ticket(wechat_emulator, token).json()["errcode"] == 42001

    calls = control_get(wechat_emulator, "calls", api=TICKET).json()["calls"]
    assert [c["errcode"] for c in calls] == [45009, 42001]
    assert calls[0]["query"]["access_token"] == "********"

    bad = control(wechat_emulator, "fail", {"kind": "nope"})
    assert bad.status_code == 400
    assert "Unknown fault" in bad.json()["error"]

    assert control(wechat_emulator, "reset").json() == {"ok": True}
    assert wechat_emulator.count() == 0
    assert ticket(wechat_emulator, token).json()["errcode"] == 40001


def test_calls_and_count(wechat_emulator: WeChatEmulator) -> None:
    token = fetch_token(wechat_emulator)
    get(wechat_emulator, TICKET, token, type="jsapi")
    get(wechat_emulator, TICKET, token, type="wx_card")
    assert wechat_emulator.count("cgi-bin/token") == 1
    assert wechat_emulator.count("/cgi-bin/ticket/getticket") == 2
    assert wechat_emulator.count() == 3
    assert [c.query["type"] for c in wechat_emulator.calls(TICKET)] == ["jsapi", "wx_card"]


def test_unknown_api_is_a_404(wechat_emulator: WeChatEmulator) -> None:
    response = requests.get(f"{wechat_emulator.url}/cgi-bin/no/such/api", timeout=5)
    assert response.status_code == 404
    assert "cgi-bin/no/such/api" in response.json()["errmsg"]


def test_context_manager_stops_the_server() -> None:
    with WeChatEmulator() as emulator:
        url = emulator.url
        assert requests.get(f"{url}/cgi-bin/token", timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/cgi-bin/token", timeout=5)


def test_stop_closes_kept_alive_connections() -> None:
    with requests.Session() as session:
        with WeChatEmulator() as emulator:
            url = f"{emulator.url}/cgi-bin/token"
            assert session.get(url, timeout=5).status_code == 200
        with pytest.raises(requests.ConnectionError):
            session.get(url, timeout=5)


def test_chunked_request_body(wechat_emulator: WeChatEmulator) -> None:
    token = fetch_token(wechat_emulator)
    parts = [b'{"tag": {"name": ', '"分块"}}'.encode()]
    answer = requests.post(
        f"{wechat_emulator.url}/cgi-bin/tags/create",
        params={"access_token": token},
        data=iter(parts),
        timeout=5,
    ).json()
    assert answer["tag"]["name"] == "分块"


def test_oversized_body_is_refused(wechat_emulator: WeChatEmulator) -> None:
    response = requests.post(
        f"{wechat_emulator.url}/cgi-bin/media/upload",
        headers={"Content-Length": str(30 * 1024 * 1024)},
        data=b"",
        timeout=5,
    )
    assert response.status_code == 413


def test_control_endpoint_tokens_and_sent(wechat_emulator: WeChatEmulator) -> None:
    control(wechat_emulator, "strict_token_rotation", {"enabled": True})
    old = fetch_token(wechat_emulator)
    new = fetch_token(wechat_emulator)
    assert ticket(wechat_emulator, old).json()["errcode"] == 40001
    control(wechat_emulator, "invalidate_tokens", {"app_id": "wx2c2769f8efd9abc2"})
    assert ticket(wechat_emulator, new).json()["errcode"] == 40001

    token = fetch_token(wechat_emulator)
    message = {"touser": "o-demo-follower-2", "msgtype": "text", "text": {"content": "到货了"}}
    requests.post(
        f"{wechat_emulator.url}/cgi-bin/message/custom/send",
        params={"access_token": token},
        json=message,
        timeout=5,
    )
    sent = control_get(wechat_emulator, "sent", openid="o-demo-follower-2")
    assert sent.json()["sent"][0]["text"] == {"content": "到货了"}
    unknown = control(wechat_emulator, "nonsense")
    assert unknown.status_code == 404
