"""The outbox table and its queries: every proactive message is a row here first."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, Text, and_, func, or_, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.upsert import insert_new


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxRow(SQLModel, table=True):
    """One message to send. `dedupe_key` is unique: a second enqueue is a no-op."""

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=255)
    platform: str = Field(index=True)
    address: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    reply: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    due_at: datetime = Field(index=True)
    status: str = Field(default=OutboxStatus.PENDING, index=True)
    attempts: int = 0
    leased_until: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    sent_at: datetime | None = None


async def enqueue(session: AsyncSession, row: OutboxRow) -> bool:
    """Insert unless the dedupe key exists; True when a new row was queued."""
    return await insert_new(session, OutboxRow, row.model_dump(exclude={"id"}))


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
    rows that another worker may take once the lease runs out. On PostgreSQL
    `SKIP LOCKED` lets replicas claim side by side without waiting on each other.
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
        row.status = OutboxStatus.SENDING
        row.leased_until = now + lease
        session.add(row)
    return rows


def _held(row_id: int, lease: datetime) -> ColumnElement[bool]:
    """The row is still ours: in flight under the very lease we took.

    A worker whose lease ran out may find the row reclaimed by another; its late
    outcome must not overwrite theirs (a late "retry" would queue a third send).
    """
    return and_(
        col(OutboxRow.id) == row_id,
        col(OutboxRow.status) == OutboxStatus.SENDING,
        col(OutboxRow.leased_until) == lease,
    )


async def _settle(session: AsyncSession, row_id: int, lease: datetime, **values: Any) -> bool:
    result = await session.exec(
        update(OutboxRow).where(_held(row_id, lease)).values(leased_until=None, **values)
    )
    return bool(result.rowcount)


async def mark_sent(
    session: AsyncSession, row_id: int, *, lease: datetime, attempts: int, now: datetime
) -> bool:
    """False when the lease was lost meanwhile (the row is another worker's now)."""
    return await _settle(
        session,
        row_id,
        lease,
        status=OutboxStatus.SENT,
        attempts=attempts,
        sent_at=now,
        last_error=None,
    )


async def mark_retry(
    session: AsyncSession,
    row_id: int,
    *,
    lease: datetime,
    attempts: int,
    due_at: datetime,
    error: str,
) -> bool:
    return await _settle(
        session,
        row_id,
        lease,
        status=OutboxStatus.PENDING,
        attempts=attempts,
        due_at=due_at,
        last_error=error,
    )


async def mark_failed(
    session: AsyncSession, row_id: int, *, lease: datetime, attempts: int, error: str
) -> bool:
    return await _settle(
        session, row_id, lease, status=OutboxStatus.FAILED, attempts=attempts, last_error=error
    )


async def release(session: AsyncSession, row_id: int, *, lease: datetime) -> bool:
    """Hand an unattempted claim back at once (a worker shutting down), rather than
    leaving it leased for minutes; no attempt is counted because none was made."""
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
