"""The signals django_wechat sends.

Connect receivers in your app's ``AppConfig.ready()`` (or in its ``wechat_handlers``
module)::

    from django.dispatch import receiver
    from django_wechat.signals import message_received

    @receiver(message_received)
    def log_message(sender, message, request, **kwargs):
        ...

Receivers run inside the callback, before WeChat's 5-second deadline: keep them short and
push slow work to a task queue. A receiver that raises is logged and does not change the
reply.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["message_received", "wechat_user_logged_in"]

#: Sent once for every message or event accepted by the callback (signature checked,
#: decrypted, parsed, not a duplicate of one already handled), before the ``@handler``
#: that answers it runs. A retry of a message that was answered does not send it again;
#: a retry of a message whose handler raised does.
#:
#: Arguments receivers get:
#:
#: ``sender``
#:     The :class:`~django_wechat.conf.Account` the message was sent to.
#: ``message``
#:     The parsed message, a :class:`~django_wechat.messages.BaseMessage` subclass
#:     (``message.raw`` holds every field WeChat sent).
#: ``request``
#:     The :class:`~django.http.HttpRequest` of the callback.
message_received = Signal()

#: Sent once per WeChat login, by the login callback view after ``login()``: when the
#: follower is logged in (a second load of the same callback does not send it again).
#:
#: Arguments receivers get:
#:
#: ``sender``
#:     The :class:`~django_wechat.conf.Account` the follower logged in through.
#: ``wechat_user``
#:     The :class:`~django_wechat.models.WeChatUser`; ``wechat_user.user`` is the user.
#: ``created``
#:     True when this login made the Django user (a sign-up).
#: ``request``
#:     The :class:`~django.http.HttpRequest` of the callback.
wechat_user_logged_in = Signal()
