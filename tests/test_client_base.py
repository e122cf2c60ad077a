"""WeChatClient.request(): errcodes, token recovery, retries and encodings, over HTTP."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FunctionType, ModuleType
from typing import Any, ClassVar

import pytest
from django.core.cache import caches

from django_wechat.client import RetryPolicy, WeChatClient
from django_wechat.exceptions import (
    APIError,
    InvalidCredential,
    QuotaExceeded,
    TransportError,
    WeChatError,
)
from django_wechat.testing.emulator import WeChatEmulator
from tests.client_support import settle, with_account

TICKET = "cgi-bin/ticket/getticket"
STABLE = "cgi-bin/stable_token"
SECRET = "test-secret-default"


def ticket(client: WeChatClient) -> dict[str, Any]:
    result: dict[str, Any] = client.get(TICKET, params={"type": "jsapi"})
    return result


def stable_body() -> dict[str, Any]:
    return {"grant_type": "client_credential", "appid": "wx2c2769f8efd9abc2", "secret": SECRET}


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    caches["default"].clear()


@pytest.fixture
def client(wechat_emulator: WeChatEmulator) -> WeChatClient:
    return WeChatClient("default", retry=RetryPolicy(attempts=3, backoff=0.01), timeout=0.5)


def reachable(obj: object, depth: int = 0, seen: set[int] | None = None) -> Iterator[str]:
    """``repr()`` and ``str()`` of ``obj`` and of everything reachable from it: an
    exception's args, attributes (``response`` ...), cause and context; containers'
    items; objects' ``__dict__`` and slots (a requests.Response's url, request, body)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 12 or isinstance(obj, type | ModuleType | FunctionType):
        return
    seen.add(id(obj))
    for show in (repr, str):
        try:
            yield show(obj)
        except Exception as exc:  # a broken repr is no reason to stop looking
            yield f"<unprintable {type(obj).__name__}: {exc}>"
    if isinstance(obj, str | bytes | int | float | bool | None):
        if isinstance(obj, bytes):
            yield obj.decode("utf-8", "replace")
        return
    children: list[object] = []
    if isinstance(obj, BaseException):
        children += [obj.args, obj.__cause__, obj.__context__, getattr(obj, "__notes__", None)]
    if isinstance(obj, dict):
        children += [*obj.keys(), *obj.values()]
    elif isinstance(obj, list | tuple | set | frozenset):
        children += list(obj)
    children += list(getattr(obj, "__dict__", {}).values())
    for slot in getattr(type(obj), "__slots__", ()):
        children.append(getattr(obj, slot, None))
    for child in children:
        yield from reachable(child, depth + 1, seen)


def assert_no_secrets(exc: BaseException, *secrets: str) -> None:
    """Neither the AppSecret nor any of ``secrets`` is anywhere in ``exc`` or reachable
    from it (its message, args, ``response``, chained exceptions ...)."""
    text = "\n".join(reachable(exc))
    for secret in (SECRET, *secrets):
        assert secret
        assert secret not in text
    # No chained requests exception carrying the URL (and its query string) either.
    assert exc.__cause__ is None
    assert exc.__suppress_context__ or exc.__context__ is None


