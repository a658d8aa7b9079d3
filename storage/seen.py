"""Inbound deliveries already handled, so a platform's retry never acts twice."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import Database
from storage.group_commit import GroupCommit
from storage.upsert import upsert


class SeenEvent(SQLModel, table=True):
    """`key` is the platform's own id for a delivery (a Slack `event_id`)."""

    __tablename__ = "seen_event"
    key: str = Field(primary_key=True, max_length=255)
    seen_at: datetime = Field(index=True)


async def first_times(session: AsyncSession, keys: Collection[str], *, now: datetime) -> set[str]:
    """The keys offered for the first time, on any replica, in one statement (atomic:
    ON CONFLICT DO NOTHING, so two replicas racing on one key cannot both win)."""
    if not keys:
        return set()
    statement = (
        upsert(session, SeenEvent)
        .values([{"key": key, "seen_at": now} for key in keys])
        .on_conflict_do_nothing()
        .returning(col(SeenEvent.key))
    )
    return set((await session.exec(statement)).scalars())


class SeenKeys:
    """Which inbound deliveries are new, on any replica, for many at once: every
    event's key is recorded in a group commit (storage.group_commit), so a burst of
    events costs a handful of commits, and each caller learns only after the commit
    whether its key was new, so a crash can never both lose and skip a delivery."""

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        async def record(session: AsyncSession, keys: Mapping[str, None]) -> dict[str, bool]:
            new = await first_times(session, list(keys), now=now())
            return {key: key in new for key in keys}

        self._group = GroupCommit(db, record, name="seen-keys", again=lambda _: False)

    async def first_time(self, key: str) -> bool:
        """True for the first delivery of `key` ever; False for every repeat. Raises what
        the database raised (see storage.engine.BUSY) when the key could not be recorded."""
        return await self._group.offer(key, None)


async def forget_before(session: AsyncSession, before: datetime) -> int:
    """Delete records older than any platform retries (Slack's stop within the hour)."""
    result = await session.exec(delete(SeenEvent).where(col(SeenEvent.seen_at) < before))
    return int(result.rowcount)
