"""Passive replies (被动回复消息): what a handler answers a callback with.

Each reply is built from keyword arguments plus ``message=``, which fills ``source``
and ``target`` (the reply's ``ToUserName`` is the message's ``FromUserName`` and vice
versa), and renders to the XML WeChat expects
(https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html,
PROTOCOL.md B6). Rendering fills a precomputed template; text goes in CDATA with
``]]>`` escaped.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ._i18n import gettext as _
from .exceptions import ReplyError
from .messages import BaseMessage
from .xml import escape_cdata

__all__ = [
    "MAX_ARTICLES",
    "SUCCESS",
    "ArticlesReply",
    "BaseReply",
    "EmptyReply",
    "ImageReply",
    "MusicReply",
    "TextReply",
    "TransferCustomerServiceReply",
    "VideoReply",
    "VoiceReply",
    "create_reply",
]

#: WeChat shows at most 8 articles in a passive news reply and drops the rest
#: (PROTOCOL.md B6); we refuse more rather than lose them silently.
MAX_ARTICLES = 8

#: What a callback answers when there is nothing to say (message-push.html: "success" or
#: an empty body; either stops WeChat's retries and shows the follower nothing).
SUCCESS = "success"

_UNSET: Any = object()

_HEAD = (
    "<xml><ToUserName><![CDATA[{target}]]></ToUserName>"
    "<FromUserName><![CDATA[{source}]]></FromUserName>"
    "<CreateTime>{time}</CreateTime>"
    "<MsgType><![CDATA[{type}]]></MsgType>"
)


class BaseReply:
    """A passive reply: ``source`` (the account), ``target`` (the follower), ``time``.

    Subclasses list their fields in ``fields`` (name -> default) and their XML in
    ``body``, a template whose ``{name}`` placeholders receive the CDATA-escaped
    values.
    """

    #: ``MsgType`` of the reply.
    type: ClassVar[str] = ""
    #: Keyword arguments the reply takes beside ``source``, ``target`` and ``time``.
    fields: ClassVar[dict[str, Any]] = {}
    #: Fields that must not be empty.
    required: ClassVar[tuple[str, ...]] = ()
    body: ClassVar[str] = ""
    _template: ClassVar[str] = ""
    _allowed: ClassVar[frozenset[str]] = frozenset({"source", "target", "time"})

    source: str
    target: str
    time: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.type:
            cls._template = _HEAD.replace("{type}", cls.type) + cls.body + "</xml>"
        cls._allowed = frozenset({"source", "target", "time", *cls.fields})

    def __init__(self, message: BaseMessage | None = None, **fields: Any) -> None:
        if not fields.keys() <= self._allowed:
            unknown = fields.keys() - self._allowed
            raise TypeError(
                f"{type(self).__name__} got unknown field(s) {', '.join(sorted(unknown))}; "
                f"it takes {', '.join(['source', 'target', 'time', *self.fields])}."
            )
        get = fields.get
        if message is None:
            self.source = get("source") or ""
            self.target = get("target") or ""
        else:
            self.source = get("source") or message.target
            self.target = get("target") or message.source
        stamp = get("time")
        self.time = int(time.time()) if stamp is None else int(stamp)
        for name, default in self.fields.items():
            setattr(self, name, get(name, default))

    def bind(self, message: BaseMessage) -> None:
        """Fill ``source`` and ``target`` from ``message`` where they are not set yet."""
        if not self.source:
            self.source = message.target
        if not self.target:
            self.target = message.source

    def _check(self) -> None:
        if not self.target or not self.source:
            raise ReplyError(
                _(
                    "%(reply)s has no source or target: build it with message= "
                    "or pass source= and target=."
                )
                % {"reply": type(self).__name__}
            )
        for name in self.required:
            if not getattr(self, name):
                raise ReplyError(
                    _("%(reply)s needs %(field)s.") % {"reply": type(self).__name__, "field": name}
                )

    def _values(self) -> dict[str, str]:
        return {name: escape_cdata(str(getattr(self, name) or "")) for name in self.fields}

    def render(self) -> str:
        """The reply as WeChat XML (before any encryption)."""
        self._check()
        return self._template.format(
            target=escape_cdata(self.target),
            source=escape_cdata(self.source),
            time=self.time,
            **self._values(),
        )

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} target={self.target!r}>"


class TextReply(BaseReply):
    """A text reply: ``content``."""

    type = "text"
    fields: ClassVar[dict[str, Any]] = {"content": ""}
    body = "<Content><![CDATA[{content}]]></Content>"

    content: str

    def __init__(
        self, message: BaseMessage | None = None, *, content: Any = _UNSET, **fields: Any
    ) -> None:
        if fields or self.fields is not _TEXT_FIELDS:
            # source=, target=, time=, a misspelt name, or a subclass's own fields.
            if content is not _UNSET:
                fields["content"] = content
            super().__init__(message, **fields)
            return
        # The hot path (a handler returning a str): BaseReply.__init__ spelled out.
        if message is None:
            self.source = self.target = ""
        else:
            self.source = message.target
            self.target = message.source
        self.time = int(time.time())
        self.content = "" if content is _UNSET else content

    def render(self) -> str:
        # The hot path: one f-string (the template, spelled out), nothing else.
        if not self.target or not self.source:
            self._check()
        if self._template is not _TEXT_TEMPLATE:  # a subclass with its own body
            return super().render()
        content = self.content
        text = content if type(content) is str else str(content)
        if not text or text.isspace():
            # An XML reply with empty Content makes WeChat show the follower "该公众号暂时
            # 无法提供服务" (message-push doc); answering nothing is "success".
            raise ReplyError(
                _("A text reply needs content; return None to answer nothing (success).")
            )
        return (
            f"<xml><ToUserName><![CDATA[{escape_cdata(self.target)}]]></ToUserName>"
            f"<FromUserName><![CDATA[{escape_cdata(self.source)}]]></FromUserName>"
            f"<CreateTime>{self.time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{escape_cdata(text)}]]></Content></xml>"
        )


_TEXT_TEMPLATE = TextReply._template
_TEXT_FIELDS = TextReply.fields


class _MediaReply(BaseReply):
    """A reply carrying one uploaded ``media_id`` in an element named after the type."""

    fields: ClassVar[dict[str, Any]] = {"media_id": ""}
    required = ("media_id",)

    media_id: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        element = cls.type.capitalize()
        cls.body = f"<{element}><MediaId><![CDATA[{{media_id}}]]></MediaId></{element}>"
        super().__init_subclass__(**kwargs)


class ImageReply(_MediaReply):
    """An image reply: ``media_id`` of an uploaded image."""

    type = "image"


class VoiceReply(_MediaReply):
    """A voice reply: ``media_id`` of an uploaded voice clip."""

    type = "voice"


class VideoReply(BaseReply):
    """A video reply: ``media_id``, ``title``, ``description``."""

    type = "video"
    fields: ClassVar[dict[str, Any]] = {"media_id": "", "title": "", "description": ""}
    required = ("media_id",)
    body = (
        "<Video><MediaId><![CDATA[{media_id}]]></MediaId>"
        "<Title><![CDATA[{title}]]></Title>"
        "<Description><![CDATA[{description}]]></Description></Video>"
    )

    media_id: str
    title: str
    description: str


class MusicReply(BaseReply):
    """A music reply: ``title``, ``description``, ``music_url``, ``hq_music_url``.

    ``thumb_media_id`` (the cover) is required; the rest may be empty.
    """

    type = "music"
    fields: ClassVar[dict[str, Any]] = {
        "thumb_media_id": "",
        "title": "",
        "description": "",
        "music_url": "",
        "hq_music_url": "",
    }
    required = ("thumb_media_id",)
    body = (
        "<Music><Title><![CDATA[{title}]]></Title>"
        "<Description><![CDATA[{description}]]></Description>"
        "<MusicUrl><![CDATA[{music_url}]]></MusicUrl>"
        "<HQMusicUrl><![CDATA[{hq_music_url}]]></HQMusicUrl>"
        "<ThumbMediaId><![CDATA[{thumb_media_id}]]></ThumbMediaId></Music>"
    )

    thumb_media_id: str
    title: str
    description: str
    music_url: str
    hq_music_url: str


_ARTICLE_KEYS = {
    "title": "title",
    "description": "description",
    "url": "url",
    # wechatpy calls the picture "image"; WeChat calls it PicUrl.
    "image": "image",
    "picurl": "image",
    "pic_url": "image",
}
_ARTICLE = (
    "<item><Title><![CDATA[{title}]]></Title>"
    "<Description><![CDATA[{description}]]></Description>"
    "<PicUrl><![CDATA[{image}]]></PicUrl>"
    "<Url><![CDATA[{url}]]></Url></item>"
)


class ArticlesReply(BaseReply):
    """A news reply (图文): ``articles``, a list of dicts with ``title``, ``description``,
    ``image`` (or ``picurl``) and ``url``; 1 to :data:`MAX_ARTICLES` of them."""

    type = "news"
    fields: ClassVar[dict[str, Any]] = {"articles": None}
    body = "<ArticleCount>{count}</ArticleCount><Articles>{items}</Articles>"

    articles: list[Mapping[str, Any]]

    def __init__(self, message: BaseMessage | None = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.articles = list(self.articles or [])

    def add_article(self, article: Mapping[str, Any]) -> None:
        """Append one article."""
        self.articles.append(article)

    def _values(self) -> dict[str, str]:
        count = len(self.articles)
        if not 1 <= count <= MAX_ARTICLES:
            raise ReplyError(
                _("A news reply holds 1 to %(max)d articles; this one has %(count)d.")
                % {"max": MAX_ARTICLES, "count": count}
            )
        items = "".join(_ARTICLE.format(**_article(article)) for article in self.articles)
        return {"count": str(count), "items": items}


def _article(article: Mapping[str, Any]) -> dict[str, str]:
    if not isinstance(article, Mapping):
        raise ReplyError(
            _("Each article must be a dict, not %(type)s.") % {"type": type(article).__name__}
        )
    values = {"title": "", "description": "", "image": "", "url": ""}
    for key, value in article.items():
        name = _ARTICLE_KEYS.get(str(key).lower())
        if name is None:
            raise ReplyError(
                _("Unknown article key %(key)r; use title, description, image and url.")
                % {"key": key}
            )
        values[name] = escape_cdata(str(value or ""))
    return values


class TransferCustomerServiceReply(BaseReply):
    """Hand the conversation to customer service (``transfer_customer_service``).

    ``kf_account`` picks one agent (``name@account``); empty lets WeChat choose.
    """

    type = "transfer_customer_service"
    fields: ClassVar[dict[str, Any]] = {"kf_account": ""}
    body = "{trans_info}"

    kf_account: str

    def _values(self) -> dict[str, str]:
        if not self.kf_account:
            return {"trans_info": ""}
        account = escape_cdata(str(self.kf_account))
        return {
            "trans_info": f"<TransInfo><KfAccount><![CDATA[{account}]]></KfAccount></TransInfo>"
        }


class EmptyReply(BaseReply):
    """No reply: renders ``success``, which WeChat takes as "nothing to send".

    ``success`` needs no encryption even in safe mode (PROTOCOL.md B3, D8).
    """

    def render(self) -> str:
        return SUCCESS

    def __repr__(self) -> str:
        return "<EmptyReply>"


def create_reply(
    reply: BaseReply | str | Sequence[Mapping[str, Any]] | None,
    message: BaseMessage | None = None,
) -> BaseReply:
    """Turn what a handler returned into a reply to ``message``.

    ``None`` or an empty (or blank) ``str`` gives :class:`EmptyReply`, any other ``str``
    a :class:`TextReply`, a list of dicts an :class:`ArticlesReply`; a reply object gets
    its missing source and target from ``message``.
    """
    if reply is None:
        return EmptyReply()
    if isinstance(reply, BaseReply):
        if message is not None and not isinstance(reply, EmptyReply):
            reply.bind(message)
        return reply
    if isinstance(reply, str):
        if not reply or reply.isspace():
            # Empty Content would show the follower WeChat's error; "" means "no reply".
            return EmptyReply()
        return TextReply(message=message, content=reply)
    if isinstance(reply, list | tuple):
        return ArticlesReply(message=message, articles=list(reply))
    raise ReplyError(
        _("Cannot make a reply from %(type)s; return a Reply, a str, a list of dicts or None.")
        % {"type": type(reply).__name__}
    )
