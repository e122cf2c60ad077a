"""The emulator pushing to a callback URL as WeChat does, against a small hand-written
callback server on loopback (the real CallbackView lives on another branch)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from django_wechat import xml as wxml
from django_wechat.conf import get_account
from django_wechat.crypto import WeChatCrypto, check_signature
from django_wechat.testing.emulator import WeChatEmulator

from .emulator_support import control, fetch_token, post

# (query, body) -> (status, reply body, seconds to wait before answering)
Behaviour = Callable[[dict[str, str], bytes], tuple[int, str, float]]


@dataclass
class Callback:
    """A loopback HTTP server standing in for a site's callback URL."""

    url: str = ""
    behaviour: Behaviour | None = None
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def callback() -> Iterator[Callback]:
    state = Callback()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = dict(parse_qsl(urlsplit(self.path).query))
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((query, body))
            assert state.behaviour is not None
            status, reply, delay = state.behaviour(query, body)
            time.sleep(delay)
            data = reply.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the emulator gave up waiting

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/wechat/callback/"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def echo_server(account_name: str, *, encrypt_reply: bool | None = None) -> Behaviour:
    """A correct WeChat callback: verify, decrypt, answer a text reply echoing Content."""
    account = get_account(account_name)

    def behave(query: dict[str, str], body: bytes) -> tuple[int, str, float]:
        check_signature(account.token, query["signature"], query["timestamp"], query["nonce"])
        if query.get("encrypt_type") == "aes":
            crypto = WeChatCrypto.from_account(account)
            message = wxml.parse(
                crypto.decrypt_message(
                    body, query["msg_signature"], query["timestamp"], query["nonce"]
                )
            )
        else:
            message = wxml.parse(body)
        reply = wxml.render(
            {
                "ToUserName": message["FromUserName"],
                "FromUserName": message["ToUserName"],
                "CreateTime": int(time.time()),
                "MsgType": "text",
                "Content": f"收到：{message.get('Content', message.get('Event'))}",
            }
        )
        encrypt = query.get("encrypt_type") == "aes" if encrypt_reply is None else encrypt_reply
        if encrypt:
            reply = WeChatCrypto.from_account(account).encrypt_message(reply, query["nonce"])
        return 200, reply, 0

    return behave


def test_safe_mode_push(wechat_emulator: WeChatEmulator, callback: Callback) -> None:
    callback.behaviour = echo_server("default")
    result = wechat_emulator.push_text(callback.url, "你好", timeout=2)
    assert result.ok, result.error
    assert result.encrypted
    assert result.content == "收到：你好"
    assert result.attempts == 1
    [(query, body)] = callback.received
    assert query["encrypt_type"] == "aes"
    assert query["openid"] == "o-demo-follower-1"
    # Safe mode: nothing but ToUserName and Encrypt in the body.
    assert set(wxml.parse(body)) == {"ToUserName", "Encrypt"}
    assert b"\xe4\xbd\xa0\xe5\xa5\xbd" not in body  # no plaintext "你好"
    assert wechat_emulator.pushes == [result]


def test_compatible_mode_push_with_a_plain_reply(
    wechat_emulator: WeChatEmulator, callback: Callback
) -> None:
    callback.behaviour = echo_server("compatible", encrypt_reply=False)
    result = wechat_emulator.push_text(callback.url, "hello", account="compatible", timeout=2)
    assert result.ok, result.error
    assert not result.encrypted
    assert result.content == "收到：hello"
    fields = wxml.parse(callback.received[0][1])
    assert fields["Content"] == "hello"
    assert "Encrypt" in fields


def test_plain_mode_push_of_an_event(wechat_emulator: WeChatEmulator, callback: Callback) -> None:
    callback.behaviour = echo_server("plain")
    result = wechat_emulator.push_event(
        callback.url, "CLICK", key="V1001", account="plain", timeout=2
    )
    assert result.ok, result.error
    query, body = callback.received[0]
    assert "encrypt_type" not in query
    fields = wxml.parse(body)
    assert fields["Event"] == "CLICK"
    assert fields["EventKey"] == "V1001"
    assert "MsgId" not in fields
    assert result.content == "收到：CLICK"


