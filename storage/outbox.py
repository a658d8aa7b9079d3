"""The outbox table and its queries: every proactive message is a row here first."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, Text, and_, delete, false, func, or_, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.upsert import upsert


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxRow(SQLModel, table=True):
    """One message to send. `dedupe_key` is unique: a second enqueue is a no-op.

    A row about a speak-up case keeps its address and message in `sealed` (and
    `address`/`reply` empty) and a keyed hash as its dedupe key, so the file alone
    never puts a person next to a case. `attempts` counts only the message's own
    faults; `retries` the platform's (a 429, a 5xx, a dropped connection), which
    never make a row give up before its deadline. `in_doubt`: a send may have
    reached the platform without its outcome being recorded (a worker died, a
    connection dropped mid-request), so the platform is asked before sending again.
    """

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=255)
    platform: str = Field(index=True)
    address: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    reply: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    sealed: str | None = Field(default=None, sa_column=Column(Text))
    due_at: datetime = Field(index=True)
    status: str = Field(default=OutboxStatus.PENDING, index=True)
    attempts: int = 0
    retries: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    in_doubt: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    leased_until: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    sent_at: datetime | None = None


ROWS_PER_INSERT = 500
"""Rows queued in one statement at most: well inside SQLite's limit on bound parameters."""

QUEUED = "outbox.queued"
"""Noted in a session's `info` when it queued a row: see Database.on_commit."""


async def enqueue(session: AsyncSession, row: OutboxRow) -> bool:
    """Insert unless the dedupe key exists; True when a new row was queued."""
    return await enqueue_all(session, [row]) == 1


async def enqueue_all(session: AsyncSession, rows: Sequence[OutboxRow]) -> int:
    """Insert each row unless its dedupe key exists, a few hundred in a statement (a
    round's check-ins); how many were new."""
    new = 0
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        values = [r.model_dump(exclude={"id"}) for r in chunk]
        result = await session.exec(
            upsert(session, OutboxRow).values(values).on_conflict_do_nothing()
        )
        new += int(result.rowcount)
    if new:
        session.info[QUEUED] = True
    return new


async def withdraw(session: AsyncSession, keys: Collection[str]) -> int:
    """Delete rows with these keys that wait unsent (a nudge to someone who has paused or
    snoozed since it was queued); their keys are free again, so the message may be queued
    anew, later. A row being sent or sent already stays: that message is on its way."""
    if not keys:
        return 0
    result = await session.exec(
        delete(OutboxRow).where(
            col(OutboxRow.dedupe_key).in_(keys), col(OutboxRow.status) == OutboxStatus.PENDING
        )
    )
    return int(result.rowcount)


async def any_queued(session: AsyncSession, keys: Collection[str]) -> bool:
    """Whether any of these dedupe keys was queued (and not yet purged)."""
    query = select(func.count()).where(col(OutboxRow.dedupe_key).in_(keys))
    return bool((await session.exec(query)).one())


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    platforms: list[str],
    limit: int,
    lease: timedelta,
) -> list[OutboxRow]:
    """Take up to `limit` due rows for these platforms and lease them to this worker.

    A lease, not a lock held across the send: a worker that dies mid-send leaves
    rows that another worker may take once the lease runs out. Such a row is taken
    `in_doubt`, since its send may have happened. On PostgreSQL `SKIP LOCKED` lets
    replicas claim side by side without waiting on each other.
    """
    query = (
        select(OutboxRow)
        .where(col(OutboxRow.platform).in_(platforms))
        .where(col(OutboxRow.due_at) <= now)
        .where(
            or_(
                col(OutboxRow.status) == OutboxStatus.PENDING,
                (col(OutboxRow.status) == OutboxStatus.SENDING)
                & (col(OutboxRow.leased_until) <= now),
            )
        )
        .order_by(col(OutboxRow.due_at), col(OutboxRow.id))
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.exec(query)).all())
    for row in rows:
        if row.status == OutboxStatus.SENDING:
            row.in_doubt = True
        row.status = OutboxStatus.SENDING
        row.leased_until = now + lease
        session.add(row)
    return rows


def _held(row_ids: Collection[int], lease: datetime) -> ColumnElement[bool]:
    """The rows are still ours: in flight under the very lease we took.

    A worker whose lease ran out may find a row reclaimed by another; its late
    outcome must not overwrite theirs (a late "retry" would queue a third send).
    """
    return and_(
        col(OutboxRow.id).in_(row_ids),
        col(OutboxRow.status) == OutboxStatus.SENDING,
        col(OutboxRow.leased_until) == lease,
    )


async def renew(
    session: AsyncSession,
    row_ids: Collection[int],
    *,
    lease: datetime,
    until: datetime,
    now: datetime,
) -> int:
    """Extend a batch's lease while it is being worked; how many rows were still held.

    Only a lease that has not run out is extended: once it has, another worker may
    have taken the rows, and they are no longer ours to send.
    """
    result = await session.exec(
        update(OutboxRow)
        .where(_held(row_ids, lease), col(OutboxRow.leased_until) > now)
        .values(leased_until=until)
    )
    return int(result.rowcount)


