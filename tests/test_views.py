"""CallbackView's steps can be overridden: a subclass mounted in a site's own URLconf
changes one step and keeps every check of the others."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_wechat import handler
from django_wechat.handlers import Registry
from django_wechat.testing import callback_request, clear_wechat_cache, read_reply
from tests.urls_steps import NOTICE

pytestmark = pytest.mark.urls("tests.urls_steps")


@pytest.fixture(autouse=True)
def _no_earlier_messages() -> None:
    """An event is known by its follower and second: one sent by an earlier test in the
    same second would be taken for a retry."""
    clear_wechat_cache()


@pytest.fixture
def runs(handlers: Registry) -> list[str]:
    seen: list[str] = []

    @handler()
    def record(message: Any, **kwargs: Any) -> str:
        seen.append(message.type)
        return "from the handler"

    return seen


@pytest.mark.parametrize("account", ["default", "compatible", "plain"])
def test_an_overridden_answer_step_replies_sealed_as_the_message_came(
    account: str, runs: list[str]
) -> None:
    url = reverse("maintenance", kwargs={"account": account})
    request = callback_request(text="hi", account=account, url=url)
    response = request.send(Client())
    assert response.status_code == 200
    # read_reply checks the reply's signature and decrypts it in the encrypted modes.
    reply = read_reply(response, account=account)
    assert (reply.type, reply.content) == ("text", NOTICE)
    assert reply.encrypted is (account != "plain")
    assert runs == []
    # Other messages go on to the handlers; the stock view beside it is unchanged.
    subscribe = callback_request(event="subscribe", account=account, url=url)
    assert read_reply(subscribe.send(Client()), account=account).content == "from the handler"
    stock = callback_request(text="hi", account=account)
    assert read_reply(stock.send(Client()), account=account).content == "from the handler"
    assert runs == ["event", "text"]


def test_the_other_steps_still_refuse_a_forged_request(runs: list[str]) -> None:
    url = reverse("maintenance", kwargs={"account": "default"})
    request = callback_request(text="hi", url=url)
    forged = dataclasses.replace(request, query={**request.query, "msg_signature": "0" * 40})
    response = forged.send(Client())
    assert response.status_code == 403
    assert runs == []
