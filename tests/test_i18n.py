"""Translations: the catalogues cover every message in the source, are complete and compiled,
and real pages and errors reach a Chinese-speaking user in Chinese.

The catalogue is checked against the source with Python's own parser rather than
xgettext, so a ``_()`` call hidden where xgettext does not look (inside an f-string)
shows up here as a missing message.
"""

from __future__ import annotations

import ast
import functools
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import polib
import pytest
import requests
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from django_wechat.checks import check_settings
from django_wechat.client import RetryPolicy, WeChatClient
from django_wechat.conf import get_account
from django_wechat.exceptions import TransportError
from django_wechat.testing.emulator import WeChatEmulator

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "django_wechat"
LOCALE = PACKAGE / "locale"
SCRIPT = ROOT / "scripts/zh_hans.py"
LANGUAGES = ("zh_Hans", "en")

# The names Django's makemessages passes to xgettext as keywords, by the position of the
# msgid among the call's arguments (pgettext's first argument is the context).
GETTEXT_NAMES = {
    "_": 0,
    "gettext": 0,
    "gettext_lazy": 0,
    "gettext_noop": 0,
    "ngettext": 0,
    "ngettext_lazy": 0,
    "pgettext": 1,
    "pgettext_lazy": 1,
    "npgettext": 1,
    "npgettext_lazy": 1,
}


@functools.cache
def gettext_calls() -> list[tuple[str, int, ast.expr]]:
    """Every gettext-family call in the package: (file, line, the msgid argument)."""
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in GETTEXT_NAMES and len(node.args) > GETTEXT_NAMES[name]:
                where = str(path.relative_to(PACKAGE))
                calls.append((where, node.lineno, node.args[GETTEXT_NAMES[name]]))
    return calls


def source_msgids() -> set[str]:
    return {
        arg.value
        for _where, _line, arg in gettext_calls()
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    } | template_msgids()


TRANSLATE_TAG = re.compile(r"""{%\s*translate\s+(["'])(.*?)\1\s*%}""")
# {% blocktranslate %} or {% blocktranslate with name=value ... %} (no plurals).
BLOCKTRANSLATE_TAG = re.compile(
    r"{%\s*blocktranslate(?:\s+with\s[^%]*)?\s*%}(.*?){%\s*endblocktranslate\s*%}", re.S
)


@functools.cache
def template_msgids() -> set[str]:
    """The messages of the package's templates ({% translate %}, {% blocktranslate %})."""
    msgids = set()
    for path in sorted((PACKAGE / "templates").rglob("*.html")):
        text = path.read_text("utf-8")
        msgids |= {m.group(2) for m in TRANSLATE_TAG.finditer(text)}
        msgids |= {
            re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", m.group(1))
            for m in BLOCKTRANSLATE_TAG.finditer(text)
        }
    return msgids


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES/django.po"))


def test_the_source_has_messages_to_translate() -> None:
    # Guards the extraction below: if it found nothing, every comparison would pass.
    msgids = source_msgids()
    assert len(msgids) > 100
    assert "No WeChat account %(name)r in WECHAT['ACCOUNTS']; configured: %(names)s." in msgids
    assert "Allow" in msgids  # the emulator's consent page


def test_every_gettext_call_has_a_literal_message() -> None:
    # _(f"...") or _(variable) cannot be extracted: the message would never be translated.
    hidden = [
        f"{where}:{line}"
        for where, line, arg in gettext_calls()
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    ]
    assert hidden == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_source_message_is_in_the_catalogue(language: str) -> None:
    msgids = {entry.msgid for entry in catalogue(language) if not entry.obsolete}
    missing = sorted(source_msgids() - msgids)
    assert missing == [], "run `make messages` and translate these in scripts/zh_hans.py"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_holds_nothing_the_source_lost(language: str) -> None:
    stale = sorted(
        entry.msgid for entry in catalogue(language) if entry.msgid not in source_msgids()
    )
    assert stale == [], "run `make messages`"


def test_the_chinese_catalogue_is_complete() -> None:
    po = catalogue("zh_Hans")
    assert [e.msgid for e in po if not e.msgstr.strip()] == []
    assert [e.msgid for e in po if "fuzzy" in e.flags] == []
    assert [e.msgid for e in po if e.obsolete] == []
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == "zh_Hans"
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    po_path = LOCALE / language / "LC_MESSAGES/django.po"
    po, mo = polib.pofile(str(po_path)), polib.mofile(str(po_path.with_suffix(".mo")))
    # msgfmt leaves out untranslated and fuzzy entries; Django's gettext then falls back
    # to the msgid, which is what a user sees.
    wanted = {e.msgid: e.msgstr for e in po if e.translated() and not e.obsolete}
    compiled = {e.msgid: e.msgstr for e in mo}
    assert compiled == wanted, "the .mo is stale: run `make messages`"
    for field in ("Language", "Plural-Forms", "Content-Type"):
        assert mo.metadata.get(field) == po.metadata.get(field)


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False, cwd=ROOT
    )


def test_the_translation_script_finds_nothing_to_do() -> None:
    # --check also compares each translation's placeholders with its msgid's.
    result = run_script("--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 untranslated" in result.stdout


def copy_catalogues(tmp_path: Path) -> Path:
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale)
    return locale / "zh_Hans/LC_MESSAGES/django.po"


