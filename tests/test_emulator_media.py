"""Temporary media (multipart upload and get) and QR codes in the emulator."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from django_wechat.testing.emulator import WeChatEmulator

from .emulator_support import errcode, fetch_token, get, post

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def token(wechat_emulator: WeChatEmulator) -> str:
    return fetch_token(wechat_emulator)


def upload(
    emulator: WeChatEmulator, token: str, kind: str, name: str, content: bytes, field: str = "media"
) -> Any:
    response = requests.post(
        f"{emulator.url}/cgi-bin/media/upload",
        params={"access_token": token, "type": kind},
        files={field: (name, content, "image/png")},
        timeout=5,
    )
    return response.json()


def test_upload_and_get(wechat_emulator: WeChatEmulator, token: str) -> None:
    answer = upload(wechat_emulator, token, "image", "二维码.png", PNG)
    assert answer["type"] == "image"
    assert answer["created_at"] > 0
    media = requests.get(
        f"{wechat_emulator.url}/cgi-bin/media/get",
        params={"access_token": token, "media_id": answer["media_id"]},
        timeout=5,
    )
    assert media.status_code == 200
    assert media.content == PNG
    assert media.headers["Content-Type"] == "image/png"
    assert wechat_emulator.calls("cgi-bin/media/upload")[0].body == {
        "media": {"filename": "二维码.png", "size": len(PNG)}
    }


def test_thumb_answers_thumb_media_id(wechat_emulator: WeChatEmulator, token: str) -> None:
    answer = upload(wechat_emulator, token, "thumb", "t.jpg", b"\xff\xd8" + b"1" * 100)
    assert "thumb_media_id" in answer
    assert "media_id" not in answer


def test_video_get_answers_a_url(wechat_emulator: WeChatEmulator, token: str) -> None:
    video = b"\x00\x00\x00\x18ftypmp42" + b"v" * 100
    media_id = upload(wechat_emulator, token, "video", "clip.mp4", video)["media_id"]
    answer = get(wechat_emulator, "cgi-bin/media/get", token, media_id=media_id)
    assert requests.get(answer["video_url"], timeout=5).content == video


@pytest.mark.parametrize(
    ("kind", "name", "size", "field", "expected"),
    [
        ("sticker", "a.png", 10, "media", 40004),
        ("image", "a.png", 10, "file", 41005),
        ("image", "a.exe", 10, "media", 40005),
        ("voice", "a.mp3", 2 * 1024 * 1024 + 1, "media", 40006),
        ("thumb", "a.jpg", 64 * 1024 + 1, "media", 40006),
        ("thumb", "a.jpg", 64 * 1024, "media", 0),
        ("image", "a.png", 0, "media", 40006),
    ],
)
def test_upload_rules(
    wechat_emulator: WeChatEmulator,
    token: str,
    kind: str,
    name: str,
    size: int,
    field: str,
    expected: int,
) -> None:
    answer = upload(wechat_emulator, token, kind, name, b"x" * size, field=field)
    assert errcode(answer) == expected


def test_media_expires_after_three_days(wechat_emulator: WeChatEmulator, token: str) -> None:
    media_id = upload(wechat_emulator, token, "image", "a.png", PNG)["media_id"]
    wechat_emulator.clock.advance(3 * 86400)
    token = fetch_token(wechat_emulator)
    assert errcode(get(wechat_emulator, "cgi-bin/media/get", token, media_id=media_id)) == 40007


def test_media_of_another_account_is_unknown(wechat_emulator: WeChatEmulator, token: str) -> None:
    media_id = upload(wechat_emulator, token, "image", "a.png", PNG)["media_id"]
    other = fetch_token(wechat_emulator, "plain")
    assert errcode(get(wechat_emulator, "cgi-bin/media/get", other, media_id=media_id)) == 40007


QR = "cgi-bin/qrcode/create"


def showqrcode(emulator: WeChatEmulator, ticket: str) -> requests.Response:
    # requests URL-encodes the ticket's '+', '/' and '='; a client must too.
    return requests.get(f"{emulator.url}/cgi-bin/showqrcode", params={"ticket": ticket}, timeout=5)


@pytest.mark.parametrize(
    ("body", "temporary"),
    [
        (
            {
                "expire_seconds": 604800,
                "action_name": "QR_SCENE",
                "action_info": {"scene": {"scene_id": 123}},
            },
            True,
        ),
        (
            {
                "expire_seconds": 2592000,
                "action_name": "QR_STR_SCENE",
                "action_info": {"scene": {"scene_str": "活动-2024"}},
            },
            True,
        ),
        ({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100000}}}, False),
        (
            {
                "action_name": "QR_LIMIT_STR_SCENE",
                "action_info": {"scene": {"scene_str": "s" * 64}},
            },
            False,
        ),
    ],
)
def test_qrcode_actions(
    wechat_emulator: WeChatEmulator, token: str, body: dict[str, Any], temporary: bool
) -> None:
    answer = post(wechat_emulator, QR, token, body)
    assert errcode(answer) == 0
    assert answer["url"].startswith("http://weixin.qq.com/q/")
    assert ("expire_seconds" in answer) is temporary
    image = showqrcode(wechat_emulator, answer["ticket"])
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_temporary_qrcode_defaults_to_30_seconds(
    wechat_emulator: WeChatEmulator, token: str
) -> None:
    body = {"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 1}}}
    answer = post(wechat_emulator, QR, token, body)
    assert answer["expire_seconds"] == 30
    wechat_emulator.clock.advance(30)
    assert showqrcode(wechat_emulator, answer["ticket"]).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"action_name": "QR_FOREVER", "action_info": {"scene": {"scene_id": 1}}},
        {
            "action_name": "QR_SCENE",
            "expire_seconds": 2592001,
            "action_info": {"scene": {"scene_id": 1}},
        },
        {"action_name": "QR_SCENE", "expire_seconds": 0, "action_info": {"scene": {"scene_id": 1}}},
        {
            "action_name": "QR_SCENE",
            "expire_seconds": "60",
            "action_info": {"scene": {"scene_id": 1}},
        },
        {"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100001}}},
        {"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 0}}},
        {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "s" * 65}}},
        {"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": ""}}},
        {"action_name": "QR_SCENE", "action_info": {"scene_id": 1}},
    ],
)
def test_qrcode_rules(wechat_emulator: WeChatEmulator, token: str, body: dict[str, Any]) -> None:
    assert errcode(post(wechat_emulator, QR, token, body)) == 40097


def test_showqrcode_unknown_ticket(wechat_emulator: WeChatEmulator) -> None:
    assert showqrcode(wechat_emulator, "bm90LWEtdGlja2V0").status_code == 404
