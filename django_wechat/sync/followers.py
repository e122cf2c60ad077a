"""Followers from WeChat into :class:`~django_wechat.models.WeChatUser` rows, fast and
resumable; tags both ways.

:func:`sync_followers` is what ``manage.py wechat_sync_users`` and scheduled tasks call.
WeChat pages the list 10,000 openids a ``cgi-bin/user/get`` call (500 calls a day) and the
profiles 100 a ``user/info/batchget`` call (拉取用户列表 and 批量获取用户基本信息 docs). The
profile calls of a page go out ``workers`` at a time while the main thread writes what has
come back, one statement per 100 followers, so the time taken is about the calls' latency
divided by ``workers``. Progress is saved in :class:`~django_wechat.models.FollowerSync` with
each batch, in the batch's transaction: a run killed at any point, or stopped by the daily
quota (45009), resumes on the next run where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connections, models, router, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone
from django.utils.translation import gettext as _

from ..client import WeChatClient, get_client
from ..conf import DEFAULT_ACCOUNT, get_account
from ..exceptions import APIError, QuotaExceeded, WeChatError
from ..models import FollowerSync, Tag, WeChatUser

__all__ = [
    "BATCH",
    "TAG_BATCH",
    "SyncResult",
    "refresh_followers",
    "sync_followers",
    "sync_tags",
    "tag_followers",
]

#: Profiles per user/info/batchget call (WeChat's maximum).
BATCH = 100
#: Openids per batchtagging / batchuntagging call (WeChat's maximum).
TAG_BATCH = 50

#: errcode of a used-up daily quota ("reach max api daily quota limit").
DAILY_QUOTA = 45009

#: The daily quotas of the APIs a sync calls (接口调用频次限制 doc, a newly registered
#: account; they grow with the number of followers).
QUOTAS = {
    "cgi-bin/user/get": 500,
    "cgi-bin/user/info/batchget": 5_000_000,
    "cgi-bin/tags/get": 1_000,
    "cgi-bin/tags/members/batchtagging": 10_000,
    "cgi-bin/tags/members/batchuntagging": 10_000,
}


@dataclass
class SyncResult:
    """What a :func:`sync_followers` run did; the live object is what ``progress`` gets."""

    account: str
    #: Whether this run fetched every profile and marks the missing unsubscribed.
    full: bool
    #: Whether it went on from a run that was killed or stopped.
    resumed: bool = False
    #: Followers WeChat counts (user/get's ``total``); 0 until the first page.
    total: int = 0
    #: Openids of the list gone through, by this pass (the resumed part included).
    done: int = 0
    created: int = 0
    updated: int = 0
    #: Profiles fetched and found as the database had them.
    unchanged: int = 0
    #: Rows a full pass marked unsubscribed at its end.
    unsubscribed: int = 0
    #: Calls to WeChat by this run (not counting access_token fetches).
    api_calls: int = 0
    #: Seconds this run took.
    elapsed: float = 0.0
    #: The pass reached the end of the list.
    finished: bool = False
    #: Set when the daily quota stopped the run: the API whose quota is used up.
    quota_api: str = ""
    #: For a person: how the run ended (or why it stopped).
    message: str = ""
    started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def stopped(self) -> bool:
        """Whether the run stopped before the end of the list (the next run resumes)."""
        return not self.finished

    @property
    def rate(self) -> float:
        """Followers per second so far."""
        seconds = time.monotonic() - self.started
        return self.done / seconds if seconds > 0 else 0.0


#: What ``progress`` is: called with the live result after each batch of 100.
Progress = Callable[[SyncResult], None]


# --- tags --------------------------------------------------------------------------------


def sync_tags(account: str = DEFAULT_ACCOUNT, client: WeChatClient | None = None) -> list[Tag]:
    """The account's tags from ``cgi-bin/tags/get`` (names, counts) into :class:`Tag`;
    tags WeChat no longer has are deleted."""
    name = get_account(account).name
    client = client or _client(name)
    answer = client.tag.get()
    tags = [
        Tag(account=name, wechat_id=int(t["id"]), name=str(t.get("name", "")), count=t["count"])
        for t in answer
        if isinstance(t, Mapping) and "id" in t
    ]
    with transaction.atomic():
        Tag.objects.bulk_create(
            tags,
            update_conflicts=True,
            unique_fields=["account", "wechat_id"],
            update_fields=["name", "count", "synced_at"],
        )
        Tag.objects.filter(account=name).exclude(wechat_id__in=[t.wechat_id for t in tags]).delete()
    return list(Tag.objects.filter(account=name))


def tag_followers(
    tag: Tag, followers: Iterable[WeChatUser], *, remove: bool = False
) -> list[WeChatUser]:
    """Tag (or untag) ``followers`` on WeChat, 50 openids a call, then in the database.

    Returns the followers done; raises :class:`~django_wechat.exceptions.WeChatError` when
    a call fails, the calls before it kept (in WeChat and here).
    """
    client = _client(tag.account)
    api = client.tag.untag_user if remove else client.tag.tag_user
    chosen = [f for f in followers if f.account == tag.account]
    done: list[WeChatUser] = []
    for start in range(0, len(chosen), TAG_BATCH):
        batch = chosen[start : start + TAG_BATCH]
        api(tag.wechat_id, [f.openid for f in batch])
        for follower in batch:
            ids = [i for i in follower.tag_ids if i != tag.wechat_id]
            follower.tag_ids = ids if remove else [*ids, tag.wechat_id]
        with transaction.atomic():
            WeChatUser.objects.bulk_update(batch, ["tag_ids"])
            if remove:
                tag.followers.remove(*batch)
            else:
                tag.followers.add(*batch)
        done.extend(batch)
    return done


# --- profiles into rows --------------------------------------------------------------------


@dataclass
class _Written:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _values(user: WeChatUser) -> tuple[Any, ...]:
    return tuple(getattr(user, f) for f in WeChatUser.PROFILE_FIELDS)


def _write(
    account: str,
    profiles: Sequence[Mapping[str, Any]],
    tags: Mapping[int, int],
    *,
    mark: int | None = None,
) -> _Written:
    """Profiles into rows: one SELECT, then one upsert of the new and changed rows, their
    tag links, and (``mark``) one UPDATE marking the unchanged as seen by the pass."""
    profiles = [p for p in profiles if isinstance(p, Mapping) and p.get("openid")]
    existing = {
        u.openid: u
        for u in WeChatUser.objects.filter(
            account=account, openid__in=[p["openid"] for p in profiles]
        )
    }
    written = _Written()
    changed: list[WeChatUser] = []
    retagged: list[WeChatUser] = []
    seen: list[int] = []
    for profile in profiles:
        user = existing.get(profile["openid"])
        if user is None:
            user = WeChatUser(account=account, openid=profile["openid"])
            user.update_profile(dict(profile))
            written.created += 1
            changed.append(user)
            if user.tag_ids:
                retagged.append(user)
            continue
        before, tag_ids = _values(user), list(user.tag_ids)
        user.update_profile(dict(profile))
        if _values(user) == before:
            written.unchanged += 1
            if mark is not None and user.sync_pass != mark:
                seen.append(user.pk)
            continue
        written.updated += 1
        changed.append(user)
        if user.tag_ids != tag_ids:
            retagged.append(user)
    if mark is not None:
        for user in changed:
            user.sync_pass = mark
    if changed:
        _upsert(changed)
        new = [u for u in retagged if u.pk is None]
        if new:  # the links need their ids
            found = dict(
                WeChatUser.objects.filter(
                    account=account, openid__in=[u.openid for u in new]
                ).values_list("openid", "pk")
            )
            for user in new:
                user.pk = found[user.openid]
    if seen:
        WeChatUser.objects.filter(pk__in=seen).update(sync_pass=mark)
    if retagged:
        _link_tags(retagged, tags, fresh=written.updated == 0)
    return written


def _upsert(users: Sequence[WeChatUser]) -> None:
    """``INSERT ... ON CONFLICT (account, openid) DO UPDATE`` of ``users``, new and changed
    alike: the statement ``bulk_create(update_conflicts=True)`` sends, built with the
    database's own operations, without the cost of preparing every value through every
    field (4x the CPU for 17 columns of 100 rows, which made the writes, not WeChat, the
    limit). Split only where the database caps a statement's parameters (SQLite: 999)."""
    connection = connections[router.db_for_write(WeChatUser)]
    ops: Any = connection.ops  # django-stubs types bulk_insert_sql's rows as strings
    meta = WeChatUser._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    # Only these need the database's form of their value (JSON text, datetimes).
    prepared = {
        f.attname for f in fields if f.get_internal_type() in ("JSONField", "DateTimeField")
    }
    now = timezone.now()
    now_value = _field("updated_at").get_db_prep_save(now, connection)
    rows = []
    for user in users:
        user.updated_at = now
        user.created_at = user.created_at or now
        rows.append(
            [
                (
                    now_value
                    if getattr(user, f.attname) is now
                    else f.get_db_prep_save(getattr(user, f.attname), connection)
                )
                if f.attname in prepared
                else getattr(user, f.attname)
                for f in fields
            ]
        )
    update = [_field(n).column for n in (*WeChatUser.PROFILE_FIELDS, "sync_pass", "updated_at")]
    suffix = ops.on_conflict_suffix_sql(
        fields, OnConflict.UPDATE, update, [_field(n).column for n in UNIQUE]
    )
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    size = max(1, ops.bulk_batch_size(fields, users))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            values = ops.bulk_insert_sql(fields, [["%s"] * len(fields)] * len(chunk))
            cursor.execute(
                f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) {values} {suffix}",
                [value for row in chunk for value in row],
            )


