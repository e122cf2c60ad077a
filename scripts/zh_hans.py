"""Simplified Chinese translations of django_wechat's messages, and the tool that applies them.

The translations live here, in :data:`ZH_HANS`, so that a regenerated catalogue never
loses them. After ``django-admin makemessages -l zh_Hans -l en`` (inside django_wechat/;
``make messages`` does both steps)::

    python scripts/zh_hans.py          # fill django.po from ZH_HANS, compile the .mo files
    python scripts/zh_hans.py --check  # write nothing; exit 1 if anything needs doing

Both report every msgid that has no translation here, every translation whose
placeholders differ from its msgid's, and translations here that no msgid uses any
more; both exit non-zero while a msgid is untranslated. Compiling needs GNU gettext's
``msgfmt`` (as ``compilemessages`` does); the script itself needs polib, a development
tool only.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "django_wechat/locale"
PO = LOCALE / "zh_Hans/LC_MESSAGES/django.po"

ZH_HANS = {
    # --- checks.py: system checks ---------------------------------------------------------------
    "WeChat": "微信",
    "django_wechat's system checks are not registered: add 'django_wechat' to INSTALLED_APPS.": (
        "django_wechat 的系统检查未注册：请把 'django_wechat' 加入 INSTALLED_APPS。"
    ),
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
    # --- views.py: the callback's refusals --------------------------------------------------
    "The request's timestamp is more than %(seconds)d s from the server's clock.": (
        "请求的时间戳与服务器时钟相差超过 %(seconds)d 秒。"
    ),
    "The request body is larger than MAX_BODY_SIZE.": "请求体超过了 MAX_BODY_SIZE。",
    "This account is in plaintext mode but the request is encrypted.": (
        "该公众号使用明文模式，但请求是加密的。"
    ),
    "This account requires encrypted messages (encrypt_type=aes).": (
        "该公众号要求消息加密（encrypt_type=aes）。"
    ),
    "The message lacks FromUserName, MsgType or CreateTime.": (
        "消息缺少 FromUserName、MsgType 或 CreateTime。"
    ),
    # --- crypto.py ---------------------------------------------------------------------------
    "The request's signature does not match the account's token.": (
        "请求的签名（signature）与该公众号的令牌(Token)不匹配。"
    ),
    "%(setting)s must be exactly 43 letters and digits.": (
        "%(setting)s 必须恰好是 43 位字母和数字。"
    ),
    "The WeChat account %(name)r has no ENCODING_AES_KEY.": (
        "公众号 %(name)r 没有设置 ENCODING_AES_KEY。"
    ),
    "The encrypted message is not valid base64.": "加密消息不是有效的 base64。",
    "The encrypted message is %(size)d bytes, not a whole number of AES blocks.": (
        "加密消息长 %(size)d 字节，不是 AES 块长度的整数倍。"
    ),
    "The message has invalid padding: wrong EncodingAESKey or corrupted data.": (
        "消息的填充无效：消息加解密密钥(EncodingAESKey)有误，或数据已损坏。"
    ),
    "The decrypted message is too short.": "解密后的消息太短。",
    "The decrypted message's length points past its end.": "解密后消息的长度字段超出了消息末尾。",
    "The message is for AppID %(got)r, not this account's %(app_id)r.": (
        "该消息属于 AppID %(got)r，而不是本公众号的 %(app_id)r。"
    ),
    "The decrypted message is not UTF-8.": "解密后的消息不是 UTF-8 编码。",
    "The request body has no Encrypt element.": "请求体中没有 Encrypt 元素。",
    "The request's msg_signature does not match its Encrypt element.": (
        "请求的 msg_signature 与其 Encrypt 元素不匹配。"
    ),
    # --- xml.py ------------------------------------------------------------------------------
    "XML must be bytes or str, not %(type)s.": "XML 必须是 bytes 或 str，而不是 %(type)s。",
    "The XML body is %(size)d bytes, more than the %(limit)d allowed (MAX_BODY_SIZE).": (
        "XML 正文有 %(size)d 字节，超过了允许的 %(limit)d 字节（MAX_BODY_SIZE）。"
    ),
    "The XML body is not UTF-8 (invalid byte at offset %(offset)d).": (
        "XML 正文不是 UTF-8 编码（偏移 %(offset)d 处有无效字节）。"
    ),
    "The XML body is empty.": "XML 正文为空。",
    "The XML body must start with its root element; a DOCTYPE, entity declaration or "
    "processing instruction is refused.": (
        "XML 正文必须以根元素开头；DOCTYPE、实体声明和处理指令一律拒绝。"
    ),
    "Malformed XML: %(error)s": "XML 格式错误：%(error)s",
    "Processing instructions and entities are refused in XML.": "XML 中不允许出现处理指令和实体。",
    "The text contains a control character that XML cannot carry: %(text)r": (
        "文本包含 XML 无法表示的控制字符：%(text)r"
    ),
    # --- messages.py, replies.py -------------------------------------------------------------
    "The field %(tag)s is not an integer: %(value)r": "字段 %(tag)s 不是整数：%(value)r",
    "The field %(tag)s is not a number: %(value)r": "字段 %(tag)s 不是数字：%(value)r",
    "CreateTime is not a Unix timestamp: %(value)r": "CreateTime 不是 Unix 时间戳：%(value)r",
    "%(reply)s has no source or target: build it with message= or pass source= and target=.": (
        "%(reply)s 缺少 source 或 target：请用 message= 构造，或传入 source= 和 target=。"
    ),
    "%(reply)s needs %(field)s.": "%(reply)s 需要 %(field)s。",
    "A news reply holds 1 to %(max)d articles; this one has %(count)d.": (
        "图文消息回复须包含 1 到 %(max)d 篇图文，当前为 %(count)d 篇。"
    ),
    "Each article must be a dict, not %(type)s.": "每篇图文必须是 dict，而不是 %(type)s。",
    "Unknown article key %(key)r; use title, description, image and url.": (
        "未知的图文字段 %(key)r；请使用 title、description、image 和 url。"
    ),
    "Cannot make a reply from %(type)s; return a Reply, a str, a list of dicts or None.": (
        "无法用 %(type)s 生成回复；请返回 Reply、str、dict 列表或 None。"
    ),
    # --- client/ -----------------------------------------------------------------------------
    "could not connect within %(timeout)s s": "%(timeout)s 秒内未能建立连接",
    "no answer within %(timeout)s s": "%(timeout)s 秒内没有响应",
    "could not connect": "无法连接",
    "the connection was lost before the answer": "收到响应前连接已断开",
    "the request failed (%(type)s)": "请求失败（%(type)s）",
    "The ticket type must be 'jsapi' or 'wx_card', not %r.": (
        "ticket 类型必须是 'jsapi' 或 'wx_card'，而不是 %r。"
    ),
    "HTTP %(status)s from WeChat": "微信返回 HTTP %(status)s",
    "the answer is not JSON": "响应不是 JSON",
    "the answer is not a JSON object": "响应不是 JSON 对象",
    "the answer has no usable %(field)s and expires_in": (
        "响应中没有可用的 %(field)s 和 expires_in"
    ),
    "media_type must be one of %(types)s.": "media_type 必须是 %(types)s 之一。",
    "scope must be one of %(scopes)s.": "scope 必须是 %(scopes)s 之一。",
    "No %(what)s for %(app_id)s after waiting %(wait)s s for another process to fetch it; "
    "its lock (%(lock)s s) may be held by a process that died.": (
        "已等待其他进程获取 %(app_id)s 的 %(what)s %(wait)s 秒，仍未取得；"
        "其锁（%(lock)s 秒）可能被一个已退出的进程持有。"
    ),
    "WECHAT['ACCOUNTS'][%(name)r]['ACCESS_TOKEN_FUNC'] cannot be imported: %(error)s": (
        "无法导入 WECHAT['ACCOUNTS'][%(name)r]['ACCESS_TOKEN_FUNC']：%(error)s"
    ),
    "%(func)s must return (access_token, expires_at), not a %(type)s.": (
        "%(func)s 必须返回 (access_token, expires_at)，而不是 %(type)s。"
    ),
    "%(func)s returned no access_token, or one that has already expired.": (
        "%(func)s 没有返回 access_token，或返回的 access_token 已过期。"
    ),
    # --- templatetags/wechat.py --------------------------------------------------------------
    "wechat_jssdk_config needs the request in the template context: add "
    "'django.template.context_processors.request' to TEMPLATES' context_processors.": (
        "wechat_jssdk_config 需要模板上下文中的 request：请将 "
        "'django.template.context_processors.request' 添加到 TEMPLATES 的 context_processors。"
    ),
    # --- management commands -----------------------------------------------------------------
    "Send a signed (and encrypted, per the account's mode) WeChat callback to a running site "
    "and print the decrypted reply.": (
        "向运行中的站点发送一条已签名（并按公众号的加密模式加密）的微信回调，并打印解密后的回复。"
    ),
    "The account's name.": "公众号的名称。",
    "The callback URL (default: http://127.0.0.1:8000 + the wechat:callback path).": (
        "回调 URL（默认：http://127.0.0.1:8000 + wechat:callback 的路径）。"
    ),
    "Send a text message with this content.": "发送一条内容为此文本的文本消息。",
    "Send an event: subscribe, click, view, scan...": "发送事件：subscribe、click、view、scan……",
    "Send the message in this XML file.": "发送此 XML 文件中的消息。",
    "Send the URL verification GET (echostr).": "发送验证 URL 的 GET 请求（echostr）。",
    "The event's EventKey (a menu key, a QR scene).": (
        "事件的 EventKey（自定义菜单的 key 或二维码的场景值）。"
    ),
    "The follower's openid.": "用户的 openid。",
    "Seconds to wait (WeChat waits 5).": "等待的秒数（微信等待 5 秒）。",
    "Could not reach %(url)s: %(error)s": "无法访问 %(url)s：%(error)s",
    "HTTP %(status)d in %(ms).0f ms": "HTTP %(status)d，耗时 %(ms).0f 毫秒",
    "The site refused the callback (HTTP %(status)d): %(reason)s": (
        "站点拒绝了回调（HTTP %(status)d）：%(reason)s"
    ),
    "Expected echostr %(expected)r, got %(got)r.": "echostr 应为 %(expected)r，实际为 %(got)r。",
    "URL verified: echostr %(echostr)s echoed.": "URL 验证通过：echostr %(echostr)s 已原样返回。",
    "Unreadable reply: %(error)s": "无法读取的回复：%(error)s",
    "success (no reply)": "success（不回复）",
    "Reply (decrypted, MsgSignature checked):": "回复（已解密，MsgSignature 已校验）：",
    "Cannot read %(file)s: %(error)s": "无法读取 %(file)s：%(error)s",
    "%(file)s is not a WeChat message: %(error)s": "%(file)s 不是微信消息：%(error)s",
    "Show the start of an account's access_token (or jsapi / wx_card ticket) and its expiry, "
    "fetching it if the cache has none.": (
        "显示公众号 access_token（或 jsapi / wx_card ticket）的开头部分及其过期时间；"
        "缓存中没有时先获取。"
    ),
    "Fetch a new one even if the cache holds one.": "即使缓存中已有，也重新获取。",
    "Show a JS-SDK ticket instead of the access_token.": (
        "显示 JS-SDK ticket，而不是 access_token。"
    ),
    "%(kind)s ticket": "%(kind)s ticket",
    "%(what)s of %(account)s (%(app_id)s): %(start)s… expires %(expires)s (in %(left)d s)": (
        "%(account)s（%(app_id)s）的 %(what)s：%(start)s…，%(expires)s 过期（还剩 %(left)d 秒）"
    ),
    "Run a local WeChat API emulator (api.weixin.qq.com and open.weixin.qq.com) for the "
    "accounts in settings.WECHAT, with demo followers o-demo-follower-1 ... Point "
    "WECHAT['API_BASE_URL'] and WECHAT['OAUTH_BASE_URL'] at it.": (
        "为 settings.WECHAT 中的公众号运行本地微信 API 模拟器（代替 api.weixin.qq.com 和 "
        "open.weixin.qq.com），附带演示粉丝 o-demo-follower-1 ……"
        "请将 WECHAT['API_BASE_URL'] 和 WECHAT['OAUTH_BASE_URL'] 指向它。"
    ),
    "Address to listen on.": "监听的地址。",
    "Port (0: any free port).": "端口（0：任一空闲端口）。",
    "Demo followers per account (default 5).": "每个公众号的演示粉丝数（默认 5）。",
    "WeChat emulator on %(url)s": "微信模拟器运行于 %(url)s",
    "account %(name)r: appid %(app_id)s": "公众号 %(name)r：appid %(app_id)s",
    "demo followers: %(followers)s": "演示粉丝：%(followers)s",
    "Templates of the emulator's library each Official Account already has, ready for "
    "wechat_sync_templates (default 2, at most 3).": (
        "每个公众号已添加的模拟器模板库中的模板数，可直接用 wechat_sync_templates 同步"
        "（默认 2，最多 3）。"
    ),
    "message templates: %(titles)s": "消息模板：%(titles)s",
    "OAuth consent page: %(url)s/connect/oauth2/authorize?...": (
        "网页授权页面：%(url)s/connect/oauth2/authorize?..."
    ),
    "call log: %(url)s/_emulator/calls?token=%(token)s": (
        "调用记录：%(url)s/_emulator/calls?token=%(token)s"
    ),
    "control token (the %(header)s header of /_emulator/ requests): %(token)s": (
        "控制令牌（/_emulator/ 请求的 %(header)s 请求头）：%(token)s"
    ),
    "settings.DEBUG is False, so these may be a live site's accounts.": (
        "settings.DEBUG 为 False，这些可能是线上网站的公众号。"
    ),
    "WECHAT['API_BASE_URL'] is %(url)s, not this emulator, so these may be the "
    "accounts of a site that talks to WeChat.": (
        "WECHAT['API_BASE_URL'] 是 %(url)s，而不是本模拟器，这些可能是连接微信的网站的公众号。"
    ),
    "Start even when settings.DEBUG is False or WECHAT['API_BASE_URL'] is not "
    "this emulator (the emulator can sign callbacks with the accounts' TOKEN).": (
        "即使 settings.DEBUG 为 False 或 WECHAT['API_BASE_URL'] 不是本模拟器也启动"
        "（模拟器能用公众号的 TOKEN 为回调签名）。"
    ),
    "Allow --host to be an address other than loopback.": "允许 --host 使用本机回环以外的地址。",
    "A host every account's web OAuth may redirect to (its web authorisation "
    "domain); repeat for more (default: localhost, 127.0.0.1, ::1, testserver).": (
        "每个公众号网页授权可以重定向到的主机（网页授权域名）；可重复指定多个"
        "（默认：localhost、127.0.0.1、::1、testserver）。"
    ),
    "Warning: listening on %(host)s, beyond loopback: anyone who can "
    "reach it can call the emulator's API.": (
        "警告：正在监听本机回环以外的 %(host)s：任何能访问它的人都能调用模拟器的 API。"
    ),
    "Warning: %(reason)s": "警告：%(reason)s",
    "Quit with CONTROL-C.": "按 CONTROL-C 退出。",
    "WeChat emulator stopped.": "微信模拟器已停止。",
    # --- testing/emulator/routes/oauth.py: the emulated 网页授权 consent page --------------
    "The appid parameter is wrong.": "appid 参数错误。",
    "redirect_uri %(uri)s is not a plain absolute http(s) URL (no user info, backslash, "
    "space or non-ASCII character).": (
        "redirect_uri %(uri)s 不是规范的完整 http(s) URL"
        "（不能含用户信息、反斜杠、空格或非 ASCII 字符）。"
    ),
    "redirect_uri's domain %(host)s is not one of the account's web "
    "authorisation domains.": "redirect_uri 域名 %(host)s 与后台配置的网页授权域名不一致。",
    "response_type must be 'code'.": "response_type 必须是 'code'。",
    "The account has no permission for scope %(scope)s.": "该公众号没有 scope %(scope)s 的权限。",
    "state is longer than 128 bytes.": "state 超过了 128 字节。",
    "Choose one of the demo followers.": "请选择一位演示粉丝。",
    "Error": "错误",
    "wants your public profile (nickname and avatar).": "申请获得你的公开信息（昵称、头像）。",
    "wants to know who you are (your openid).": "申请获取你的身份（openid）。",
    "WeChat authorization (emulator)": "微信网页授权（模拟器）",
    "This is the django_wechat emulator: choose who you are.": (
        "这是 django_wechat 的模拟器：请选择你的身份。"
    ),
    "Allow": "允许",
    "Deny": "拒绝",
    # client/base.py: calls that are never sent twice
    "a second fetch would void the first one's access_token": (
        "再次获取会使前一次获取的 access_token 失效"
    ),
    "the code can be used only once: send the user through the authorization again": (
        "code 只能使用一次：请让用户重新进行网页授权"
    ),
    "the code can be used only once: have the mini program call wx.login() again": (
        "code 只能使用一次：请让小程序重新调用 wx.login()"
    ),
    "not sent again, since WeChat may have carried it out": "微信可能已执行该请求，因此不再重发",
    "This signature was already used with a different message body.": (
        "该签名已用于另一条不同的消息内容。"
    ),
    "A text reply needs content; return None to answer nothing (success).": (
        "文本回复不能为空；如不需要回复，请返回 None（即回复 success）。"
    ),
    # --- messages.py: typed event fields (timestamps, device data) ---------------------------
    "The field %(tag)s is not a Unix timestamp: %(value)r": (
        "字段 %(tag)s 不是 Unix 时间戳：%(value)r"
    ),
    "The field %(tag)s is not base64: %(value)r": "字段 %(tag)s 不是 base64 编码：%(value)r",
    "The field %(tag)s is not UTF-8 text once decoded.": "字段 %(tag)s 解码后不是 UTF-8 文本。",
    # --- menus: menu_rules.py, models/menus.py, sync/menus.py, admin/menus.py, wechat_sync_menu
    "Click: send an event with a key": "点击：推送带 key 的事件",
    "View: open a web page": "跳转网页",
    "Scan a code and send it": "扫码推事件",
    "Scan a code, then wait for the reply": "扫码推事件且弹出“消息接收中”",
    "Take a photo": "弹出系统拍照发图",
    "Take a photo or choose one": "弹出拍照或者相册发图",
    "Choose from the WeChat album": "弹出微信相册发图器",
    "Send a location": "弹出地理位置选择器",
    "Send a permanent material (media_id)": "下发永久素材（media_id）",
    "Open a permanent material (media_id)": "跳转永久素材图文（media_id）",
    "Open a mini program": "打开小程序",
    "Send a published article (article_id)": "下发已发布的图文（article_id）",
    "Open a published article (article_id)": "跳转已发布的图文（article_id）",
    "Other": "其他",
    "'%(value)s' is %(bytes)d bytes; at most %(limit)d": (
        "“%(value)s”有 %(bytes)d 个字节；最多 %(limit)d 个"
    ),
    "Give the button a name.": "请给按钮起个名字。",
    "A button with sub-buttons has no type: WeChat opens its sub-menu.": (
        "有子菜单的按钮没有类型：微信会弹出它的子菜单。"
    ),
    "'%(type)s' is not a WeChat button type; use one of %(types)s.": (
        "“%(type)s”不是微信的按钮类型；请使用以下之一：%(types)s。"
    ),
    "Choose a type, or add sub-buttons under this button.": "请选择类型，或在此按钮下添加子菜单。",
    "Choose a type.": "请选择类型。",
    "A %(type)s button needs %(field)s.": "%(type)s 类型的按钮需要 %(field)s。",
    "'%(value)s' is not an http:// or https:// address.": (
        "“%(value)s”不是 http:// 或 https:// 地址。"
    ),
    "A menu has 1 to %(limit)d buttons; this one has %(count)d.": (
        "菜单有 1 到 %(limit)d 个按钮；这个菜单有 %(count)d 个。"
    ),
    "A button has 1 to %(limit)d sub-buttons; this one has %(count)d.": (
        "一个按钮有 1 到 %(limit)d 个子按钮；这个按钮有 %(count)d 个。"
    ),
    'A menu is a JSON object: {"button": [...]}.': '菜单是一个 JSON 对象：{"button": [...]}。',
    "A menu needs a list of buttons under “button”.": "菜单需要在“button”下列出按钮。",
    "button %(n)d": "第 %(n)d 个按钮",
    "A button is a JSON object.": "按钮是一个 JSON 对象。",
    "%(button)s › sub-button %(n)d": "%(button)s › 第 %(n)d 个子按钮",
    "A match rule is a JSON object.": "匹配规则是一个 JSON 对象。",
    "WeChat no longer matches menus on %(fields)s; match on a tag or the client platform.": (
        "微信已不再按 %(fields)s 匹配菜单；请按标签或客户端平台匹配。"
    ),
    "'%(value)s' is not a tag id (a number).": "“%(value)s”不是标签 ID（数字）。",
    "'%(value)s' is not a client platform: 1 (iOS), 2 (Android) or 3 (other).": (
        "“%(value)s”不是客户端平台：1（iOS）、2（Android）或 3（其他）。"
    ),
    "A conditional menu matches on a tag, a client platform or both.": (
        "个性化菜单按标签、客户端平台或两者匹配。"
    ),
    "Draft": "草稿",
    "Published": "已发布",
    "account": "公众号",
    "The name of the account in settings.WECHAT['ACCOUNTS'].": (
        "公众号在 settings.WECHAT['ACCOUNTS'] 中的名字。"
    ),
    "title": "标题",
    "For you; WeChat never shows it.": "给你自己看的；微信不会显示。",
    "tag id": "标签 ID",
    "Conditional menus: shown to followers with this tag.": "个性化菜单：显示给有此标签的粉丝。",
    "client platform": "客户端平台",
    "Conditional menus: shown to followers on this platform.": "个性化菜单：显示给此平台上的粉丝。",
    "WeChat's menuid": "微信的 menuid",
    "state": "状态",
    "published at": "发布时间",
    "updated at": "更新时间",
    "menu": "菜单",
    "menus": "菜单",
    (
        "This account has a default menu already; give this one a tag or a client platform to m"
        "ake it a conditional menu."
    ): ("此公众号已有默认菜单；请给这个菜单设置标签或客户端平台，使其成为个性化菜单。"),
    "column": "列",
    "1 to 3, left to right.": "1 到 3，从左到右。",
    "row": "行",
    "0 on the bar; 1 to 5 in its sub-menu.": "0 为菜单栏上的按钮；1 到 5 为其子菜单。",
    "name": "名称",
    "type": "类型",
    "Leave empty for a button with sub-buttons.": "有子菜单的按钮请留空。",
    "key": "key",
    "URL": "URL",
    "media_id": "media_id",
    "mini program appid": "小程序 appid",
    "mini program page": "小程序页面",
    "article_id": "article_id",
    "button": "按钮",
    "buttons": "按钮",
    "Two buttons of this menu have the same column and row.": "此菜单有两个按钮的列和行相同。",
    (
        "“%(name)s” replied with a %(type)s set in WeChat's console; it is now a click button w"
        'ith key %(key)s: answer it with @handler(event="CLICK", key="%(key)s").'
    ): (
        "“%(name)s”原来回复在微信后台设置的 %(type)s；现在它是 key 为 %(key)s 的点击按钮："
        '请用 @handler(event="CLICK", key="%(key)s") 回复它。'
    ),
    "tag %(tag)s": "标签 %(tag)s",
    "conditional menu (%(rule)s)": "个性化菜单（%(rule)s）",
    "default menu": "默认菜单",
    "WeChat: %(title)s": "微信：%(title)s",
    "to push: %(title)s": "将推送：%(title)s",
    "Menu pulled from WeChat": "从微信拉取的菜单",
    "Conditional menu pulled from WeChat (%(rule)s)": "从微信拉取的个性化菜单（%(rule)s）",
    "WeChat refused the menu: %(meaning)s (errcode %(errcode)s: %(errmsg)s)": (
        "微信拒绝了菜单：%(meaning)s（错误码 %(errcode)s：%(errmsg)s）"
    ),
    "a button type is not valid": "按钮类型不合法",
    "the menu has too many or too few buttons": "菜单按钮个数不合法",
    "a button name is too long": "按钮名字太长",
    "a button key is too long": "按钮 key 太长",
    "a button url is too long": "按钮 url 太长",
    "a button has too many or too few sub-buttons": "子菜单按钮个数不合法",
    "a sub-button type is not valid": "子菜单按钮类型不合法",
    "a sub-button name is too long": "子菜单按钮名字太长",
    "a sub-button key is too long": "子菜单按钮 key 太长",
    "a sub-button url is too long or missing": "子菜单按钮 url 太长或缺失",
    "the account's custom menu is switched off in WeChat's console": (
        "公众号的自定义菜单在微信后台已关闭"
    ),
    "a url's domain is not allowed": "url 的域名不合法",
    "a sub-button url's domain is not allowed": "子菜单按钮 url 的域名不合法",
    "a button url's domain is not allowed": "菜单按钮 url 的域名不合法",
    "a media_id does not exist": "media_id 不存在",
    "the mini program is not bound to the account": "小程序没有关联到此公众号",
    "a button type is not allowed for this account": "此公众号不能使用该按钮类型",
    "the daily quota of this API is used up (1,000 menu/create calls a day)": (
        "此接口今天的调用次数已用完（menu/create 每天 1000 次）"
    ),
    "the account has no menu": "公众号没有菜单",
    "WeChat has no conditional menu with this menuid": "微信没有此 menuid 对应的个性化菜单",
    "no such follower": "没有这个粉丝",
    "publish a default menu before any conditional menu": "发布个性化菜单之前请先发布默认菜单",
    "the match rule is empty": "匹配规则为空",
    "the account has too many conditional menus": "个性化菜单数量超过限制",
    "the menus link to more than 3 domains": "菜单跳转的域名超过 3 个",
    "a url is not valid": "url 不合法",
    "WeChat no longer matches on sex, region or language": "微信已不再按性别、地区或语言匹配",
    "errcode %(errcode)s": "错误码 %(errcode)s",
    "Column %(column)d has no button on the bar (row 0) to hold this one.": (
        "第 %(column)d 列在菜单栏上（第 0 行）没有按钮来容纳它。"
    ),
    "Conditional menu": "个性化菜单",
    (
        "Leave both empty for the default menu. WeChat no longer matches on sex, region or lang"
        "uage."
    ): ("默认菜单请两项都留空。微信已不再按性别、地区或语言匹配。"),
    "On WeChat": "在微信上",
    "kind": "种类",
    "Publish to WeChat": "发布到微信",
    "“%(menu)s” is published on WeChat.": "“%(menu)s”已发布到微信。",
    "Remove conditional menus from WeChat": "从微信删除个性化菜单",
    (
        "“%(menu)s” is the default menu: “manage.py wechat_sync_menu --delete” deletes it, with"
        " every conditional menu."
    ): ("“%(menu)s”是默认菜单：“manage.py wechat_sync_menu --delete”会删除它以及所有个性化菜单。"),
    "“%(menu)s” is removed from WeChat.": "“%(menu)s”已从微信删除。",
    "Pulled %(count)d menus of account %(account)s from WeChat.": (
        "已从微信拉取公众号 %(account)s 的 %(count)d 个菜单。"
    ),
    "Pull from WeChat": "从微信拉取",
    "No account named %(account)s.": "没有名为 %(account)s 的公众号。",
    "Which menu does this follower see?": "这个粉丝看到的是哪个菜单？",
    "Could not talk to WeChat: %(error)s": "无法与微信通信：%(error)s",
    (
        "Push the account's published menus to WeChat (or a JSON file's menu with --file), pull"
        " WeChat's menus (--pull), or delete them (--delete)."
    ): (
        "把公众号已发布的菜单推送到微信（或用 --file 推送 JSON 文件中的菜单），拉取微信的菜"
        "单（--pull），或删除它们（--delete）。"
    ),
    (
        'Push this JSON file (WeChat\'s own body, {"button": [...]}; "-" reads stdin) instea'
        "d of the database; with --pull, write WeChat's menus there."
    ): (
        '推送这个 JSON 文件（微信自己的格式，{"button": [...]}；"-" 读取标准输入）而不'
        "是数据库中的菜单；与 --pull 一起使用时，把微信的菜单写到这里。"
    ),
    "Fetch WeChat's menus into the database (or into --file).": (
        "把微信的菜单拉取到数据库（或 --file）。"
    ),
    "Show the differences between WeChat's menu and what would be pushed; push nothing.": (
        "显示微信的菜单与将要推送的菜单之间的差异；不推送。"
    ),
    "Delete the account's menus on WeChat, the conditional ones too.": (
        "删除公众号在微信上的菜单，包括个性化菜单。"
    ),
    "Do not ask before deleting.": "删除前不询问。",
    "--pull and --delete do not go together.": "--pull 和 --delete 不能一起使用。",
    "--delete and --file do not go together.": "--delete 和 --file 不能一起使用。",
    "The menu is invalid; nothing was sent to WeChat:\n%(problems)s": (
        "菜单不合法；没有向微信发送任何内容：\n%(problems)s"
    ),
    (
        "Account %(account)s has no published menu in the database: publish one in the admin, p"
        "ull WeChat's with --pull, or push a file with --file."
    ): (
        "公众号 %(account)s 在数据库中没有已发布的菜单：请在管理后台发布一个，用 --pull 拉"
        "取微信的菜单，或用 --file 推送文件。"
    ),
    "Pushed %(title)s “%(name)s”.": "已推送%(title)s“%(name)s”。",
    "conditional menus": "个性化菜单",
    "Pushed the menu of %(file)s (%(count)d conditional menus).": (
        "已推送 %(file)s 中的菜单（%(count)d 个个性化菜单）。"
    ),
    "WeChat has no menu for account %(account)s.": "微信上公众号 %(account)s 没有菜单。",
    "Wrote WeChat's menus to %(file)s.": "已把微信的菜单写入 %(file)s。",
    "Pulled %(count)d menus of account %(account)s into the database.": (
        "已把公众号 %(account)s 的 %(count)d 个菜单拉取到数据库。"
    ),
    (
        "This deletes the menus of account %(account)s on WeChat, conditional menus included; f"
        "ollowers will see no menu.\nType 'yes' to continue, or 'no' to cancel: "
    ): (
        "这会删除公众号 %(account)s 在微信上的菜单，包括个性化菜单；粉丝将看不到菜单。\n输"
        "入 'yes' 继续，或输入 'no' 取消："
    ),
    "Deleting cancelled.": "已取消删除。",
    "Deleted the menus of account %(account)s on WeChat.": (
        "已删除公众号 %(account)s 在微信上的菜单。"
    ),
    "%(file)s is not JSON: %(error)s": "%(file)s 不是 JSON：%(error)s",
    "%(title)s: WeChat already has this menu.": "%(title)s：微信上已经是这个菜单。",
    "Preview": "预览",
    (
        "As a follower sees the bar, every sub-menu open. WeChat shows about 4 Chinese characte"
        "rs of a button and 8 of a sub-button; the rest as “…”."
    ): (
        "粉丝看到的菜单栏，所有子菜单都已展开。微信大约显示按钮的 4 个汉字、子按钮的 8 个汉"
        "字，其余显示为“…”。"
    ),
    "Which menu does a follower see?": "粉丝看到的是哪个菜单？",
    "Official Account": "公众号",
    "No menu": "没有菜单",
    "Home": "首页",
    (
        "WeChat's menu is on the left, this one on the right; the rows that differ are marked. m"
        "enu/create allows 1,000 calls a day."
    ): ("左边是微信上的菜单，右边是这个菜单；不同的行已标出。menu/create 每天允许调用 1000 次。"),
    "WeChat would refuse this menu; fix it first:": "微信会拒绝这个菜单；请先修正：",
    "On WeChat now": "微信上现在的菜单",
    "After publishing": "发布之后",
    "Neither has buttons.": "两边都没有按钮。",
    "WeChat already has this menu.": "微信上已经是这个菜单。",
    "Yes, publish": "是的，发布",
    "No, take me back": "不，返回",
    "Account": "公众号",
    "Show": "显示",
    "This menu was made in WeChat's web console (read with get_current_selfmenu_info).": (
        "这个菜单是在微信公众平台后台创建的（通过 get_current_selfmenu_info 读取）。"
    ),
    "Pulling replaces this account's menus in the database with WeChat's.": (
        "拉取会用微信上的菜单替换数据库中此公众号的菜单。"
    ),
    "Pull these menus": "拉取这些菜单",
    "WeChat has no menu for this account.": "微信上此公众号没有菜单。",
    "OpenID or WeChat ID": "OpenID 或微信号",
    "Try": "试一试",
    "What %(user_id)s sees": "%(user_id)s 看到的菜单",
    "No account named %(account)s; configured: %(accounts)s.": (
        "没有名为 %(account)s 的公众号；已配置的公众号：%(accounts)s。"
    ),
    # --- oauth/ (the WeChat login), models/users.py, admin/users.py ---------------------------
    "Django user": "Django 用户",
    "WECHAT['OAUTH_ADAPTER'] is %(value)r, which cannot be imported.": (
        "WECHAT['OAUTH_ADAPTER'] 为 %(value)r，无法导入。"
    ),
    "Name a subclass of django_wechat.oauth.adapter.WeChatAdapter by its dotted path, or "
    "leave the setting out.": (
        "请用点分路径指定 django_wechat.oauth.adapter.WeChatAdapter 的子类，或删除该设置。"
    ),
    "WECHAT['OAUTH_STATE_TIMEOUT'] must be a positive number of seconds, not %(value)r.": (
        "WECHAT['OAUTH_STATE_TIMEOUT'] 必须是正的秒数，而不是 %(value)r。"
    ),
    "The account's name in settings.WECHAT.": "该公众号在 settings.WECHAT 中的名称。",
    "openid": "openid",
    "unionid": "unionid",
    "Blank when WeChat sent none (scope snsapi_base, no open platform).": (
        "微信未提供时为空（snsapi_base 授权，或未绑定开放平台）。"
    ),
    "user": "用户",
    "nickname": "昵称",
    "avatar URL": "头像地址",
    "subscribed": "已关注",
    "Whether they follow the account; unknown until a follower sync says.": (
        "是否关注了公众号；同步粉丝之前未知。"
    ),
    "subscribed at": "关注时间",
    "language": "语言",
    "remark": "备注",
    "tag ids": "标签 ID",
    "profile": "资料",
    "The profile as WeChat last sent it (never a token).": (
        "微信最近一次返回的用户资料（不含任何令牌）。"
    ),
    "created at": "创建时间",
    "WeChat user": "微信用户",
    "WeChat users": "微信用户",
    "Open this page in WeChat": "请在微信中打开此页面",
    "This page logs you in with WeChat: scan the code or open the link in WeChat.": (
        "此页面需用微信登录：请用微信扫描二维码，或在微信中打开链接。"
    ),
    "You did not allow the login": "你没有允许登录",
    "You chose not to let this site know who you are on WeChat.": (
        "你选择了不让本网站获取你的微信身份。"
    ),
    "This login link is incomplete": "登录链接不完整",
    "The link WeChat sent you back with is missing its state.": (
        "微信跳转回来的链接缺少 state 参数。"
    ),
    "This login has expired": "登录已过期",
    "A login must be finished within a few minutes, and each link works once.": (
        "登录须在几分钟内完成，且每个链接只能使用一次。"
    ),
    "This login was started elsewhere": "此次登录是在别处发起的",
    "The login link belongs to another browser or tab.": "该登录链接属于另一个浏览器或标签页。",
    "This login link is wrong": "登录链接有误",
    "The scope must be snsapi_base or snsapi_userinfo.": (
        "scope 必须是 snsapi_base 或 snsapi_userinfo。"
    ),
    "WeChat did not accept this login": "微信未接受此次登录",
    "The authorization code was invalid, expired or already used.": (
        "授权码无效、已过期或已被使用。"
    ),
    "This login was already used": "此次登录已被使用",
    "The authorization code was used by another login.": "该授权码已被另一次登录使用。",
    "Please use the full service": "请使用完整服务",
    "You are viewing a snapshot of this page. Tap “使用完整服务” (Use full service) at the "
    "bottom right to log in.": ("你正在浏览此页面的快照。请点击右下角的“使用完整服务”以登录。"),
    "Sign-up is closed": "暂不开放注册",
    "This site does not accept new users through WeChat.": "本网站不接受通过微信注册新用户。",
    "This account is disabled": "该账号已停用",
    "The user linked to your WeChat account may not log in.": "与你的微信关联的用户不能登录。",
    "Log in another way": "请用其他方式登录",
    "The user linked to your WeChat account cannot log in with WeChat on this site.": (
        "与你的微信关联的用户不能在本网站用微信登录。"
    ),
    "WeChat refused the login": "微信拒绝了登录",
    "WeChat did not accept the site's request. The site's team has been told.": (
        "微信没有接受本网站的请求。已通知网站管理员。"
    ),
    "WeChat could not be reached": "无法连接微信",
    "The site could not talk to WeChat just now.": "本网站暂时无法与微信通信。",
    "The login is still in progress": "登录仍在进行中",
    "Another load of this page is still logging you in.": "此页面的另一次加载仍在为你登录。",
    "WeChat login is not set up": "尚未设置微信登录",
    "The site's WeChat login is not configured. The site's team has been told.": (
        "本网站的微信登录尚未配置。已通知网站管理员。"
    ),
    "The login failed": "登录失败",
    "Something went wrong on the site. The site's team has been told.": (
        "网站出了点问题。已通知网站管理员。"
    ),
    "Try again": "重试",
    "Snapshot page (browse only)": "快照页（仅浏览）",
    # --- a newcomer's first hour (issue 16): checks, the 404, manage.py wechat_init ---
    "Point WECHAT['CACHE'] at a cache every process shares, such as django-redis "
    "(pip install 'django-wechat-oa[redis]'):\n%(example)s": (
        "请将 WECHAT['CACHE'] 指向所有进程共享的缓存，例如 django-redis"
        "（pip install 'django-wechat-oa[redis]'）：\n%(example)s"
    ),
    "%(where)s['APP_ID'] is %(app_id)r, which is not a WeChat AppID: 'wx' followed by 16 "
    "hexadecimal digits (0-9, a-f).": (
        "%(where)s['APP_ID'] 为 %(app_id)r，不是微信的 AppID：应为“wx”加 16 位"
        "十六进制数字（0-9、a-f）。"
    ),
    "Copy the AppID (开发者ID) from the WeChat console (设置与开发 → 基本配置), such as "
    "'wx0123456789abcdef'.": (
        "请从微信公众平台（设置与开发 → 基本配置）复制 AppID（开发者ID），"
        "例如 'wx0123456789abcdef'。"
    ),
    "%(where)s[%(key)r] may hold only letters and digits; character %(position)d is "
    "%(char)r.": "%(where)s[%(key)r] 只能包含字母和数字；第 %(position)d 个字符是 %(char)r。",
    "No WeChat account %(name)r in WECHAT['ACCOUNTS']; configured: %(names)s.": (
        "WECHAT['ACCOUNTS'] 中没有公众号 %(name)r；已配置：%(names)s。"
    ),
    "Print a WECHAT block for settings.py: for development against the emulator, with a "
    "random TOKEN and EncodingAESKey, or with --production, for a live site.": (
        "输出可放入 settings.py 的 WECHAT 配置：默认用于开发（连接模拟器，随机生成 TOKEN 和 "
        "EncodingAESKey），加 --production 则用于正式站点。"
    ),
    "The account's name, as in the callback URL (default: %(default)s).": (
        "公众号名称，即回调 URL 中的名称（默认：%(default)s）。"
    ),
    "Print the production blocks: CACHES on django-redis and WECHAT read from the environment.": (
        "输出正式环境的配置：基于 django-redis 的 CACHES，以及从环境变量读取的 WECHAT。"
    ),
    "An account's name goes into its callback URL: use letters, digits, - and _.": (
        "公众号名称会出现在回调 URL 中：请只使用字母、数字、- 和 _。"
    ),
    "Set WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN, WECHAT_ENCODING_AES_KEY and "
    "REDIS_URL in the environment of every process of the site.": (
        "请在站点每个进程的环境变量中设置 WECHAT_APP_ID、WECHAT_APP_SECRET、WECHAT_TOKEN、"
        "WECHAT_ENCODING_AES_KEY 和 REDIS_URL。"
    ),
    "Paste this into settings.py and run the emulator with “python manage.py "
    "wechat_emulator --port 8001”. The TOKEN and EncodingAESKey are random: when you "
    "switch to your account, paste the same two into the WeChat console (设置与开发 → "
    "基本配置 → 服务器配置).": (
        "请将以上内容粘贴到 settings.py，并用“python manage.py wechat_emulator --port 8001”"
        "运行模拟器。TOKEN 和 EncodingAESKey 是随机生成的：切换到正式公众号时，请把这两项原样"
        "填入微信公众平台（设置与开发 → 基本配置 → 服务器配置）。"
    ),
    # --- issue 11: accounts of other kinds, website QR login, mini-program login -------------
    "%(where)s['KIND'] is %(kind)r; it must be one of %(kinds)s.": (
        "%(where)s['KIND'] 为 %(kind)r；它必须是 %(kinds)s 之一。"
    ),
    "'official' for an Official Account (公众号), 'website' for an open-platform website app "
    "(网站应用), 'miniprogram' for a mini program (小程序).": (
        "公众号用 'official'，开放平台网站应用用 'website'，小程序用 'miniprogram'。"
    ),
    "A website app (网站应用) only logs users in: WeChat sends it no callbacks and gives it no "
    "access_token. Remove these keys.": (
        "网站应用只用于登录：微信不会向它推送消息，也不给它 access_token。请删除这些键。"
    ),
    "Without a TOKEN the mini program gets no message push; add its push TOKEN (小程序后台 → "
    "开发管理 → 消息推送) or remove these keys.": (
        "没有 TOKEN，小程序就收不到消息推送；请填入消息推送的 TOKEN（小程序后台 → 开发管理 → "
        "消息推送），或删除这些键。"
    ),
    "%(where)s is of KIND %(kind)r, which does not use %(keys)s; ignored.": (
        "%(where)s 的 KIND 为 %(kind)r，用不到 %(keys)s；已忽略。"
    ),
    "WECHAT['OAUTH_WEBSITE_ACCOUNTS'] must be a dict, not %(type)s.": (
        "WECHAT['OAUTH_WEBSITE_ACCOUNTS'] 必须是 dict，而不是 %(type)s。"
    ),
    "Map each official account to the website account that logs its followers in outside "
    "WeChat, such as %(example)s.": (
        "把每个公众号映射到在微信之外为其用户登录的网站应用账号，例如 %(example)s。"
    ),
    "WECHAT['OAUTH_WEBSITE_ACCOUNTS'] has the key %(name)r, which is not an account of KIND "
    "'official'.": (
        "WECHAT['OAUTH_WEBSITE_ACCOUNTS'] 的键 %(name)r 不是 KIND 为 'official' 的账号。"
    ),
    "Its keys name official accounts of WECHAT['ACCOUNTS'].": (
        "它的键应是 WECHAT['ACCOUNTS'] 中的公众号名称。"
    ),
    "WECHAT['OAUTH_WEBSITE_ACCOUNTS'][%(official)r] is %(name)r, which is not an account of "
    "KIND 'website'.": (
        "WECHAT['OAUTH_WEBSITE_ACCOUNTS'][%(official)r] 为 %(name)r，它不是 KIND 为 "
        "'website' 的账号。"
    ),
    "Add the open-platform website app (网站应用) to WECHAT['ACCOUNTS'] with 'KIND': 'website', "
    "and name it here.": (
        "请把开放平台网站应用以 'KIND': 'website' 加入 WECHAT['ACCOUNTS']，并在此处写上它的名称。"
    ),
    "WECHAT['MINIPROGRAM_LOGIN_RATE'] must be a positive number of logins per minute, not "
    "%(value)r.": (
        "WECHAT['MINIPROGRAM_LOGIN_RATE'] 必须是每分钟登录次数的正数，而不是 %(value)r。"
    ),
    "WECHAT['CLIENT_ADDRESS'] is %(value)r, which is not an importable function.": (
        "WECHAT['CLIENT_ADDRESS'] 为 %(value)r，不是可导入的函数。"
    ),
    "WECHAT['CLIENT_ADDRESS'] is %(value)r: neither a request.META key nor a dotted path.": (
        "WECHAT['CLIENT_ADDRESS'] 为 %(value)r：既不是 request.META 的键，也不是点分路径。"
    ),
    "Name the header your proxy sets as request.META spells it, such as 'HTTP_X_REAL_IP' or "
    "'HTTP_X_FORWARDED_FOR', or give the dotted path of a function that takes the request and "
    "returns the address.": (
        "填写代理设置的请求头在 request.META 中的写法，例如 'HTTP_X_REAL_IP' 或 "
        "'HTTP_X_FORWARDED_FOR'；或者填写一个函数的点分路径，该函数接收请求并返回地址。"
    ),
    "WECHAT['BROADCAST_SENDS_PER_LANE'] must be a positive number of sends a broadcast lane "
    "has in flight at once, not %(value)r.": (
        "WECHAT['BROADCAST_SENDS_PER_LANE'] 必须是群发的每条通道同时进行的发送数（正整数），"
        "而不是 %(value)r。"
    ),
    "Account %(name)r is of KIND %(kind)r, which has no access to client.%(group)s; it may "
    "use %(groups)s.": (
        "账号 %(name)r 的 KIND 为 %(kind)r，无权使用 client.%(group)s；它可以使用 %(groups)s。"
    ),
    "WeChat blocked this login": "微信拦截了这次登录",
    "WeChat considers this login risky and refused it.": "微信认为这次登录存在风险，已拒绝。",
    "Too many logins": "登录过于频繁",
    "Too many login attempts in a short time; try again in a minute.": (
        "登录尝试过于频繁，请一分钟后再试。"
    ),
    "This request is wrong": "请求有误",
    "Send a JSON object with the code from WeChat.": "请发送包含微信 code 的 JSON 对象。",
    "Please log in first": "请先登录",
    "Log in with WeChat before asking for this.": "请先用微信登录，再请求此项。",
    "No session_key for this user: log in again with wx.login().": (
        "该用户没有 session_key：请用 wx.login() 重新登录。"
    ),
    "The open data cannot be decrypted.": "开放数据无法解密。",
    "The open data's watermark names another mini program.": "开放数据的水印属于另一个小程序。",
    "The open data's watermark is too old.": "开放数据的水印已过期。",
    "The appid has no permission for scope snsapi_login.": "该 appid 没有 snsapi_login 的权限。",
    "An open-platform AppID cannot use this page.": (
        "不支持微信开放平台的 AppID，请使用公众号 AppID。"
    ),
    "WeChat login: scan the QR code (emulator)": "微信登录：扫描二维码（模拟器）",
    "On a real site you scan this code with WeChat. Here: choose who you are.": (
        "在真实网站上，你会用微信扫描这个二维码。这里请选择你的身份。"
    ),
    "Scan with WeChat and confirm": "用微信扫码并确认",
    # --- issue 17: errors of ours, the query's shape, the cache check, the emulator's guards
    "The cache %(alias)r did not answer django_wechat.": "缓存 %(alias)r 未响应 django_wechat。",
    "The request's %(name)s is not of the shape WeChat sends.": (
        "请求中的 %(name)s 格式与微信发送的不符。"
    ),
    "Refusing to listen on %(host)s: anyone who can reach it could use the emulator.": (
        "拒绝监听 %(host)s：任何能访问它的人都能使用模拟器。"
    ),
    "The emulator can sign callbacks with their TOKEN and AES key.": (
        "模拟器能用它们的 TOKEN 和 AES 密钥为回调签名。"
    ),
    "Pass %(option)s=True to WeChatEmulator to start it anyway.": (
        "如仍要启动，请向 WeChatEmulator 传入 %(option)s=True。"
    ),
    "Use %(option)s to start it anyway.": "如仍要启动，请使用 %(option)s。",
    "WECHAT['CACHE'] (%(alias)r) is a Redis cache without %(missing)s: a Redis "
    "that stalls would hold each callback past the 5 seconds WeChat waits.": (
        "WECHAT['CACHE']（%(alias)r）是未设置 %(missing)s 的 Redis 缓存：Redis 一旦卡住，"
        "每个回调都会被拖过微信等待的 5 秒。"
    ),
    "Set both in CACHES[%(alias)r]['OPTIONS'], in seconds (2 leaves time to "
    "answer), as in:\n%(example)s": (
        "请在 CACHES[%(alias)r]['OPTIONS'] 中同时设置这两项，单位为秒（设为 2 可留出应答时间），"
        "例如：\n%(example)s"
    ),
    # --- template messages and the inbound message log (issue 13): models/templates.py,
    # models/messages.py, template_messages.py, admin/templates.py, admin/messages.py,
    # wechat_sync_templates, wechat_purge_messages ---
    "WECHAT[%(name)r] must be True or False, not %(value)r.": (
        "WECHAT[%(name)r] 必须是 True 或 False，而不是 %(value)r。"
    ),
    "template ID": "模板 ID",
    "primary industry": "主行业",
    "deputy industry": "副行业",
    "content": "内容",
    "example": "示例",
    "keywords": "关键词",
    "The keywords of the content ({{thing1.DATA}} is thing1), in order.": (
        "内容中的关键词（{{thing1.DATA}} 即 thing1），按顺序排列。"
    ),
    "removed on WeChat": "已在微信删除",
    "WeChat no longer lists this template; it is kept for the messages sent.": (
        "微信已不再列出该模板；为保留已发送的消息，它仍留在这里。"
    ),
    "synced at": "同步时间",
    "message template": "消息模板",
    "message templates": "消息模板",
    "Sending": "发送中",
    "Sent, not yet delivered": "已发送，尚未送达",
    "Refused by WeChat": "被微信拒绝",
    "Delivered": "已送达",
    "Blocked by the follower": "用户已拒收",
    "Not delivered: WeChat's system failed": "未送达：微信系统失败",
    "template": "模板",
    "data": "数据",
    "Each keyword's value.": "每个关键词的值。",
    "mini program AppID": "小程序 AppID",
    "client_msg_id": "client_msg_id",
    "WeChat sends one message per openid and client_msg_id in 10 minutes.": (
        "同一 openid 与 client_msg_id 在 10 分钟内微信只发送一条消息。"
    ),
    "msgid": "msgid",
    "status": "状态",
    "error": "错误",
    "sent at": "发送时间",
    "finished at": "完成时间",
    "When WeChat's TEMPLATESENDJOBFINISH event told how the sending went.": (
        "微信的 TEMPLATESENDJOBFINISH 事件告知发送结果的时间。"
    ),
    "template message": "模板消息",
    "template messages": "模板消息",
    "FromUserName.": "FromUserName。",
    "MsgType.": "MsgType。",
    "event": "事件",
    "MsgId": "MsgId",
    "Blank for most events.": "大多数事件为空。",
    "summary": "摘要",
    "A text's content, an event's key.": "文本消息的内容、事件的 key。",
    "fields": "字段",
    "Every field WeChat sent.": "微信发来的全部字段。",
    "CreateTime.": "CreateTime。",
    "received at": "接收时间",
    "inbound message": "收到的消息",
    "inbound messages": "收到的消息",
    "template “%(title)s” has no keyword %(keyword)s; its keywords are %(keywords)s.": (
        "模板“%(title)s”没有关键词 %(keyword)s；它的关键词是 %(keywords)s。"
    ),
    "a value is required.": "必须填写。",
    "WeChat does not show line breaks.": "微信不显示换行。",
    "%(length)d characters; WeChat allows at most %(limit)d.": (
        "%(length)d 个字；微信最多允许 %(limit)d 个。"
    ),
    "a mini program needs its appid.": "小程序需要填写 appid。",
    "the follower's openid is required.": "必须提供用户的 openid。",
    "account %(account)s has no template %(template_id)s: run “manage.py "
    "wechat_sync_templates” to fetch its templates from WeChat.": (
        "公众号 %(account)s 没有模板 %(template_id)s：请运行"
        "“manage.py wechat_sync_templates”从微信获取模板。"
    ),
    "template “%(title)s” was removed on WeChat.": "模板“%(title)s”已在微信删除。",
    "the URL must start with http:// or https://.": "URL 必须以 http:// 或 https:// 开头。",
    "the openid is not a follower of this account": "该 openid 不是本公众号的用户",
    "the template_id is not valid": "template_id 无效",
    "the template_id is not a template of this account": "template_id 不是本公众号的模板",
    "the form_id is not valid": "form_id 无效",
    "the follower has unfollowed the account": "用户已取消关注本公众号",
    "the follower refused messages from the account": "用户已拒收本公众号的消息",
    "the daily quota of template messages is used up (100,000 a day)": (
        "模板消息的每日调用次数已用完（每日 10 万次）"
    ),
    "the data is not valid JSON": "data 不是有效的 JSON",
    "a keyword's value is missing or breaks its rule": "某个关键词的值缺失或不符合规则",
    "errcode %(errcode)s: %(errmsg)s": "errcode %(errcode)s：%(errmsg)s",
    "WeChat refused the message: %(meaning)s (%(answer)s).": (
        "微信拒绝了该消息：%(meaning)s（%(answer)s）。"
    ),
    "WeChat refused the message (%(answer)s).": "微信拒绝了该消息（%(answer)s）。",
    "Follower": "用户",
    "follower": "用户",
    "The nickname or openid of a WeChat user of this account.": (
        "本公众号一位微信用户的昵称或 openid。"
    ),
    "The page the message opens (optional).": "点击消息打开的网页（可选）。",
    "Mini program AppID": "小程序 AppID",
    "Open a mini program page instead (WeChat prefers it to the URL).": (
        "改为打开小程序页面（两者都填时微信优先跳转小程序）。"
    ),
    "Mini program page": "小程序页面",
    "At most %(limit)d characters, on one line.": "最多 %(limit)d 个字，不能换行。",
    "Several followers are called %(name)s: give the openid.": (
        "有多位用户叫 %(name)s：请填写 openid。"
    ),
    "No WeChat user of account %(account)s has this nickname or openid.": (
        "公众号 %(account)s 没有使用该昵称或 openid 的微信用户。"
    ),
    "A mini program page needs its AppID.": "小程序页面需要填写小程序 AppID。",
    "test": "测试",
    "Send a test message": "发送测试消息",
    "Could not sync the templates: %(error)s": "无法同步模板：%(error)s",
    "Templates of account %(account)s synced from WeChat: %(added)d added, %(changed)d "
    "changed, %(removed)d removed.": (
        "已从微信同步公众号 %(account)s 的模板：新增 %(added)d 个，更改 %(changed)d 个，"
        "删除 %(removed)d 个。"
    ),
    "This template was removed on WeChat; it can no longer be sent.": (
        "该模板已在微信删除，不能再发送。"
    ),
    "Sync from WeChat": "从微信同步",
    "WeChat accepted the message: msgid %(msgid)s (%(status)s).": (
        "微信已接受该消息：msgid %(msgid)s（%(status)s）。"
    ),
    "See it in the sent log": "在发送记录中查看",
    "Send": "发送",
    "Fetch the account's template messages' templates from WeChat "
    "(get_all_private_template) into the database.": (
        "从微信获取公众号的模板消息模板（get_all_private_template）并存入数据库。"
    ),
    "added": "新增",
    "changed": "更改",
    "removed": "删除",
    "%(what)s: %(title)s (%(template_id)s), keywords %(keywords)s": (
        "%(what)s：%(title)s（%(template_id)s），关键词 %(keywords)s"
    ),
    "Account %(account)s: %(added)d added, %(changed)d changed, %(removed)d removed, "
    "%(unchanged)d unchanged.": (
        "公众号 %(account)s：新增 %(added)d 个，更改 %(changed)d 个，删除 %(removed)d 个，"
        "未变 %(unchanged)d 个。"
    ),
    "Delete the inbound messages received more than --older-than DAYS days ago.": (
        "删除 --older-than DAYS 天以前收到的消息。"
    ),
    "Delete what was received more than this many days ago (0: everything).": (
        "删除多少天以前收到的消息（0：全部删除）。"
    ),
    "Only this account's messages.": "只删除该公众号的消息。",
    "--older-than must be 0 or more days.": "--older-than 必须是 0 或更多天。",
    "Deleted %(count)d inbound messages older than %(days)d days.": (
        "已删除 %(count)d 条 %(days)d 天以前收到的消息。"
    ),
    # --- follower sync (issue 14): sync/followers.py, wechat_sync_users, the follower admin ---
    "tags": "标签",
    "Refresh from WeChat": "从微信刷新",
    "Refreshed from WeChat: %(count)d followers, %(changed)d changed.": (
        "已从微信刷新 %(count)d 位粉丝，其中 %(changed)d 位有变化。"
    ),
    "Send a text message": "发送文本消息",
    "WeChat delivers a customer-service message only to followers who wrote to the account "
    "(or clicked its menu, followed it, scanned its QR code) in the last 48 hours.": (
        "微信只把客服消息送达 48 小时内给公众号发过消息（或点击菜单、关注、扫描二维码）的粉丝。"
    ),
    "Add a tag": "添加标签",
    "Remove a tag": "移除标签",
    "Removed the tag “%(tag)s” from followers: %(count)d.": (
        "已为 %(count)d 位粉丝移除标签“%(tag)s”。"
    ),
    "Added the tag “%(tag)s” to followers: %(count)d.": "已为 %(count)d 位粉丝添加标签“%(tag)s”。",
    "Followers of other accounts left alone: %(count)d.": "未处理其他公众号的粉丝：%(count)d 位。",
    "Remove the tag": "移除该标签",
    "Add the tag": "添加该标签",
    "Messages sent: %(count)d.": "已发送消息：%(count)d 条。",
    "WeChat refused the message to %(names)s (errcode 45015): a customer-service message "
    "reaches a follower only within 48 hours of their last message to the account, menu "
    "click, follow or QR code scan. Reach them once they write again, or with a template "
    "message.": (
        "微信拒绝了发给 %(names)s 的消息（errcode 45015）：客服消息只能在粉丝最后一次给公众号"
        "发消息、点击菜单、关注或扫描二维码后的 48 小时内送达。请等他们再次发消息，或改用模板消息。"
    ),
    "WeChat refused: errcode %(errcode)s (%(errmsg)s).": (
        "微信拒绝：errcode %(errcode)s（%(errmsg)s）。"
    ),
    "WeChat could not be reached: %(error)s": "无法连接微信：%(error)s",
    "Message": "消息",
    "Tag": "标签",
    "Tags come from WeChat: manage.py wechat_sync_users syncs them.": (
        "标签来自微信：由 manage.py wechat_sync_users 同步。"
    ),
    "Chosen followers:": "已选粉丝：",
    "and %(more)s more": "另有 %(more)s 位",
    "Broadcast %(id)s started for %(count)d followers of account %(account)s.": (
        "群发 %(id)s 已开始，发给公众号 %(account)s 的 %(count)d 位粉丝。"
    ),
    "Its progress is on its page.": "进度见它的页面。",
    "This form was sent already (twice clicked, or the page reloaded): nothing was done "
    "again. To do it again, choose the action again from the list.": (
        "这个表单已经提交过了（点击了两次，或重新加载了页面）：没有再次执行。"
        "如需再做一次，请从列表中重新选择该操作。"
    ),
    "This form did not come from its page: nothing was done. Choose the action again from "
    "the list.": "这个表单不是从它的页面提交的：什么也没有做。请从列表中重新选择该操作。",
    "A text to more than %(count)d followers goes out as a broadcast, and you may not start "
    "broadcasts (the “add broadcast” permission). Choose at most %(count)d followers.": (
        "发给超过 %(count)d 位粉丝的文本以群发方式发出，而你没有发起群发的权限"
        "（“add broadcast”）。请最多选择 %(count)d 位粉丝。"
    ),
    "Could not start the broadcast (%(id)s, now cancelled): %(error)s": (
        "无法开始群发（%(id)s，已取消）：%(error)s"
    ),
    "Sync the account's followers from WeChat: new followers, or every profile with --full; "
    "a sync that was stopped resumes where it stopped.": (
        "从微信同步公众号的粉丝：只同步新粉丝，或用 --full 同步全部资料；中断的同步会从中断处继续。"
    ),
    "Fetch every follower's profile, not only new followers', and mark those no longer "
    "following as unsubscribed.": (
        "获取所有粉丝的资料（不只新粉丝），并把已不再关注的标为已取消关注。"
    ),
    "How many profile calls to WeChat are in flight at once (default 4).": (
        "同时向微信发出多少个资料请求（默认 4）。"
    ),
    "No progress bar and no progress lines.": "不显示进度条，也不输出进度行。",
    "--workers must be at least 1.": "--workers 至少为 1。",
    "The sync stopped, its progress saved (the next run resumes): %(error)s": (
        "同步已停止，进度已保存（下次运行会继续）：%(error)s"
    ),
    "Resuming the sync of account %(account)s at %(done)d of %(total)d.": (
        "继续公众号 %(account)s 的同步：已完成 %(done)d / %(total)d。"
    ),
    "%(done)d/%(total)d followers (%(rate).0f/s)": "%(done)d/%(total)d 位粉丝（%(rate).0f/秒）",
    "Followers": "粉丝",
    "%(rate).0f/s": "%(rate).0f/秒",
    "WeChat's id of the tag.": "微信的标签 id。",
    "followers": "粉丝",
    "How many followers WeChat counts with the tag.": "微信统计的带此标签的粉丝数。",
    "tag": "标签",
    "running": "进行中",
    "stopped": "已停止",
    "done": "已完成",
    "pass": "轮次",
    "Counts the passes; a new pass starts from the top.": "同步轮次计数；新一轮从头开始。",
    "full pass": "完整同步",
    "next_openid": "next_openid",
    "done in this page": "本页已完成",
    "followers on WeChat": "微信上的粉丝数",
    "followers synced": "已同步粉丝数",
    "created": "新建",
    "updated": "更新",
    "API calls": "API 调用次数",
    "message": "消息",
    "started at": "开始时间",
    "follower sync": "粉丝同步",
    "follower syncs": "粉丝同步",
    "sync pass": "同步轮次",
    "Stopped: WeChat's daily quota of %(api)s is used up (errcode 45009%(limit)s). %(done)d "
    "of %(total)d followers are synced and the progress is saved: run the sync again once "
    "the quota is renewed (daily) and it resumes here.": (
        "已停止：%(api)s 的微信每日调用额度已用完（errcode 45009%(limit)s）。已同步 %(done)d / "
        "%(total)d 位粉丝，进度已保存：额度恢复后（每天）再运行同步，会从这里继续。"
    ),
    ", %(limit)s calls a day": "，每天 %(limit)s 次",
    "Synced %(done)d followers of account %(account)s: %(created)d new, %(updated)d changed, "
    "%(unchanged)d unchanged, %(unsubscribed)d marked unsubscribed; %(calls)d API calls.": (
        "已同步公众号 %(account)s 的 %(done)d 位粉丝：新增 %(created)d，变化 %(updated)d，"
        "未变 %(unchanged)d，标为取消关注 %(unsubscribed)d；API 调用 %(calls)d 次。"
    ),
    "Resumed the sync that had stopped. %(message)s": "已继续之前中断的同步。%(message)s",
    # --- background work (issue 15): taskapi.py, deferred.py, tasks.py, models/tasks.py, broadcasts
    "%(reply)s has no customer-service form.": "%(reply)s 无法作为客服消息发送。",
    "queued": "排队中",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "失败",
    "message key": "消息键",
    "handler": "处理函数",
    "runs": "运行次数",
    "deferred reply": "延后回复",
    "deferred replies": "延后回复",
    "customer-service text": "客服文本消息",
    "paused by the daily quota": "因每日配额暂停",
    "cancelled": "已取消",
    "payload": "内容",
    "batch size": "批大小",
    "concurrency": "并发数",
    "How many batches may run at once.": "同时最多运行的批次数。",
    "broadcast": "群发",
    "broadcasts": "群发",
    "pending": "待发送",
    "blocked": "被阻止",
    "batch": "批次",
    "error code": "错误码",
    "broadcast recipient": "群发接收者",
    "broadcast recipients": "群发接收者",
    (
        "django_wechat's background work (defer=True handlers, broadcasts, scheduled syncs) "
        "needs Django's Tasks framework: Django 6.0+, or on Django 5.2 the backport (pip "
        "install 'django-wechat-oa[tasks]', and 'django_tasks' in INSTALLED_APPS)."
    ): (
        "django_wechat 的后台任务（defer=True 处理函数、群发、定时同步）需要 Django 的 Tasks "
        "框架：Django 6.0 及以上，或在 Django 5.2 上使用其移植版（pip install "
        "'django-wechat-oa[tasks]'，并把 'django_tasks' 加入 INSTALLED_APPS）。"
    ),
    "defer=True handlers (%(names)s) need Django's Tasks framework.": (
        "defer=True 处理函数（%(names)s）需要 Django 的 Tasks 框架。"
    ),
    (
        "Use Django 6.0+, or install the backport: pip install 'django-wechat-oa[tasks]' and "
        "add 'django_tasks' to INSTALLED_APPS."
    ): (
        "请使用 Django 6.0 及以上，或安装移植版：pip install 'django-wechat-oa[tasks]'，"
        "并把 'django_tasks' 加入 INSTALLED_APPS。"
    ),
    (
        "defer=True handlers (%(names)s) run inside the callback: the default task backend "
        "is Django's ImmediateBackend."
    ): (
        "defer=True 处理函数（%(names)s）会在回调请求中运行：默认任务后端是 Django 的 "
        "ImmediateBackend。"
    ),
    (
        "Configure settings.TASKS with a backend that has workers, e.g. "
        "django_tasks_db.DatabaseBackend and run manage.py db_worker."
    ): (
        "请在 settings.TASKS 中配置有工作进程的后端，例如 django_tasks_db.DatabaseBackend，"
        "并运行 manage.py db_worker。"
    ),
    "progress": "进度",
    "sent / failed / blocked / remaining": "已发送 / 失败 / 被阻止 / 剩余",
    "Cancel the selected broadcasts": "取消所选群发",
    "Broadcasts cancelled: %(n)d.": "已取消群发：%(n)d 个。",
    "Resume the selected broadcasts": "继续所选群发",
    "Broadcasts resumed: %(n)d.": "已继续群发：%(n)d 个。",
    "A broadcast sends either a text or a template message.": (
        "一次群发只能发送文本或模板消息之一。"
    ),
    "batch_size and concurrency must be at least 1.": "batch_size 和 concurrency 至少为 1。",
    (
        "Send a customer-service text (--text) or a template message (--template) to every "
        "follower, a tag's or some openids, as background tasks; --status, --cancel and "
        "--resume follow and steer a broadcast."
    ): (
        "以后台任务向全部粉丝、某个标签的粉丝或指定 openid 发送客服文本（--text）或模板消息"
        "（--template）；--status、--cancel 和 --resume 用于查看和控制群发。"
    ),
    "A customer-service text (followers within 48 hours).": (
        "客服文本消息（48 小时内互动过的粉丝）。"
    ),
    "A template's id.": "模板 ID。",
    'The template\'s data as JSON: {"keyword": "value"}.': (
        '模板数据（JSON）：{"keyword": "value"}。'
    ),
    "The template message's link.": "模板消息的链接。",
    "Only the followers with this tag id.": "只发给带有此标签 ID 的粉丝。",
    "Only this follower (repeatable).": "只发给此粉丝（可重复）。",
    "Followers per batch.": "每批的粉丝数。",
    "Show a broadcast's progress (without ID: the latest ten).": (
        "显示群发进度（不带 ID：最近十个）。"
    ),
    "Cancel a broadcast.": "取消群发。",
    "Resume a paused or interrupted broadcast.": "继续已暂停或中断的群发。",
    "Broadcast %(id)s is not running or paused.": "群发 %(id)s 不在运行或暂停状态。",
    "Broadcast %(id)s cancelled.": "群发 %(id)s 已取消。",
    "Stay until the broadcast stops running, showing its progress (with a new broadcast, "
    "--resume or --status ID).": (
        "等到群发不再运行为止，并显示进度（用于新群发、--resume 或 --status ID）。"
    ),
    "--wait follows one broadcast: a new one, --resume ID or --status ID.": (
        "--wait 只跟踪一个群发：新群发、--resume ID 或 --status ID。"
    ),
    "Broadcast %(id)s": "群发 %(id)s",
    "%(done)d/%(total)d messages (%(rate).0f/s)": "%(done)d/%(total)d 条消息（%(rate).0f/秒）",
    "No progress for %(seconds)d seconds: is a task worker running (manage.py db_worker, or "
    "your backend's)? If a worker stopped in the middle of the broadcast, --resume %(id)s "
    "sends the rest.": (
        "已经 %(seconds)d 秒没有进展：任务工作进程在运行吗"
        "（manage.py db_worker，或你所用后端的工作进程）？"
        "如果工作进程在群发中途停止，--resume %(id)s 会发送剩下的消息。"
    ),
    "Stopped waiting; broadcast %(id)s goes on in the background (--status %(id)s shows it).": (
        "已停止等待；群发 %(id)s 仍在后台进行（用 --status %(id)s 查看）。"
    ),
    "Broadcast %(id)s is paused by WeChat's daily quota: it resumes after midnight, Beijing "
    "time, when tasks can be deferred, or with --resume %(id)s.": (
        "群发 %(id)s 因微信每日额度而暂停：任务可以延后执行时，它会在北京时间午夜后继续；"
        "也可以用 --resume %(id)s 继续。"
    ),
    "Broadcast %(id)s was cancelled.": "群发 %(id)s 已被取消。",
    "Give --text or --template (one of them).": "请给出 --text 或 --template（二选一）。",
    "--data is not JSON: %(error)s": "--data 不是 JSON：%(error)s",
    "Broadcast %(id)s started: %(total)d followers.": "群发 %(id)s 已开始：%(total)d 位粉丝。",
    "No broadcast %(id)s.": "没有群发 %(id)s。",
    "Broadcast %(id)s is done or cancelled.": "群发 %(id)s 已完成或已取消。",
    "Broadcast %(id)s resumed.": "群发 %(id)s 已继续。",
    (
        "#%(id)s %(kind)s %(state)s: %(percent)d%% — sent %(sent)d, failed %(failed)d, "
        "blocked %(blocked)d, remaining %(remaining)d of %(total)d"
    ): (
        "#%(id)s %(kind)s %(state)s：%(percent)d%% — 已发送 %(sent)d，失败 %(failed)d，"
        "被阻止 %(blocked)d，剩余 %(remaining)d，共 %(total)d"
    ),
    # --- issue 17: when the cache fails or a worker dies (dispatch, request_checks, checks)
    "The WeChat cache is unavailable; WeChat will deliver the message again.": (
        "微信缓存不可用；微信会再次推送这条消息。"
    ),
    "WECHAT['CACHE_FAILURE'] is %(value)r; it must be one of %(choices)s.": (
        "WECHAT['CACHE_FAILURE'] 的值为 %(value)r，必须是以下之一：%(choices)s。"
    ),
    "'refuse' (the default) answers 503 while the cache fails, so WeChat delivers the "
    "message again; 'answer' runs the handler without de-duplication. Plain-mode accounts "
    "always refuse.": (
        "'refuse'（默认）在缓存故障期间回复 503，微信会再次推送消息；'answer' 则不去重直接"
        "运行处理函数。明文模式的公众号总是拒绝。"
    ),
    # --- issue 15: scheduled syncs started from the admin ---
    "Could not start the sync in the background: %(error)s": "无法在后台开始同步：%(error)s",
    "Sync of account %(account)s enqueued as task %(id)s: %(status)s.": (
        "公众号 %(account)s 的同步已加入任务队列，任务 %(id)s：%(status)s。"
    ),
    "Sync in the background": "在后台同步",
    "Sync followers in the background": "在后台同步粉丝",
    "full: every profile again, and who unfollowed marked": (
        "完整同步：重新获取每位粉丝的资料，并标记已取消关注的用户"
    ),
}


# A printf-style placeholder as Python's % operator reads it (%(name)s, %r, %.0f, %%), or a
# str.format one as format_html reads it ({name}).
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]"
    r"|\{\w*\}"
)


def placeholders(text: str) -> Counter[str]:
    """The placeholders in ``text`` (``%%`` left out), counted: a translation must have the same."""
    return Counter(match.group() for match in PLACEHOLDER.finditer(text) if match.group() != "%%")


def translate(po: polib.POFile) -> list[str]:
    """Fill ``po`` from :data:`ZH_HANS`, in memory; return the problems, one line each.

    A problem is a msgid with no translation, or a translation whose placeholders differ
    from its msgid's (``msgfmt --check-format`` would refuse it; Python would raise at
    run time). Obsolete (``#~``) entries are dropped.
    """
    problems = []
    for entry in list(po):
        if entry.obsolete:
            po.remove(entry)
            continue
        translation = ZH_HANS.get(entry.msgid)
        if translation is None:
            problems.append(f"untranslated: {entry.msgid!r}")
            continue
        if placeholders(translation) != placeholders(entry.msgid):
            problems.append(f"placeholders differ: {entry.msgid!r} -> {translation!r}")
        entry.msgstr = translation
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    set_header(po, "zh_Hans", "Simplified Chinese")
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    return problems


def set_header(po: polib.POFile, language: str, team: str) -> None:
    """Our header instead of makemessages' placeholders (which ``msgfmt --check`` warns of)."""
    po.header = (
        f"django_wechat's messages ({team}).\n"
        "Generated: edit the translations in scripts/zh_hans.py, then run `make messages`."
    )
    po.metadata.update(
        {
            "Project-Id-Version": "django_wechat",
            # The catalogue's date, not the clock's, so that running this twice changes nothing.
            "PO-Revision-Date": po.metadata.get("POT-Creation-Date", ""),
            "Last-Translator": "django_wechat developers",
            "Language-Team": team,
            "Language": language,
            "Content-Type": "text/plain; charset=UTF-8",
        }
    )
    po.metadata_is_fuzzy = False


def unused(po: polib.POFile) -> list[str]:
    """Translations in :data:`ZH_HANS` that no msgid of ``po`` uses (the source changed)."""
    msgids = {entry.msgid for entry in po}
    return [msgid for msgid in ZH_HANS if msgid not in msgids]


def source_catalogue(po_path: Path) -> polib.POFile:
    """The English catalogue beside ``po_path``'s locale: msgids only (English is the source)."""
    en = polib.pofile(str(po_path.parents[2] / "en/LC_MESSAGES/django.po"))
    for entry in list(en):
        if entry.obsolete:
            en.remove(entry)
        elif "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    set_header(en, "en", "English")
    return en


def compile_mo(po_path: Path) -> None:
    """``msgfmt --check`` ``po_path`` into the .mo beside it, as ``compilemessages`` does."""
    command = ["msgfmt", "--check", "-o", str(po_path.with_suffix(".mo")), str(po_path)]
    # GNU gettext's msgfmt from PATH, on our own files.
    subprocess.run(command, check=True)  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    """Fill and compile the catalogue (or with ``--check``, only report); 1 on problems."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only check the catalogue; write nothing"
    )
    parser.add_argument("--po", type=Path, default=PO, help="the zh_Hans django.po (default: ours)")
    args = parser.parse_args(argv)

    po = polib.pofile(str(args.po))
    before = str(po)
    problems = translate(po)
    stale = unused(po)
    if args.check:
        if str(po) != before:
            problems.append(f"{args.po} differs from ZH_HANS: run scripts/zh_hans.py")
    else:
        po.save()
        en_path = args.po.parents[2] / "en/LC_MESSAGES/django.po"
        if en_path.exists():
            source_catalogue(args.po).save(str(en_path))
            compile_mo(en_path)
        compile_mo(args.po)

    for msgid in stale:
        print(f"warning: no msgid uses this translation any more: {msgid!r}")
    for problem in problems:
        print(problem)
    untranslated = sum(problem.startswith("untranslated") for problem in problems)
    print(
        f"{len(po)} messages, {untranslated} untranslated, "
        f"{len(problems) - untranslated} other problems.",
        file=sys.stderr if problems else sys.stdout,
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
