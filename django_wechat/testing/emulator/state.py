"""What the emulator remembers: its clock, issued tokens, and each account's followers,
menu, tags, templates, media and QR codes. Plain data; the rules live in the API modules.

:class:`Emulator` is what the API modules (:mod:`.routes`) and :mod:`.push` see of
the server: they are handed the emulator, yet never import :mod:`.server`.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from ...conf import Account, AccountKind

#: WeChat's lifetime for access_token, jsapi_ticket and web OAuth tokens (seconds).
TOKEN_TTL = 7200
#: After a new cgi-bin/token, the previous token keeps working this long (AccessToken doc:
#: "刷新过程中，5分钟内，新老 access_token 都可使用").
TOKEN_OVERLAP = 300
#: stable_token renews itself when less than this is left (getStableAccessToken doc).
STABLE_RENEW_BEFORE = 300
#: OAuth codes: single use, 5 minutes (网页授权 doc: "code只能使用一次，5分钟未被使用自动过期").
CODE_TTL = 300
#: Web OAuth refresh_token: 30 days.
REFRESH_TTL = 30 * 24 * 3600
#: Temporary media are kept 3 days (新增临时素材 doc).
MEDIA_TTL = 3 * 24 * 3600
#: A follower's message opens a 48-hour customer-service window (客服消息 doc).
SERVICE_WINDOW = 48 * 3600

#: The web authorisation domains an emulated account has unless told otherwise: loopback
#: and Django's test client host.
DEFAULT_OAUTH_DOMAINS = frozenset({"localhost", "127.0.0.1", "::1", "testserver"})

#: Nicknames of the demo followers (what sns/userinfo answers after consent).
DEMO_NICKNAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏"]
DEMO_CITIES = [
    ("广东", "深圳"),
    ("北京", "北京"),
    ("上海", "上海"),
    ("浙江", "杭州"),
    ("四川", "成都"),
    ("湖北", "武汉"),
    ("江苏", "南京"),
    ("陕西", "西安"),
]


class Clock:
    """The emulator's time: the wall clock plus an offset that tests move forward.

    ``emulator.clock.advance(7200)`` makes every token two hours older at once.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """The emulated time, in seconds since the epoch."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulated time forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("The emulator's clock only moves forward.")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        """Back to the wall clock."""
        with self._lock:
            self._offset = 0.0

    def __repr__(self) -> str:
        return f"<Clock offset={self._offset:+.0f}s>"


@dataclass
class Token:
    """An access_token (base, ``cgi-bin/token`` or ``stable_token``) or a web OAuth token."""

    value: str = field(repr=False)
    app_id: str
    kind: str  # "token" | "stable" | "oauth"
    issued_at: float
    expires_at: float
    #: When set: from this moment on the token is refused with 40001 (replaced or revoked).
    revoked_at: float | None = None
    openid: str = ""
    scope: str = ""

    def check(self, now: float) -> int:
        """0 when usable, else WeChat's errcode: 40001 replaced/revoked, 42001 expired."""
        if self.revoked_at is not None and now >= self.revoked_at:
            return 40001
        if now >= self.expires_at:
            return 42001
        return 0


@dataclass
class Code:
    """A single-use code: an OAuth ``code`` or a mini program ``js_code``."""

    app_id: str
    openid: str
    scope: str
    expires_at: float
    used: bool = False
    #: Given on a snapshot page (快照页): exchanged for a virtual user, ``is_snapshotuser: 1``.
    snapshot: bool = False


@dataclass
class Follower:
    """A user following the account."""

    openid: str
    nickname: str
    unionid: str
    subscribe: int = 1
    subscribe_time: int = 0
    sex: int = 0
    province: str = ""
    city: str = ""
    country: str = "中国"
    language: str = "zh_CN"
    headimgurl: str = ""
    remark: str = ""
    tagid_list: list[int] = field(default_factory=list)
    subscribe_scene: str = "ADD_SCENE_QR_CODE"
    qr_scene: int = 0
    qr_scene_str: str = ""
    #: When the follower last sent the account a message (opens the 48-hour window).
    last_message_at: float | None = None
    #: The follower's WeChat client: 1 iOS, 2 Android, 3 other (the values of a
    #: conditional menu's ``client_platform_type``). No API tells it; menu/trymatch uses it.
    client_platform_type: int = 3
    #: The phone number a mini program's getPhoneNumber button gives (mainland, 11 digits).
    phone: str = ""

    def info(self) -> dict[str, Any]:
        """``cgi-bin/user/info`` for this follower.

        Since 2021-12-27 user/info no longer returns nickname, sex, city, country,
        province or headimgurl (公告 "获取用户基本信息接口调整"); only sns/userinfo does.
        """
        if not self.subscribe:
            return {"subscribe": 0, "openid": self.openid}
        return {
            "subscribe": 1,
            "openid": self.openid,
            "language": self.language,
            "subscribe_time": self.subscribe_time,
            "unionid": self.unionid,
            "remark": self.remark,
            "groupid": 0,
            "tagid_list": list(self.tagid_list),
            "subscribe_scene": self.subscribe_scene,
            "qr_scene": self.qr_scene,
            "qr_scene_str": self.qr_scene_str,
        }

    def sns_info(self) -> dict[str, Any]:
        """``sns/userinfo`` for this follower (after snsapi_userinfo consent).

        Since 2021-10 WeChat keeps the sex and region fields but blanks them (用户信息相关
        接口调整公告): nickname and avatar are all it still tells.
        """
        return {
            "openid": self.openid,
            "nickname": self.nickname,
            "sex": 0,
            "province": "",
            "city": "",
            "country": "",
            "headimgurl": self.headimgurl,
            "privilege": [],
            "unionid": self.unionid,
        }