#: The unique key a follower row is upserted on.
UNIQUE = ("account", "openid")


def _field(name: str) -> models.Field[Any, Any]:
    return cast("models.Field[Any, Any]", WeChatUser._meta.get_field(name))


def _link_tags(users: Sequence[WeChatUser], tags: Mapping[int, int], *, fresh: bool) -> None:
    """Tag rows for ``users`` as their ``tag_ids`` say (ids without a Tag row are skipped)."""
    through = Tag.followers.through
    if not fresh:
        through.objects.filter(wechatuser_id__in=[u.pk for u in users]).delete()
    links = [
        through(tag_id=tags[tag_id], wechatuser_id=user.pk)
        for user in users
        for tag_id in user.tag_ids
        if tag_id in tags
    ]
    if links:
        through.objects.bulk_create(links, ignore_conflicts=True)


def refresh_followers(followers: Iterable[WeChatUser]) -> int:
    """Fetch the profiles of ``followers`` again (batchget, 100 a call) and save what
    changed; returns how many rows changed."""
    by_account: dict[str, list[str]] = {}
    for follower in followers:
        by_account.setdefault(follower.account, []).append(follower.openid)
    changed = 0
    for account, openids in by_account.items():
        client = _client(account)
        tags = _tag_pks(account)
        for start in range(0, len(openids), BATCH):
            profiles = client.user.get_batch(openids[start : start + BATCH])
            with transaction.atomic():
                written = _write(account, profiles, tags)
            changed += written.updated + written.created
    return changed