async def _settle(session: AsyncSession, row_id: int, lease: datetime, **values: Any) -> bool:
    result = await session.exec(
        update(OutboxRow).where(_held([row_id], lease)).values(leased_until=None, **values)
    )
    return bool(result.rowcount)


async def mark_sent(
    session: AsyncSession, row_ids: Collection[int], *, lease: datetime, now: datetime
) -> set[int]:
    """Those of the rows still held (one statement for a whole batch's sends); a row
    missing from the answer had its lease lost meanwhile (it is another worker's now)."""
    if not row_ids:
        return set()
    result = await session.exec(
        update(OutboxRow)
        .where(_held(row_ids, lease))
        .values(
            leased_until=None,
            status=OutboxStatus.SENT,
            sent_at=now,
            last_error=None,
            in_doubt=False,
        )
        .returning(col(OutboxRow.id))
    )
    return set(result.scalars())


async def mark_unsent(
    session: AsyncSession,
    row_id: int,
    *,
    lease: datetime,
    attempts: int,
    retries: int,
    error: str,
    in_doubt: bool,
    retry_at: datetime | None,
) -> bool:
    """A send that did not happen (or may not have): due again at `retry_at`, or failed
    for good when that is None. False when the lease was lost meanwhile."""
    return await _settle(
        session,
        row_id,
        lease,
        status=OutboxStatus.FAILED if retry_at is None else OutboxStatus.PENDING,
        attempts=attempts,
        retries=retries,
        last_error=error,
        in_doubt=in_doubt,
        **({} if retry_at is None else {"due_at": retry_at}),
    )


async def release(session: AsyncSession, row_id: int, *, lease: datetime) -> bool:
    """Hand an unattempted claim back at once (a worker shutting down), rather than
    leaving it leased until it runs out; no attempt is counted because none was made."""
    return await _settle(session, row_id, lease, status=OutboxStatus.PENDING)


async def next_due(session: AsyncSession, *, platforms: list[str]) -> datetime | None:
    """When the worker next has something to do: the earliest pending row, or the
    earliest lease to run out (a row a dead worker left), whichever comes first."""
    pending = select(func.min(OutboxRow.due_at)).where(
        col(OutboxRow.platform).in_(platforms), col(OutboxRow.status) == OutboxStatus.PENDING
    )
    leased = select(func.min(OutboxRow.leased_until)).where(
        col(OutboxRow.platform).in_(platforms), col(OutboxRow.status) == OutboxStatus.SENDING
    )
    times = [(await session.exec(q)).one() for q in (pending, leased)]
    return min((t for t in times if t is not None), default=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Backlog:
    """What waits in the outbox at one moment: rows due now and due later, rows being
    sent, rows that gave up, and when the longest-waiting row fell due (None when no row
    is due)."""

    due: int
    later: int
    sending: int
    failed: int
    oldest_due: datetime | None


async def backlog(session: AsyncSession, *, now: datetime) -> Backlog:
    """Read at every scrape by every replica, so only through the status index: the
    delivered rows, most of the table, are never counted or read."""
    waiting = [OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]
    due = (col(OutboxRow.due_at) <= now).label("due")
    counts = (
        select(OutboxRow.status, due, func.count())
        .where(col(OutboxRow.status).in_(waiting))
        .group_by(col(OutboxRow.status), due)
    )
    tally = {(status, bool(is_due)): n for status, is_due, n in (await session.exec(counts)).all()}
    oldest = select(func.min(OutboxRow.due_at)).where(
        col(OutboxRow.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        col(OutboxRow.due_at) <= now,
    )
    return Backlog(
        due=tally.get((OutboxStatus.PENDING, True), 0),
        later=tally.get((OutboxStatus.PENDING, False), 0),
        sending=sum(n for (status, _), n in tally.items() if status == OutboxStatus.SENDING),
        failed=sum(n for (status, _), n in tally.items() if status == OutboxStatus.FAILED),
        oldest_due=(await session.exec(oldest)).one(),
    )


async def failed(session: AsyncSession) -> list[OutboxRow]:
    """Rows that gave up, oldest first, for an operator to look at and retry."""
    query = (
        select(OutboxRow)
        .where(col(OutboxRow.status) == OutboxStatus.FAILED)
        .order_by(col(OutboxRow.id))
    )
    return list((await session.exec(query)).all())


async def retry_failed(
    session: AsyncSession, row_ids: Collection[int] | None, *, now: datetime
) -> int:
    """Put failed rows (these, or all when None) back in the queue with a fresh start:
    counts cleared, and the give-up deadline counted from now."""
    query = update(OutboxRow).where(col(OutboxRow.status) == OutboxStatus.FAILED)
    if row_ids is not None:
        query = query.where(col(OutboxRow.id).in_(row_ids))
    result = await session.exec(
        query.values(status=OutboxStatus.PENDING, due_at=now, created_at=now, attempts=0, retries=0)
    )
    return int(result.rowcount)


async def purge_sent(session: AsyncSession, *, sent_before: datetime) -> int:
    """Delete rows delivered before `sent_before`: once sent, the platform holds the
    message, and a copy here would only be one more place to find it."""
    result = await session.exec(
        delete(OutboxRow).where(
            col(OutboxRow.status) == OutboxStatus.SENT, col(OutboxRow.sent_at) < sent_before
        )
    )
    return int(result.rowcount)
