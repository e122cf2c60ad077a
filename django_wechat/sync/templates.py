"""The account's templates from WeChat into :class:`~django_wechat.models.MessageTemplate`.

Shared by ``manage.py wechat_sync_templates`` and the admin's "Sync from WeChat" button.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..client import get_client
from ..conf import get_account
from ..models import MessageTemplate

#: The fields of a ``template_list`` entry that we keep, as our field names.
SYNCED_FIELDS = ("title", "primary_industry", "deputy_industry", "content", "example")


@dataclass
class SyncResult:
    """What a sync did to one account's templates: each list holds the templates."""

    account: str
    added: list[MessageTemplate] = field(default_factory=list)
    changed: list[MessageTemplate] = field(default_factory=list)
    removed: list[MessageTemplate] = field(default_factory=list)
    unchanged: list[MessageTemplate] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        """True when the sync added, changed or removed anything."""
        return bool(self.added or self.changed or self.removed)


def _values(entry: Mapping[str, Any]) -> dict[str, str]:
    # The stray "订阅模板消息" entry comes with empty industries (LOGIN-ADMIN-FACTS 4.2):
    # every field is optional here.
    return {name: str(entry.get(name) or "") for name in SYNCED_FIELDS}


def sync_templates(account: str) -> SyncResult:
    """Read ``get_all_private_template`` of ``account`` into the table.

    A template new to us is added; one whose title, industries, content or example
    changed is updated (its keywords follow its content); one WeChat no longer lists is
    marked removed (and one listed again is no longer removed). Running it twice changes
    nothing the second time. Raises :class:`~django_wechat.exceptions.WeChatError` when
    WeChat cannot be asked; the table is then untouched.
    """
    name = get_account(account).name
    answer = get_client(name).template.get_all_private_template()
    listed = {
        str(entry["template_id"]): _values(entry)
        for entry in answer.get("template_list") or []
        if isinstance(entry, Mapping) and entry.get("template_id")
    }
    result = SyncResult(account=name)
    now = timezone.now()
    with transaction.atomic():
        known = {t.template_id: t for t in MessageTemplate.objects.filter(account=name)}
        for template_id, values in listed.items():
            template = known.get(template_id)
            if template is None:
                template = MessageTemplate(account=name, template_id=template_id, **values)
                template.synced_at = now
                template.save()
                result.added.append(template)
                continue
            differs = template.removed or any(getattr(template, k) != v for k, v in values.items())
            if not differs:
                result.unchanged.append(template)
                continue
            for key, value in values.items():
                setattr(template, key, value)
            template.removed, template.synced_at = False, now
            template.save()
            result.changed.append(template)
        for template_id, template in known.items():
            if template_id not in listed and not template.removed:
                template.removed, template.synced_at = True, now
                template.save(update_fields=["removed", "synced_at"])
                result.removed.append(template)
    return result
