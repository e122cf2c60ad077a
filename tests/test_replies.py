"""Replies: built from a message, rendered to WeChat's XML, create_reply's conversions."""

from __future__ import annotations

import pytest

import django_wechat
from django_wechat import replies as r
from django_wechat.exceptions import ReplyError
from django_wechat.messages import BaseMessage
from django_wechat.xml import parse


@pytest.fixture
def message() -> BaseMessage:
    return django_wechat.parse_message(
        "<xml><ToUserName><![CDATA[gh_account]]></ToUserName>"
        "<FromUserName><![CDATA[o-follower]]></FromUserName><CreateTime>1409735668</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>1</MsgId></xml>"
    )


def test_text_reply_swaps_source_and_target(message: BaseMessage) -> None:
    reply = r.TextReply(message=message, content="你好 & <b>", time=1700000000)
    assert parse(reply.render()) == {
        "ToUserName": "o-follower",
        "FromUserName": "gh_account",
        "CreateTime": "1700000000",
        "MsgType": "text",
        "Content": "你好 & <b>",
    }
    assert str(reply) == reply.render()


def test_reply_time_defaults_to_now(message: BaseMessage) -> None:
    import time

    before = int(time.time())
    reply = r.TextReply(message=message, content="hi")
    assert before <= int(parse(reply.render())["CreateTime"]) <= time.time()


def test_cdata_terminator_in_content_survives(message: BaseMessage) -> None:
    content = "a]]>b]]><xml>"
    assert parse(r.TextReply(message=message, content=content).render())["Content"] == content


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (r.ImageReply(media_id="img1"), {"MsgType": "image", "Image": {"MediaId": "img1"}}),
        (r.VoiceReply(media_id="v1"), {"MsgType": "voice", "Voice": {"MediaId": "v1"}}),
        (
            r.VideoReply(media_id="m", title="标题", description="d"),
            {"MsgType": "video", "Video": {"MediaId": "m", "Title": "标题", "Description": "d"}},
        ),
        (
            r.MusicReply(
                thumb_media_id="t", title="歌", description="d", music_url="u", hq_music_url="hq"
            ),
            {
                "MsgType": "music",
                "Music": {
                    "Title": "歌",
                    "Description": "d",
                    "MusicUrl": "u",
                    "HQMusicUrl": "hq",
                    "ThumbMediaId": "t",
                },
            },
        ),
        (r.TransferCustomerServiceReply(), {"MsgType": "transfer_customer_service"}),
        (
            r.TransferCustomerServiceReply(kf_account="kf2001@gh"),
            {"MsgType": "transfer_customer_service", "TransInfo": {"KfAccount": "kf2001@gh"}},
        ),
    ],
)
def test_media_replies(
    reply: r.BaseReply, expected: dict[str, object], message: BaseMessage
) -> None:
    reply.bind(message)
    fields = parse(reply.render())
    assert fields["ToUserName"] == "o-follower"
    assert {
        k: fields[k] for k in fields if k not in ("ToUserName", "FromUserName", "CreateTime")
    } == (expected)


def test_articles_reply(message: BaseMessage) -> None:
    reply = r.ArticlesReply(
        message=message,
        articles=[
            {"title": "一", "description": "d1", "image": "http://p/1.jpg", "url": "http://u/1"},
            {"title": "二", "picurl": "http://p/2.jpg", "url": "http://u/2?a=1&b=2"},
        ],
    )
    reply.add_article({"Title": "三", "PicUrl": "http://p/3.jpg"})
    fields = parse(reply.render())
    assert fields["MsgType"] == "news"
    assert fields["ArticleCount"] == "3"
    items = fields["Articles"]["item"]
    assert [item["Title"] for item in items] == ["一", "二", "三"]
    assert items[1] == {
        "Title": "二",
        "Description": "",
        "PicUrl": "http://p/2.jpg",
        "Url": "http://u/2?a=1&b=2",
    }


def test_articles_cap(message: BaseMessage) -> None:
    articles = [{"title": str(i)} for i in range(r.MAX_ARTICLES)]
    assert (
        parse(r.ArticlesReply(message=message, articles=articles).render())["ArticleCount"] == "8"
    )
    with pytest.raises(ReplyError, match="1 to 8 articles; this one has 9"):
        r.ArticlesReply(message=message, articles=[*articles, {"title": "9"}]).render()
    with pytest.raises(ReplyError, match="has 0"):
        r.ArticlesReply(message=message).render()