# --- the sync ------------------------------------------------------------------------------


def sync_followers(
    account: str = DEFAULT_ACCOUNT,
    *,
    full: bool = False,
    workers: int = 4,
    progress: Progress | None = None,
) -> SyncResult:
    """Sync the followers of ``account`` from WeChat into WeChatUser rows.

    Pages ``cgi-bin/user/get`` and fetches profiles with ``user/info/batchget``, ``workers``
    calls in flight; writes in bulk. Without ``full``, only followers the database does
    not have as subscribed get a profile call (new followers; the events keep the others
    current); with ``full`` every profile is fetched, only the rows that changed are
    written, and at the end of the pass the followers no longer in the list are marked
    unsubscribed. A run that was killed or stopped is resumed (``result.resumed``); a
    ``full`` run does not resume a plain one but starts over.

    Returns a :class:`SyncResult`. When WeChat's daily quota (45009) stops the run it
    returns with ``quota_api`` and ``message`` set and the progress saved; any other
    failure of WeChat raises :class:`~django_wechat.exceptions.WeChatError`, the
    progress saved too. Safe to call from a task; one run per account at a time.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1.")
    name = get_account(account).name
    client = _client(name)
    run, result = _begin(name, full)
    try:
        tags = {t.wechat_id: t.pk for t in sync_tags(name, client)}
        result.api_calls += 1
        with ThreadPoolExecutor(workers, thread_name_prefix="wechat-sync") as pool:
            _walk(client, pool, run, result, tags, progress)
    except Exception as exc:
        if isinstance(exc, QuotaExceeded) and exc.errcode == DAILY_QUOTA:
            result.quota_api = exc.api
            result.message = _quota_message(result, exc)
            _stop(run, result, FollowerSync.State.STOPPED)
            return result
        result.message = str(exc) if isinstance(exc, WeChatError) else type(exc).__name__
        _stop(run, result, FollowerSync.State.STOPPED)
        raise
    if run.full:
        result.unsubscribed = (
            WeChatUser.objects.filter(account=name)
            .exclude(sync_pass=run.number)
            .exclude(subscribed=False)
            .update(subscribed=False)
        )
    result.finished = True
    result.message = _done_message(result)
    _stop(run, result, FollowerSync.State.DONE)
    return result


def _client(account: str) -> WeChatClient:
    return get_client(account)


def _tag_pks(account: str) -> dict[int, int]:
    return dict(Tag.objects.filter(account=account).values_list("wechat_id", "pk"))


def _begin(account: str, full: bool) -> tuple[FollowerSync, SyncResult]:
    """Resume the account's unfinished pass, or start a new one."""
    now = timezone.now()
    with transaction.atomic():
        run, _created = FollowerSync.objects.select_for_update().get_or_create(
            account=account,
            defaults={"state": FollowerSync.State.DONE, "started_at": now},
        )
        unfinished = run.state != FollowerSync.State.DONE and (run.full or not full)
        if not unfinished:
            run.number += 1
            run.full, run.cursor, run.offset = full, "", 0
            run.total = run.done = run.created = run.updated = run.api_calls = 0
            run.started_at, run.finished_at, run.message = now, None, ""
        run.state = FollowerSync.State.RUNNING
        run.save()
    result = SyncResult(
        account=account,
        full=run.full,
        resumed=unfinished,
        total=run.total,
        done=run.done,
    )
    return run, result