def test_token_invalidated_upstream_costs_one_fetch_and_one_retry(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    old = client.access_token
    wechat_emulator.invalidate_tokens(client.account.app_id)
    assert ticket(client)["ticket"]
    assert client.access_token != old
    assert wechat_emulator.count("cgi-bin/token") == 2
    assert [c.errcode for c in wechat_emulator.calls(TICKET)] == [40001, 0]


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
def test_a_token_refused_twice_is_retried_only_once(
    client: WeChatClient, wechat_emulator: WeChatEmulator, errcode: int
) -> None:
    wechat_emulator.fail("errcode", api=TICKET, errcode=errcode, times=5)
    with pytest.raises(InvalidCredential) as excinfo:
        ticket(client)
    assert excinfo.value.errcode == errcode
    assert wechat_emulator.count(TICKET) == 2
    assert wechat_emulator.count("cgi-bin/token") == 2
    assert_no_secrets(excinfo.value, client.access_token)


def test_system_busy_is_retried_then_succeeds(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    wechat_emulator.fail("errcode", api=TICKET, errcode=-1, times=2)
    assert ticket(client)["ticket"]
    assert [c.errcode for c in wechat_emulator.calls(TICKET)] == [-1, -1, 0]


def test_system_busy_retries_are_bounded(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    wechat_emulator.fail("errcode", api=TICKET, errcode=-1, times=10)
    with pytest.raises(APIError) as excinfo:
        ticket(client)
    assert excinfo.value.errcode == -1
    assert wechat_emulator.count(TICKET) == 3


@pytest.mark.parametrize("errcode", [45009, 45011])
def test_quota_errors_are_not_retried(
    client: WeChatClient, wechat_emulator: WeChatEmulator, errcode: int
) -> None:
    wechat_emulator.fail("errcode", api=TICKET, errcode=errcode, times=5)
    with pytest.raises(QuotaExceeded) as excinfo:
        ticket(client)
    assert excinfo.value.errcode == errcode
    assert wechat_emulator.count(TICKET) == 1


def test_other_errcodes_raise_api_error_naming_the_api_without_secrets(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    token = client.access_token
    with pytest.raises(APIError) as excinfo:
        client.get(TICKET, params={"type": "no-such-type"})
    exc = excinfo.value
    assert (exc.errcode, exc.api) == (40097, TICKET)
    assert exc.errmsg
    assert "40097" in str(exc)
    assert TICKET in str(exc)
    assert_no_secrets(exc, token)


def test_a_post_is_not_sent_again_after_a_read_timeout(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    wechat_emulator.fail("delay", api=STABLE, delay=1.0)
    with pytest.raises(TransportError, match=r"no answer within 0\.5 s") as excinfo:
        client.post(STABLE, json=stable_body(), with_token=False)
    assert_no_secrets(excinfo.value)
    settle(wechat_emulator, STABLE)
    assert wechat_emulator.count(STABLE) == 1


def test_a_get_is_retried_after_a_read_timeout(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    client.access_token  # noqa: B018
    wechat_emulator.fail("delay", api=TICKET, delay=1.0)
    assert ticket(client)["ticket"]


def test_a_dropped_post_is_not_sent_again(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    wechat_emulator.fail("drop", api=STABLE)
    with pytest.raises(TransportError, match="connection was lost"):
        client.post(STABLE, json=stable_body(), with_token=False)
    assert wechat_emulator.count(STABLE) == 1


def test_a_dropped_get_is_retried(client: WeChatClient, wechat_emulator: WeChatEmulator) -> None:
    client.access_token  # noqa: B018
    wechat_emulator.fail("drop", api=TICKET)
    assert ticket(client)["ticket"]
    assert wechat_emulator.count(TICKET) == 2


def test_http_5xx_retried_for_get_not_for_post(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    client.access_token  # noqa: B018
    wechat_emulator.fail("http502", api=TICKET)
    assert ticket(client)["ticket"]
    wechat_emulator.fail("http500", api=STABLE)
    with pytest.raises(TransportError, match="HTTP 500"):
        client.post(STABLE, json=stable_body(), with_token=False)
    assert wechat_emulator.count(STABLE) == 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_refused_connections_are_retried_then_raise_without_the_secret() -> None:
    client = WeChatClient(
        "default",
        api_base_url=f"http://127.0.0.1:{closed_port()}",
        retry=RetryPolicy(attempts=3, backoff=0.01),
    )
    started = time.monotonic()
    with pytest.raises(TransportError, match="could not connect") as excinfo:
        client.access_token  # noqa: B018
    assert time.monotonic() - started < 5
    assert excinfo.value.api == "cgi-bin/token"
    assert_no_secrets(excinfo.value)
    assert isinstance(excinfo.value, WeChatError)


def test_a_post_that_never_connected_is_retried(wechat_emulator: WeChatEmulator) -> None:
    port = closed_port()
    client = WeChatClient(
        "default",
        api_base_url=f"http://127.0.0.1:{port}",
        retry=RetryPolicy(attempts=4, backoff=0.3),
    )

    # Start a server on the closed port while the client is backing off.
    def later() -> None:
        time.sleep(0.15)
        server = ThreadingHTTPServer(("127.0.0.1", port), _Fixed)
        servers.append(server)
        server.serve_forever()

    servers: list[ThreadingHTTPServer] = []
    _Fixed.answer = json.dumps({"access_token": "late", "expires_in": 7200}).encode()
    threading.Thread(target=later, daemon=True).start()
    try:
        assert client.post(STABLE, json=stable_body(), with_token=False)["access_token"] == "late"
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


class _Fixed(BaseHTTPRequestHandler):
    """Answers every request with ``answer``, labelled ``content_type``, like WeChat does."""

    answer = b""
    content_type = "text/plain"
    bodies: ClassVar[list[bytes]] = []

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        type(self).bodies.append(self.rfile.read(length))
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.answer)))
        self.end_headers()
        self.wfile.write(self.answer)

    do_GET = do_POST = _reply

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fixed_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fixed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Fixed.bodies = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_answers_are_decoded_as_utf8_whatever_the_content_type_says(fixed_server: str) -> None:
    # WeChat labels its JSON text/plain without a charset; requests would guess Latin-1.
    _Fixed.answer = json.dumps(
        {"errcode": 0, "errmsg": "ok", "nickname": "张三"}, ensure_ascii=False
    ).encode("utf-8")
    client = WeChatClient("default", api_base_url=fixed_server)
    assert client.get("sns/userinfo", with_token=False)["nickname"] == "张三"
    _Fixed.answer = json.dumps({"errcode": 40003, "errmsg": "不合法的 OpenID"}).encode()
    with pytest.raises(APIError) as excinfo:
        client.get("sns/userinfo", with_token=False)
    assert excinfo.value.errmsg == "不合法的 OpenID"


def test_chinese_is_sent_unescaped_in_utf8(fixed_server: str) -> None:
    _Fixed.answer = b'{"errcode":0,"errmsg":"ok"}'
    client = WeChatClient("default", api_base_url=fixed_server)
    client.post("cgi-bin/menu/create", json={"button": [{"name": "菜单"}]}, with_token=False)
    (body,) = _Fixed.bodies
    assert "菜单".encode() in body
    assert b"\\u" not in body


def test_an_answer_that_is_not_json_is_a_transport_error(fixed_server: str) -> None:
    _Fixed.answer = b"<html>gateway</html>"
    client = WeChatClient("default", api_base_url=fixed_server)
    with pytest.raises(TransportError, match="not JSON"):
        client.get("cgi-bin/menu/get", with_token=False)


def test_repr_has_no_secret(wechat_emulator: WeChatEmulator) -> None:
    client = WeChatClient("default")
    token = client.access_token
    assert SECRET not in repr(client)
    assert token not in repr(client)
    assert SECRET not in repr(client.account)


def test_an_unknown_api_says_so(client: WeChatClient) -> None:
    with pytest.raises(TransportError, match=r"HTTP 404 .*no API 'cgi-bin/no/such/api'"):
        client.get("cgi-bin/no/such/api")


# --- calls that must not be sent twice ---------------------------------------------

FOLLOWER = "o-demo-follower-1"
SESSION = "sns/jscode2session"


@pytest.mark.parametrize("delay", [0, 0.8], ids=["connection-lost", "read-timeout"])
def test_a_mini_program_code_exchange_whose_answer_is_lost_is_not_sent_again(
    client: WeChatClient, wechat_emulator: WeChatEmulator, delay: float
) -> None:
    code = wechat_emulator.js_code(FOLLOWER)
    wechat_emulator.fail("lost_answer", api=SESSION, delay=delay)
    with pytest.raises(TransportError, match="not sent again") as excinfo:
        client.miniprogram.code_to_session(code)
    assert "wx.login()" in str(excinfo.value)
    assert_no_secrets(excinfo.value, code)
    settle(wechat_emulator, SESSION)
    # WeChat did exchange the code: a retry would only have got 40163 "code been used".
    assert [(c.fault, c.errcode) for c in wechat_emulator.calls(SESSION)] == [("lost_answer", 0)]


def test_an_oauth_code_exchange_is_not_sent_again_after_a_gateway_error(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    wechat_emulator.fail("http502", api="sns/oauth2/access_token")
    with pytest.raises(TransportError, match=r"HTTP 502.*not sent again") as excinfo:
        client.oauth.fetch_access_token("any-code")
    assert "authorization again" in str(excinfo.value)
    assert wechat_emulator.count("sns/oauth2/access_token") == 1


def test_a_token_fetch_whose_answer_is_lost_is_not_sent_again(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    wechat_emulator.fail("lost_answer", api="cgi-bin/token")
    with pytest.raises(TransportError, match="not sent again") as excinfo:
        client.access_token  # noqa: B018
    assert "void the first" in str(excinfo.value)
    assert_no_secrets(excinfo.value)
    assert wechat_emulator.count("cgi-bin/token") == 1
    assert client.access_token  # the next caller fetches again


def test_an_idempotent_get_whose_answer_is_lost_is_retried(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    client.access_token  # noqa: B018
    wechat_emulator.fail("lost_answer", api=TICKET)
    assert ticket(client)["ticket"]
    assert [c.fault for c in wechat_emulator.calls(TICKET)] == ["lost_answer", None]
    # ... unless the caller says it is not.
    wechat_emulator.fail("lost_answer", api=TICKET)
    with pytest.raises(TransportError, match="not sent again"):
        client.get(TICKET, params={"type": "jsapi"}, idempotent=False)
    assert wechat_emulator.count(TICKET) == 3


def test_a_stable_token_fetch_is_safe_to_repeat(
    wechat_emulator: WeChatEmulator, settings: Any
) -> None:
    # Without force_refresh, stable_token hands out the same token again.
    with_account(settings, TOKEN_SOURCE="stable_token")
    client = WeChatClient("default", retry=RetryPolicy(attempts=3, backoff=0.01), timeout=0.5)
    wechat_emulator.fail("lost_answer", api=STABLE)
    assert client.access_token
    assert [c.fault for c in wechat_emulator.calls(STABLE)] == ["lost_answer", None]


def test_a_code_exchange_that_never_connected_says_only_that(
    wechat_emulator: WeChatEmulator,
) -> None:
    port = closed_port()
    client = WeChatClient(
        "default", api_base_url=f"http://127.0.0.1:{port}", retry=RetryPolicy(attempts=2)
    )
    with pytest.raises(TransportError, match="could not connect") as excinfo:
        client.miniprogram.code_to_session("any-code")
    assert "not sent again" not in str(excinfo.value)


# --- what an APIError keeps of the answer ------------------------------------------


def test_a_stable_token_error_keeps_no_request_body(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    wechat_emulator.fail("errcode", api=STABLE, errcode=40013)
    with pytest.raises(APIError) as excinfo:
        client.post(STABLE, json=stable_body(), with_token=False)
    response = excinfo.value.response
    assert response is not None
    assert (response.status_code, response.json()["errcode"]) == (200, 40013)
    assert_no_secrets(excinfo.value)


def test_a_follower_token_error_keeps_no_url(
    client: WeChatClient, wechat_emulator: WeChatEmulator
) -> None:
    follower_token = "follower-token-" + "x" * 20
    with pytest.raises(APIError) as excinfo:
        client.oauth.get_user_info(FOLLOWER, follower_token)
    assert excinfo.value.response is not None
    assert excinfo.value.response.json()["errcode"] == excinfo.value.errcode
    assert_no_secrets(excinfo.value, follower_token)


def test_secrets_in_an_error_answer_are_redacted(fixed_server: str) -> None:
    _Fixed.answer = b'{"errcode":40001,"errmsg":"bad","access_token":"leaked-token-123"}'
    client = WeChatClient("default", api_base_url=fixed_server)
    with pytest.raises(APIError) as excinfo:
        client.get("sns/auth", with_token=False)
    assert excinfo.value.response is not None
    assert excinfo.value.response.json()["access_token"] == "********"
    assert_no_secrets(excinfo.value, "leaked-token-123")
