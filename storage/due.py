"""Due windows a tick has done, so the next tick queues only what is new."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.upsert import upsert


class DueWindow(SQLModel, table=True):
    """A window of one due source (a digest slot, a reminder's week) whose messages are
    in the outbox. `key` names the window; it is a keyed hash when the window concerns
    a speak-up case, like the outbox's own dedupe key."""

    __tablename__ = "due_window"
    source: str = Field(primary_key=True, max_length=255)
    key: str = Field(primary_key=True, max_length=255)
    done_at: datetime = Field(index=True)


async def done(session: AsyncSession, source: str, windows: Collection[str]) -> set[str]:
    """Which of these windows of `source` are done already."""
    if not windows:
        return set()
    query = select(DueWindow.key).where(DueWindow.source == source, col(DueWindow.key).in_(windows))
    return set((await session.exec(query)).all())


async def mark_done(
    session: AsyncSession, source: str, windows: Collection[str], *, now: datetime
) -> None:
    """Atomic (ON CONFLICT DO NOTHING): two replicas ticking together both succeed."""
    if not windows:
        return
    rows = [{"source": source, "key": w, "done_at": now} for w in windows]
    await session.exec(upsert(session, DueWindow).values(rows).on_conflict_do_nothing())


async def forget_before(session: AsyncSession, before: datetime) -> int:
    """Windows done before `before`: kept as long as the outbox keeps what they queued,
    and every due source moves on to new windows well within that (see
    bot.speakup.alerts.week_of), so a forgotten window is never due again."""
    result = await session.exec(delete(DueWindow).where(col(DueWindow.done_at) < before))
    return int(result.rowcount)
