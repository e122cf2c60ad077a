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
    # --- conf.py: system checks ---------------------------------------------------------------
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
    "The request has no valid timestamp.": "请求中没有有效的时间戳（timestamp）。",
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
    "Refusing to listen on %(host)s: anyone who can reach it could use "
    "the emulator. Use --allow-remote to listen beyond loopback anyway.": (
        "拒绝监听 %(host)s：任何能访问它的人都能使用模拟器。"
        "如仍要监听本机回环以外的地址，请使用 --allow-remote。"
    ),
    "Warning: listening on %(host)s, beyond loopback: anyone who can "
    "reach it can call the emulator's API.": (
        "警告：正在监听本机回环以外的 %(host)s：任何能访问它的人都能调用模拟器的 API。"
    ),
    "%(reason)s The emulator can sign callbacks with their TOKEN and AES "
    "key. Use --allow-real-accounts to start it anyway.": (
        "%(reason)s模拟器能用它们的 TOKEN 和 AES 密钥为回调签名。"
        "如仍要启动，请使用 --allow-real-accounts。"
    ),
    "Warning: %(reason)s": "警告：%(reason)s",
    "Quit with CONTROL-C.": "按 CONTROL-C 退出。",
    "WeChat emulator stopped.": "微信模拟器已停止。",
    # --- testing/emulator_oauth.py: the emulated 网页授权 consent page ----------------------
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
}


# A printf-style placeholder as Python's % operator reads it: %(name)s, %r, %.0f, %%.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]"
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