def test_article_with_unknown_key(message: BaseMessage) -> None:
    with pytest.raises(ReplyError, match="'link'"):
        r.ArticlesReply(message=message, articles=[{"title": "t", "link": "x"}]).render()
    with pytest.raises(ReplyError, match="must be a dict"):
        r.ArticlesReply(message=message, articles=["t"]).render()  # type: ignore[list-item]


def test_empty_reply_renders_success(message: BaseMessage) -> None:
    assert r.EmptyReply().render() == "success"
    assert r.EmptyReply(message=message).render() == "success"


def test_reply_without_message_needs_source_and_target() -> None:
    with pytest.raises(ReplyError, match="message="):
        r.TextReply(content="x").render()
    reply = r.TextReply(source="gh", target="o", content="x")
    assert parse(reply.render())["ToUserName"] == "o"


def test_missing_media_id_is_a_reply_error(message: BaseMessage) -> None:
    with pytest.raises(ReplyError, match="media_id"):
        r.ImageReply(message=message).render()


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="contents"):
        r.TextReply(contents="typo")


def test_control_characters_are_refused(message: BaseMessage) -> None:
    with pytest.raises(ReplyError, match="control character"):
        r.TextReply(message=message, content="nul\x00").render()


def test_create_reply_conversions(message: BaseMessage) -> None:
    assert isinstance(django_wechat.create_reply(None, message), r.EmptyReply)
    text = django_wechat.create_reply("收到", message)
    assert isinstance(text, r.TextReply)
    assert parse(text.render())["Content"] == "收到"
    assert parse(text.render())["ToUserName"] == "o-follower"
    news = django_wechat.create_reply([{"title": "t", "url": "u"}], message)
    assert isinstance(news, r.ArticlesReply)
    assert parse(news.render())["ArticleCount"] == "1"


def test_create_reply_binds_a_reply_object(message: BaseMessage) -> None:
    reply = r.ImageReply(media_id="m")
    assert django_wechat.create_reply(reply, message) is reply
    assert (reply.source, reply.target) == ("gh_account", "o-follower")
    explicit = r.TextReply(source="gh_other", target="o-other")
    django_wechat.create_reply(explicit, message)
    assert (explicit.source, explicit.target) == ("gh_other", "o-other")


def test_create_reply_refuses_other_types(message: BaseMessage) -> None:
    with pytest.raises(ReplyError, match="int"):
        django_wechat.create_reply(42, message)  # type: ignore[arg-type]


@pytest.mark.parametrize("content", ["你好", "a]]>b", 42, "tab\there\nline"])
def test_text_reply_fast_render_matches_the_template(content: object) -> None:
    """TextReply spells its template out for speed; it must say what the template says."""
    reply = r.TextReply(source="gh_1", target="o_2", time=1700000000, content=content)
    assert reply.render() == r.BaseReply.render(reply)
    assert parse(reply.render())["Content"] == str(content)


def test_text_reply_subclass_with_its_own_body_renders_it() -> None:
    class Signed(r.TextReply):
        body = "<Content><![CDATA[{content} -- the bot]]></Content>"

    reply = Signed(source="gh_1", target="o_2", time=1, content="hi")
    assert parse(reply.render())["Content"] == "hi -- the bot"


@pytest.mark.parametrize("with_message", [True, False])
def test_text_reply_fast_init_matches_the_general_one(
    message: BaseMessage, with_message: bool
) -> None:
    """TextReply spells BaseReply.__init__ out for speed; it must build the same reply."""
    given = message if with_message else None
    fast = r.TextReply(message=given, content="嗨")
    general = r.TextReply.__new__(r.TextReply)
    r.BaseReply.__init__(general, given, content="嗨")
    assert abs(fast.time - general.time) <= 1
    fast.time = general.time
    assert vars(fast) == vars(general)
    assert (fast.source, fast.target) == (
        ("gh_account", "o-follower") if with_message else ("", "")
    )


def test_text_reply_subclass_keeps_its_own_defaults(message: BaseMessage) -> None:
    class Greeting(r.TextReply):
        fields = {"content": "欢迎"}  # noqa: RUF012

    assert Greeting(message=message).content == "欢迎"
    assert r.TextReply(message=message).content == ""
    with pytest.raises(TypeError, match="contents"):
        r.TextReply(message=message, contents="typo")


@pytest.mark.parametrize("content", ["", "   ", "\n"])
def test_an_empty_text_is_no_reply(message: BaseMessage, content: str) -> None:
    # WeChat shows the follower an error for an XML reply with empty Content.
    assert isinstance(r.create_reply(content, message), r.EmptyReply)
    assert r.create_reply(content, message).render() == "success"
    with pytest.raises(ReplyError, match="needs content"):
        r.TextReply(message=message, content=content).render()
