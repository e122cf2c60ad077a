"""Simplified Chinese translations of django_wechat's messages, applied to the .po file.

Run ``python scripts/zh_hans.py`` after ``django-admin makemessages -l zh_Hans`` (inside
django_wechat/); it fills every msgid listed here and compiles the catalogue. Needs polib
(a development tool only).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "django_wechat/locale/zh_Hans/LC_MESSAGES/django.po"

ZH_HANS = {
    "WeChat": "微信",
    "The WECHAT setting is missing.": "缺少 WECHAT 设置。",
    "Add to settings.py:\n%(example)s": "在 settings.py 中添加：\n%(example)s",
    "WECHAT must be a dict, not %(type)s.": "WECHAT 必须是 dict，而不是 %(type)s。",
    "Set it like this:\n%(example)s": "请这样设置：\n%(example)s",
    "WECHAT['ACCOUNTS'] must be a non-empty dict of accounts.": (
        "WECHAT['ACCOUNTS'] 必须是非空的公众号字典。"
    ),
    "Add at least one account:\n%(example)s": "请至少添加一个公众号：\n%(example)s",
    "%(where)s must be a dict, not %(type)s.": "%(where)s 必须是 dict，而不是 %(type)s。",
    "Give the account APP_ID, APP_SECRET and TOKEN:\n%(example)s": (
        "请为该公众号设置 APP_ID、APP_SECRET 和 TOKEN：\n%(example)s"
    ),
    "Accounts %(first)r and %(second)r have the same APP_ID %(app_id)r.": (
        "公众号 %(first)r 与 %(second)r 的 APP_ID 相同（%(app_id)r）。"
    ),
    "Each account is one Official Account with its own APP_ID; remove the duplicate or "
    "correct its APP_ID.": (
        "每个配置对应一个拥有独立 APP_ID 的公众号；请删除重复项或改正其 APP_ID。"
    ),
    "WECHAT['CACHE'] names the cache %(alias)r, which is not in CACHES.": (
        "WECHAT['CACHE'] 指定的缓存 %(alias)r 不在 CACHES 中。"
    ),
    "Use one of %(aliases)s, or add %(alias)r to CACHES.": (
        "请使用 %(aliases)s 之一，或在 CACHES 中添加 %(alias)r。"
    ),
    "WECHAT['CACHE'] (%(alias)r) is a local-memory cache: each process would fetch its own "
    "access_token and invalidate the others'.": (
        "WECHAT['CACHE']（%(alias)r）是本地内存缓存：每个进程都会各自获取 access_token，"
        "并使其他进程的 access_token 失效。"
    ),
    "Point WECHAT['CACHE'] at a cache every process shares, such as django-redis "
    "(pip install 'django-wechat-oa[redis]').": (
        "请将 WECHAT['CACHE'] 指向所有进程共享的缓存，例如 django-redis"
        "（pip install 'django-wechat-oa[redis]'）。"
    ),
    "Did you mean %(key)r?": "您是指 %(key)r 吗？",
    "Known keys: %(keys)s.": "可用的键：%(keys)s。",
    "%(where)s has an unknown key %(key)r; it is ignored.": (
        "%(where)s 中有未知的键 %(key)r，已忽略。"
    ),
    "WECHAT[%(name)r] must be an http(s) URL, not %(value)r.": (
        "WECHAT[%(name)r] 必须是 http(s) URL，而不是 %(value)r。"
    ),
    "Leave it out for WeChat's own (%(default)s).": "删除该项即使用微信官方地址（%(default)s）。",
    "WECHAT[%(name)r] must be a positive number, not %(value)r.": (
        "WECHAT[%(name)r] 必须是正数，而不是 %(value)r。"
    ),
    "Leave it out for the default (%(default)s).": "删除该项即使用默认值（%(default)s）。",
    "%(where)s has no %(key)s.": "%(where)s 缺少 %(key)s。",
    "Copy %(key)s from the WeChat console (公众平台 → 设置与开发 → 基本配置) into "
    "%(where)s[%(key)r], preferably from an environment variable.": (
        "从微信公众平台（设置与开发 → 基本配置）复制 %(key)s 到 %(where)s[%(key)r]，"
        "建议通过环境变量读取。"
    ),
    "%(where)s['TOKEN'] must be 3 to 32 letters or digits.": (
        "%(where)s['TOKEN'] 必须由 3 到 32 位字母或数字组成。"
    ),
    "WeChat's console accepts only such tokens; set the same value in both places.": (
        "微信公众平台只接受这样的令牌；请在两处设置相同的值。"
    ),
    "%(where)s[%(key)r] must be exactly 43 letters and digits (it has %(length)s).": (
        "%(where)s[%(key)r] 必须恰好是 43 位字母和数字（当前为 %(length)s）。"
    ),
    "Copy EncodingAESKey from the WeChat console (基本配置 → 消息加解密密钥) without spaces or "
    "the trailing '='.": (
        "从微信公众平台（基本配置 → 消息加解密密钥）复制 EncodingAESKey，不要包含空格或末尾的 '='。"
    ),
    "%(where)s['ENCRYPT_MODE'] is %(mode)r; it must be one of %(modes)s.": (
        "%(where)s['ENCRYPT_MODE'] 为 %(mode)r，必须是 %(modes)s 之一。"
    ),
    "Use the mode chosen in the WeChat console: 明文 = 'plain', 兼容 = 'compatible', "
    "安全 = 'safe'.": (
        "请使用公众平台中选择的模式：明文 = 'plain'，兼容 = 'compatible'，安全 = 'safe'。"
    ),
    "%(where)s uses ENCRYPT_MODE %(mode)r but has no ENCODING_AES_KEY.": (
        "%(where)s 使用 ENCRYPT_MODE %(mode)r，但缺少 ENCODING_AES_KEY。"
    ),
    "Add the account's 43-character EncodingAESKey, or set ENCRYPT_MODE to 'plain'.": (
        "请添加该公众号 43 位的 EncodingAESKey，或将 ENCRYPT_MODE 设为 'plain'。"
    ),
    "%(where)s['TOKEN_SOURCE'] is %(source)r; it must be one of %(sources)s.": (
        "%(where)s['TOKEN_SOURCE'] 为 %(source)r，必须是 %(sources)s 之一。"
    ),
    "Use 'stable_token' to share one token with other services, else 'token'.": (
        "与其他服务共用 access_token 时请使用 'stable_token'，否则使用 'token'。"
    ),
    "%(where)s['ACCESS_TOKEN_FUNC'] must be a dotted path such as 'myapp.tokens.fetch'.": (
        "%(where)s['ACCESS_TOKEN_FUNC'] 必须是点分路径，例如 'myapp.tokens.fetch'。"
    ),
    "Name a callable that returns (access_token, expires_at).": (
        "请指定一个返回 (access_token, expires_at) 的可调用对象。"
    ),
    "%(where)s['OPTIONS'] must be a dict.": "%(where)s['OPTIONS'] 必须是 dict。",
    "Remove it or make it a dict of per-account options.": "请删除该项，或将其设为公众号选项字典。",
}


def main() -> None:
    po = polib.pofile(str(PO))
    missing = []
    for entry in po:
        if entry.msgid in ZH_HANS:
            entry.msgstr = ZH_HANS[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.msgstr:
            missing.append(entry.msgid)
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.save()
    subprocess.run(
        [sys.executable, "-m", "django", "compilemessages"], cwd=PO.parents[3], check=True
    )
    if missing:
        print(f"{len(missing)} messages still untranslated:")
        for msgid in missing:
            print("  ", repr(msgid))


if __name__ == "__main__":
    main()