@dataclass
class Media:
    """A temporary media file."""

    media_id: str
    type: str
    filename: str
    content_type: str
    content: bytes = field(repr=False)
    created_at: int

    @property
    def extension(self) -> str:
        """The uploaded file's extension, lower case."""
        return self.filename.rsplit(".", 1)[-1].lower()


@dataclass
class AccountState:
    """Everything the emulator holds for one Official Account."""

    account: Account
    followers: dict[str, Follower] = field(default_factory=dict)
    #: The current base access_token of each kind ("token", "stable").
    current: dict[str, Token] = field(default_factory=dict)
    #: Current tickets by type ("jsapi", "wx_card"): (ticket, expires_at).
    tickets: dict[str, tuple[str, float]] = field(default_factory=dict)
    #: The default menu (``{"button": [...]}``), as menu/create stored it.
    menu: dict[str, Any] | None = None
    #: The default menu's menuid (menu/get shows it once there are conditional menus).
    menu_id: int = 0
    #: Conditional menus (``{"button", "matchrule", "menuid"}``), oldest first.
    conditional_menus: list[dict[str, Any]] = field(default_factory=list)
    #: A menu made in WeChat's web console (get_current_selfmenu_info's buttons); see
    #: routes.menu.set_console_menu.
    console_menu: list[dict[str, Any]] | None = None
    next_menu_id: int = 208379533
    tags: dict[int, str] = field(default_factory=lambda: {2: "星标组"})
    next_tag_id: int = 100
    industry: tuple[int, int] | None = None
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    qrcodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Customer-service and template messages delivered, in order.
    sent: list[dict[str, Any]] = field(default_factory=list)
    #: The account's web authorisation domains (网页授权域名): ``connect/oauth2/authorize``
    #: redirects only to these hosts (or ``host:port``), else WeChat's error 10003.
    oauth_domains: set[str] = field(default_factory=lambda: set(DEFAULT_OAUTH_DOMAINS))
    #: A mini program's current session_key of each openid (jscode2session issues them).
    session_keys: dict[str, str] = field(default_factory=dict)
    #: Openids jscode2session refuses as high-risk users (40226).
    high_risk: set[str] = field(default_factory=set)
    #: The site's callback URL (公众平台 → 服务器地址): where events such as
    #: ``TEMPLATESENDJOBFINISH`` are pushed. None: no event is pushed.
    callback_url: str | None = None
    #: The ``Status`` of the ``TEMPLATESENDJOBFINISH`` pushed after each template send:
    #: ``"success"``, ``"failed:user block"`` or ``"failed: system failed"``; None for none.
    template_job_status: str | None = "success"
    #: (openid, client_msg_id) of each template send to (msgid, time): a repeat within 10
    #: minutes is answered with the first msgid and not delivered again.
    client_msg_ids: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)
    #: Events to push to :attr:`callback_url` once the current call is answered.
    outbox: list[dict[str, Any]] = field(default_factory=list)
    #: How many followers ``o-gen-000000001`` ... the account has besides :attr:`followers`:
    #: made on demand (:func:`generated_follower`), so 1,000,000 cost nothing up front. One
    #: that an API changes (a tag, a remark, an unfollow) is kept in :attr:`followers`.
    generated: int = 0

    @property
    def app_id(self) -> str:
        return self.account.app_id

    def lookup(self, openid: str) -> Follower | None:
        """The follower ``openid`` for reading: a generated one is made, not kept."""
        follower = self.followers.get(openid)
        if follower is None and (n := generated_number(openid)) and n <= self.generated:
            follower = generated_follower(n)
        return follower

    def follower(self, openid: str) -> Follower | None:
        """The follower ``openid`` for changing: a generated one is kept from now on."""
        follower = self.lookup(openid)
        if follower is not None:
            self.followers.setdefault(openid, follower)
        return follower

    def subscribed_openids(self, after: str = "") -> Iterator[str]:
        """Followers' openids in user/get's order, starting after ``after``: the seeded ones,
        then the generated ones. KeyError when ``after`` is no follower."""
        start = 1
        seeded = [o for o in self.followers if not generated_number(o)]
        if after and 0 < generated_number(after) <= self.generated:
            seeded, start = [], generated_number(after) + 1
        elif after:
            if after not in seeded:
                raise KeyError(after)
            seeded = seeded[seeded.index(after) + 1 :]
        return self._subscribed(seeded, start)

    def _subscribed(self, seeded: list[str], start: int) -> Iterator[str]:
        for openid in seeded:
            if self.followers[openid].subscribe:
                yield openid
        for n in range(start, self.generated + 1):
            openid = generated_openid(n)
            kept = self.followers.get(openid)
            if kept is None or kept.subscribe:
                yield openid

    def subscribed_count(self) -> int:
        """How many follow the account (user/get's ``total``)."""
        kept = sum(1 for o, f in self.followers.items() if f.subscribe and not generated_number(o))
        left = sum(
            1
            for o, f in self.followers.items()
            if not f.subscribe and 0 < generated_number(o) <= self.generated
        )
        return kept + self.generated - left

    @property
    def original_id(self) -> str:
        """The account's original id (``gh_...``), the ToUserName of its callbacks."""
        return "gh_" + self.app_id[-12:]