def _stop(run: FollowerSync, result: SyncResult, state: str) -> None:
    FollowerSync.objects.filter(pk=run.pk).update(
        state=state,
        message=result.message,
        total=result.total,
        api_calls=run.api_calls + result.api_calls,
        finished_at=timezone.now() if state == FollowerSync.State.DONE else None,
        updated_at=timezone.now(),
    )
    result.elapsed = time.monotonic() - result.started


def _chunks(openids: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(openids), size):
        yield list(openids[start : start + size])


def _walk(
    client: WeChatClient,
    pool: ThreadPoolExecutor,
    run: FollowerSync,
    result: SyncResult,
    tags: Mapping[int, int],
    progress: Progress | None,
) -> None:
    """Page the list from ``run.cursor`` to its end, writing each batch as it comes back."""
    cursor, offset = run.cursor, run.offset
    page_future = pool.submit(client.user.get_followers, cursor or None)
    while True:
        page = page_future.result()
        result.api_calls += 1
        result.total = int(page.get("total") or result.total)
        # Old answers began the list with "" (拉取用户列表, the doc's earlier example).
        openids = [o for o in (page.get("data") or {}).get("openid") or [] if o]
        next_openid = str(page.get("next_openid") or "")
        # The end: an empty page, no next_openid, or one that repeats what was asked.
        last = not openids or not next_openid or next_openid == cursor
        if not last:
            page_future = pool.submit(client.user.get_followers, next_openid)
        try:
            _page(client, pool, run, result, tags, progress, cursor, offset, openids, next_openid)
        except BaseException:
            if not last:
                page_future.cancel()
            raise
        if last:
            return
        cursor, offset = next_openid, 0