@pytest.mark.parametrize("answer", ["success", ""])
def test_success_or_empty_is_no_reply(
    wechat_emulator: WeChatEmulator, callback: Callback, answer: str
) -> None:
    callback.behaviour = lambda q, b: (200, answer, 0)
    result = wechat_emulator.push_text(callback.url, "hi", timeout=2)
    assert result.ok
    assert result.reply is None


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        (lambda q, b: (200, "<xml><Content>unclosed", 0), "not valid XML"),
        (lambda q, b: (200, '{"json": "no"}', 0), "not valid XML"),
        (lambda q, b: (500, "oops", 0), "HTTP 500"),
        (echo_server("default", encrypt_reply=False), "safe mode needs an encrypted reply"),
    ],
)
def test_bad_replies(
    wechat_emulator: WeChatEmulator, callback: Callback, behaviour: Behaviour, error: str
) -> None:
    callback.behaviour = behaviour
    result = wechat_emulator.push_text(callback.url, "hi", timeout=2)
    assert not result.ok
    assert result.error is not None
    assert error in result.error


def test_reply_with_a_bad_signature(wechat_emulator: WeChatEmulator, callback: Callback) -> None:
    good = echo_server("default")

    def tamper(query: dict[str, str], body: bytes) -> tuple[int, str, float]:
        status, reply, delay = good(query, body)
        fields = wxml.parse(reply)
        fields["MsgSignature"] = "0" * 40
        return status, wxml.render(fields), delay

    callback.behaviour = tamper
    result = wechat_emulator.push_text(callback.url, "hi", timeout=2)
    assert result.error is not None
    assert "does not verify" in result.error


def test_reply_for_another_appid(wechat_emulator: WeChatEmulator, callback: Callback) -> None:
    account = get_account()
    stranger = WeChatCrypto(account.token, account.encoding_aes_key, "wx0000000000000999")

    def behave(query: dict[str, str], body: bytes) -> tuple[int, str, float]:
        reply = wxml.render(
            {
                "ToUserName": "o-demo-follower-1",
                "FromUserName": "x",
                "CreateTime": 1,
                "MsgType": "text",
                "Content": "hi",
            }
        )
        return 200, stranger.encrypt_message(reply, query["nonce"]), 0

    callback.behaviour = behave
    result = wechat_emulator.push_text(callback.url, "hi", timeout=2)
    assert result.error is not None
    assert "wx0000000000000999" in result.error


def test_reply_to_the_wrong_user(wechat_emulator: WeChatEmulator, callback: Callback) -> None:
    callback.behaviour = lambda q, b: (
        200,
        wxml.render(
            {
                "ToUserName": "o-someone-else",
                "FromUserName": "gh_x",
                "CreateTime": 1,
                "MsgType": "text",
                "Content": "hi",
            }
        ),
        0,
    )
    result = wechat_emulator.push_text(callback.url, "hi", account="plain", timeout=2)
    assert result.error is not None
    assert "ToUserName" in result.error
    assert "FromUserName" in result.error


def test_slow_answers_are_retried(wechat_emulator: WeChatEmulator, callback: Callback) -> None:
    good = echo_server("default")

    def slow_twice(query: dict[str, str], body: bytes) -> tuple[int, str, float]:
        status, reply, _ = good(query, body)
        return status, reply, 0.4 if len(callback.received) <= 2 else 0

    callback.behaviour = slow_twice
    result = wechat_emulator.push_text(callback.url, "慢", timeout=0.2)
    assert result.ok, result.error
    assert result.attempts == 3
    assert len(callback.received) == 3
    # Every delivery is the same message: the callback dedups on MsgId.
    assert len({body for _, body in callback.received}) == 1


def test_too_slow_three_times_fails(wechat_emulator: WeChatEmulator, callback: Callback) -> None:
    callback.behaviour = lambda q, b: (200, "success", 0.4)
    result = wechat_emulator.push_text(callback.url, "慢", timeout=0.2)
    assert not result.ok
    assert result.error == "no answer within 0.2 s"
    assert result.attempts == 3
    assert result.status is None


def test_unreachable_callback(wechat_emulator: WeChatEmulator) -> None:
    with WeChatEmulator() as other:
        url = other.url + "/x"
    result = wechat_emulator.push_text(url, "hi", timeout=0.5, attempts=2)
    assert result.attempts == 2
    assert result.error is not None
    assert "connection failed" in result.error