_OPENID_PREFIXES = {
    AccountKind.OFFICIAL: "o-demo",
    AccountKind.WEBSITE: "o-web",
    AccountKind.MINIPROGRAM: "o-mp",
}


def seed_account(account: Account, followers: int, now: float) -> AccountState:
    """A fresh account with ``followers`` demo followers ``o-demo-follower-1`` ...
    (``o-web-follower-1`` ... for a website app, ``o-mp-follower-1`` ... for a mini
    program: the same people, so the same unionids).

    Each demo follower has just written to the account, so the 48-hour
    customer-service window is open until the clock moves past it.
    """
    state = AccountState(account)
    # One person has another openid in each app, and the same unionid in all of them.
    prefix = _OPENID_PREFIXES[account.kind]
    for n in range(1, followers + 1):
        province, city = DEMO_CITIES[(n - 1) % len(DEMO_CITIES)]
        follower = Follower(
            openid=f"{prefix}-follower-{n}",
            nickname=DEMO_NICKNAMES[(n - 1) % len(DEMO_NICKNAMES)]
            + ("" if n <= len(DEMO_NICKNAMES) else str(n)),
            unionid=f"u-demo-follower-{n}",
            subscribe_time=int(now) - 86400 * n,
            sex=1 + n % 2,
            province=province,
            city=city,
            headimgurl=f"https://thirdwx.qlogo.cn/mmopen/demo-follower-{n}/132",
            last_message_at=now,
            client_platform_type=1 if n % 2 else 2,  # odd iOS, even Android
            phone=f"1380013{n:04d}",
        )
        state.followers[follower.openid] = follower
    return state


GENERATED_PREFIX = "o-gen-"


def generated_openid(n: int) -> str:
    """The openid of the ``n``-th generated follower (from 1)."""
    return f"{GENERATED_PREFIX}{n:09d}"


def generated_number(openid: str) -> int:
    """``n`` for a generated follower's openid, else 0."""
    if not openid.startswith(GENERATED_PREFIX):
        return 0
    digits = openid[len(GENERATED_PREFIX) :]
    return int(digits) if digits.isdigit() and len(digits) == 9 else 0


#: The languages generated followers use, in turn.
GENERATED_LANGUAGES = ("zh_CN", "zh_CN", "en", "zh_TW")


def generated_follower(n: int) -> Follower:
    """The ``n``-th generated follower: the same every time it is made."""
    return Follower(
        openid=generated_openid(n),
        nickname=f"粉丝{n}",
        unionid=f"u-gen-{n:09d}" if n % 3 else "",
        subscribe_time=1_600_000_000 + n * 37,
        language=GENERATED_LANGUAGES[n % len(GENERATED_LANGUAGES)],
        subscribe_scene="ADD_SCENE_SEARCH" if n % 2 else "ADD_SCENE_QR_CODE",
        qr_scene=0 if n % 2 else n % 1000,
    )


def new_token(prefix: str = "") -> str:
    """A token value: opaque, URL-safe, about as long as WeChat's (~150 characters)."""
    return prefix + secrets.token_urlsafe(108)


class Emulator(Protocol):
    """The emulator as its APIs see it; :class:`~.server.WeChatEmulator` is one."""

    #: New cgi-bin/token invalidates the previous token at once (no overlap).
    strict_token_rotation: bool
    #: The openid ``connect/oauth2/authorize`` approves as without a consent page.
    oauth_auto_approve: str | None
    #: How many openids ``cgi-bin/user/get`` returns per page.
    user_page_size: int
    #: Whether push may deliver to a host other than loopback.
    allow_remote_push: bool

    @property
    def clock(self) -> Clock:
        """The emulated time."""

    @property
    def lock(self) -> AbstractContextManager[Any]:
        """The lock around all state."""

    @property
    def url(self) -> str:
        """The emulator's base URL."""

    @property
    def tokens(self) -> dict[str, Token]:
        """Every token issued, by value."""

    @property
    def codes(self) -> dict[str, Code]:
        """Every OAuth and mini program code issued, by value."""

    @property
    def qr_tickets(self) -> dict[str, str]:
        """QR code tickets to the AppID that made them."""

    @property
    def states(self) -> dict[str, AccountState]:
        """Each account's state, by AppID."""

    def state(self, account: Any = None) -> AccountState:
        """An account's state, by AppID, name or Account; the first one by default."""