def test_the_translation_script_fails_on_an_untranslated_message(tmp_path: Path) -> None:
    po_path = copy_catalogues(tmp_path)
    po = polib.pofile(str(po_path))
    po.append(polib.POEntry(msgid="A message nobody translated.", msgstr=""))
    po.save()
    result = run_script("--check", "--po", str(po_path))
    assert result.returncode == 1
    assert "untranslated: 'A message nobody translated.'" in result.stdout
    assert "1 untranslated" in result.stderr
    # --check writes nothing.
    assert polib.pofile(str(po_path)).find("A message nobody translated.").msgstr == ""


def test_the_translation_script_fails_on_a_stale_catalogue(tmp_path: Path) -> None:
    po_path = copy_catalogues(tmp_path)
    po = polib.pofile(str(po_path))
    entry = po.find("Allow")
    entry.msgstr = "准许"
    entry.flags.append("fuzzy")
    po.save()
    result = run_script("--check", "--po", str(po_path))
    assert result.returncode == 1
    assert "differs from ZH_HANS" in result.stdout


# --- what a user sees -----------------------------------------------------------------------


def test_a_system_check_in_chinese() -> None:
    accounts = {"default": {"APP_ID": "wx1111111111111111", "APP_SECRET": "s", "TOKEN": "a"}}
    with (
        override_settings(WECHAT={"ACCOUNTS": accounts}),
        translation.override("zh-hans"),
    ):
        messages = check_settings()
    token = [m for m in messages if "TOKEN" in m.msg and "3" in m.msg]
    assert token, [m.msg for m in messages]
    assert (
        token[0].msg == "WECHAT['ACCOUNTS']['default']['TOKEN'] 必须由 3 到 32 位字母或数字组成。"
    )
    assert token[0].hint == "微信公众平台只接受这样的令牌；请在两处设置相同的值。"


def test_a_system_check_in_english_by_default() -> None:
    accounts = {"default": {"APP_ID": "wx1111111111111111", "APP_SECRET": "s", "TOKEN": "a"}}
    with override_settings(WECHAT={"ACCOUNTS": accounts}), translation.override("en"):
        messages = check_settings()
    assert any(m.msg.endswith("must be 3 to 32 letters or digits.") for m in messages)


LOCALE_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
]


@pytest.mark.parametrize(
    ("accept_language", "reason"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "请求的签名（signature）与该公众号的令牌(Token)不匹配。"),
        ("en-US,en;q=0.9", "The request's signature does not match the account's token."),
    ],
)
def test_a_refused_callback_explains_itself_in_the_sites_language(
    accept_language: str, reason: str
) -> None:
    # A site with LocaleMiddleware answers in the language the request asks for.
    url = reverse("wechat:callback", kwargs={"account": "plain"})
    query = "?signature=0000&timestamp=1700000000&nonce=1&echostr=hello"
    with override_settings(MIDDLEWARE=LOCALE_MIDDLEWARE), translation.override("en"):
        response = Client().get(url + query, HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 403
    assert response.content.decode("utf-8") == reason


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_client_transport_error_in_chinese() -> None:
    caches["default"].clear()
    client = WeChatClient(
        "default",
        api_base_url=f"http://127.0.0.1:{closed_port()}",
        retry=RetryPolicy(attempts=1),
    )
    with translation.override("zh-hans"), pytest.raises(TransportError) as excinfo:
        client.access_token  # noqa: B018
    assert str(excinfo.value) == "WeChat API cgi-bin/token: 无法连接"


def consent_page(
    emulator: WeChatEmulator, accept_language: str, **params: str
) -> requests.Response:
    emulator.state().oauth_domains.add("shop.example.com")  # 网页授权域名
    query = {
        "appid": get_account().app_id,
        "redirect_uri": "https://shop.example.com/oauth/callback",
        "response_type": "code",
        "scope": "snsapi_userinfo",
        "state": "s1",
        **params,
    }
    return requests.get(
        f"{emulator.url}/connect/oauth2/authorize",
        params=query,
        headers={"Accept-Language": accept_language},
        allow_redirects=False,
        timeout=5,
    )


def test_the_emulators_consent_page_in_chinese(wechat_emulator: WeChatEmulator) -> None:
    page = consent_page(wechat_emulator, "zh-CN,zh;q=0.9")
    assert page.status_code == 200
    assert "<html lang='zh-hans'>" in page.text
    for text in ("微信网页授权（模拟器）", "申请获得你的公开信息（昵称、头像）。", "允许", "拒绝"):
        assert text in page.text
    assert "Allow" not in page.text


def test_the_emulators_consent_page_in_english(wechat_emulator: WeChatEmulator) -> None:
    page = consent_page(wechat_emulator, "en-US,en;q=0.9")
    assert page.status_code == 200
    assert "<html lang='en'>" in page.text
    assert "WeChat authorization (emulator)" in page.text
    assert ">Allow</button>" in page.text


def test_the_emulators_error_page_in_chinese(wechat_emulator: WeChatEmulator) -> None:
    page = consent_page(wechat_emulator, "zh-CN", scope="snsapi_login")
    assert page.status_code == 400
    assert "<title>错误</title>" in page.text
    assert "10005 该公众号没有 scope snsapi_login 的权限。" in page.text