def test_a_pushed_message_opens_the_service_window(
    wechat_emulator: WeChatEmulator, callback: Callback
) -> None:
    callback.behaviour = lambda q, b: (200, "success", 0)
    wechat_emulator.clock.advance(49 * 3600)
    token = fetch_token(wechat_emulator)
    send = {"touser": "o-demo-follower-2", "msgtype": "text", "text": {"content": "hi"}}
    assert post(wechat_emulator, "cgi-bin/message/custom/send", token, send)["errcode"] == 45015
    wechat_emulator.push_text(callback.url, "在吗", openid="o-demo-follower-2", timeout=2)
    assert post(wechat_emulator, "cgi-bin/message/custom/send", token, send)["errcode"] == 0


def test_unsubscribe_event_ends_template_messages(
    wechat_emulator: WeChatEmulator, callback: Callback
) -> None:
    callback.behaviour = lambda q, b: (200, "success", 0)
    wechat_emulator.push_event(callback.url, "unsubscribe", openid="o-demo-follower-3", timeout=2)
    assert wechat_emulator.state().followers["o-demo-follower-3"].subscribe == 0


def test_push_over_the_control_endpoint(
    wechat_emulator: WeChatEmulator, callback: Callback
) -> None:
    callback.behaviour = echo_server("default")
    answer = control(
        wechat_emulator,
        "push",
        {"url": callback.url, "message": {"MsgType": "text", "Content": "遥控"}, "timeout": 2},
    ).json()
    assert answer["ok"] is True
    assert answer["reply"]["Content"] == "收到：遥控"


@pytest.mark.parametrize(
    "url",
    [
        "http://203.0.113.7/wechat/callback/",  # TEST-NET-3: never contacted
        "https://shop.example.com/wechat/callback/",
        "http://10.0.0.1:8000/wechat/",
        "http://0.0.0.0:8000/wechat/",  # reaches local services on Linux, so refused too
        "http://127.0.0.1.evil.example.net/",
        "ftp://127.0.0.1/",
        "/wechat/callback/",
        # urlsplit reads host 127.0.0.1; urllib3 and browsers connect to evil.example.
        "http://evil.example\\@127.0.0.1/wechat/",
        "http://user@127.0.0.1/wechat/",
        "http://127.0.0.1/wechat/\u4e2d",
    ],
)
def test_pushes_only_to_loopback(wechat_emulator: WeChatEmulator, url: str) -> None:
    with pytest.raises(ValueError, match="Cannot push to"):
        wechat_emulator.push_text(url, "伪造", timeout=0.5, attempts=1)
    assert wechat_emulator.pushes == []
    # Over the control API: a 400, nothing sent.
    answer = control(wechat_emulator, "push", {"url": url, "message": {"Content": "伪造"}})
    assert answer.status_code == 400
    assert "Cannot push to" in answer.json()["error"]
    assert wechat_emulator.pushes == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_hosts_are_pushed_to(
    wechat_emulator: WeChatEmulator, callback: Callback, host: str
) -> None:
    callback.behaviour = echo_server("default")
    url = callback.url.replace("127.0.0.1", host)
    result = wechat_emulator.push_text(url, "本机", timeout=2)
    assert result.ok, result.error
    assert result.content == "收到：本机"


@pytest.mark.parametrize("host", ["127.8.9.10", "[::1]"])
def test_all_of_loopback_is_allowed(wechat_emulator: WeChatEmulator, host: str) -> None:
    # Nothing listens there: the push is made (and fails), not refused.
    result = wechat_emulator.push_text(f"http://{host}:9/wechat/", "本机", timeout=1, attempts=1)
    assert result.attempts == 1
    assert result.error is not None
    assert result.error.startswith(("connection failed", "no answer"))


def test_allow_remote_push_lifts_the_restriction(callback: Callback) -> None:
    # 0.0.0.0 is not a loopback address, yet on Linux a connection to it reaches the
    # loopback server: a stand-in for a remote host that needs no network.
    callback.behaviour = echo_server("default")
    url = callback.url.replace("127.0.0.1", "0.0.0.0")  # noqa: S104
    with WeChatEmulator() as emulator, pytest.raises(ValueError):
        emulator.push_text(url, "远程", timeout=2)
    with WeChatEmulator(allow_remote_push=True) as emulator:
        result = emulator.push_text(url, "远程", timeout=2)
    assert result.ok, result.error
    assert result.content == "收到：远程"


def test_pushes_ignore_proxies_from_the_environment(
    wechat_emulator: WeChatEmulator, callback: Callback, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Through a proxy, "127.0.0.1" would be the proxy's own loopback.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    callback.behaviour = echo_server("default")
    result = wechat_emulator.push_text(callback.url, "直连", timeout=2)
    assert result.ok, result.error
    assert result.content == "收到：直连"