def _page(
    client: WeChatClient,
    pool: ThreadPoolExecutor,
    run: FollowerSync,
    result: SyncResult,
    tags: Mapping[int, int],
    progress: Progress | None,
    cursor: str,
    offset: int,
    openids: Sequence[str],
    next_openid: str,
) -> None:
    account = run.account
    batches: list[tuple[list[str], Future[list[dict[str, Any]]] | None]] = []
    for chunk in _chunks(openids[offset:], BATCH):
        wanted = chunk
        if not run.full:
            known = set(
                WeChatUser.objects.filter(
                    account=account, openid__in=chunk, subscribed=True
                ).values_list("openid", flat=True)
            )
            wanted = [o for o in chunk if o not in known]
        batches.append((chunk, pool.submit(client.user.get_batch, wanted) if wanted else None))
    try:
        for number, (chunk, future) in enumerate(batches, 1):
            profiles = future.result() if future is not None else []
            if future is not None:
                result.api_calls += 1
            offset += len(chunk)
            at_end = number == len(batches)
            with transaction.atomic():
                written = _write(account, profiles, tags, mark=run.number if run.full else None)
                result.done += len(chunk)
                result.created += written.created
                result.updated += written.updated
                result.unchanged += written.unchanged
                FollowerSync.objects.filter(pk=run.pk).update(
                    cursor=next_openid if at_end else cursor,
                    offset=0 if at_end else offset,
                    total=result.total,
                    done=result.done,
                    created=run.created + result.created,
                    updated=run.updated + result.updated,
                    updated_at=timezone.now(),
                )
            if progress is not None:
                progress(result)
    except BaseException:
        for _chunk, future in batches:
            if future is not None:
                future.cancel()
        raise
    if not batches:
        FollowerSync.objects.filter(pk=run.pk).update(cursor=next_openid, offset=0)
        if progress is not None:
            progress(result)


# --- messages -------------------------------------------------------------------------------


def _quota_message(result: SyncResult, exc: APIError) -> str:
    limit = QUOTAS.get(exc.api)
    return _(
        "Stopped: WeChat's daily quota of %(api)s is used up (errcode 45009%(limit)s). "
        "%(done)d of %(total)d followers are synced and the progress is saved: run the "
        "sync again once the quota is renewed (daily) and it resumes here."
    ) % {
        "api": exc.api,
        "limit": (_(", %(limit)s calls a day") % {"limit": f"{limit:,}"}) if limit else "",
        "done": result.done,
        "total": result.total,
    }


def _done_message(result: SyncResult) -> str:
    message = _(
        "Synced %(done)d followers of account %(account)s: %(created)d new, %(updated)d "
        "changed, %(unchanged)d unchanged, %(unsubscribed)d marked unsubscribed; "
        "%(calls)d API calls."
    ) % {
        "done": result.done,
        "account": result.account,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "unsubscribed": result.unsubscribed,
        "calls": result.api_calls,
    }
    if result.resumed:
        message = _("Resumed the sync that had stopped. %(message)s") % {"message": message}
    return message
