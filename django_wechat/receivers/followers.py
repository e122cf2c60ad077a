"""``subscribe`` and ``unsubscribe`` events keep the follower's row current, whatever
``@handler`` answers them. ``WECHAT["FOLLOWER_EVENTS"] = False`` turns it off."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from ..conf import Account, wechat_settings
from ..messages import BaseMessage, SubscribeEvent, SubscribeScanEvent, UnsubscribeEvent
from ..models import WeChatUser
from ..signals import message_received


@receiver(message_received, dispatch_uid="django_wechat.receivers.followers")
def follower_event(sender: Account, message: BaseMessage, **kwargs: Any) -> None:
    """Mark the follower subscribed (with the time and, through a QR code, the scene) or
    unsubscribed; a row is made for a follower not synced yet."""
    if not wechat_settings.FOLLOWER_EVENTS or not message.source:
        return
    if isinstance(message, SubscribeEvent):
        fields: dict[str, Any] = {"subscribed": True, "subscribed_at": message.create_time}
    elif isinstance(message, UnsubscribeEvent):
        fields = {"subscribed": False}
    else:
        return
    rows = WeChatUser.objects.filter(account=sender.name, openid=message.source)
    if rows.update(**fields, updated_at=timezone.now()):
        if isinstance(message, SubscribeScanEvent):
            _note_scene(rows.get(), message)
        return
    user = WeChatUser(account=sender.name, openid=message.source, **fields)
    if isinstance(message, SubscribeScanEvent):
        _note_scene(user, message, save=False)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # made meanwhile (a sync, a login, a retry of the event)
        rows.update(**fields, updated_at=timezone.now())


def _note_scene(user: WeChatUser, message: SubscribeScanEvent, *, save: bool = True) -> None:
    # As user/info tells it: followed through a parametric QR code, with its scene.
    user.update_profile({"subscribe_scene": "ADD_SCENE_QR_CODE", "qr_scene_str": message.scene_id})
    if save:
        user.save(update_fields=["profile", "updated_at"])
