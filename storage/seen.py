"""Inbound deliveries already handled, so a platform's retry never acts twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import Database
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


BATCH = 500
"""Keys in one statement at most: well inside SQLite's limit on bound parameters."""


class SeenKeys:
    """Which inbound deliveries are new, on any replica, for many at once.

    Under load every inbound event would otherwise be its own write transaction, and
    on SQLite those queue one by one on the write lock. Keys offered while a write is
    under way wait for it and then go in the next one, so a burst of events costs a
    handful of commits (group commit). Each caller still learns only after the commit
    whether its key was new, so a crash can never both lose and skip a delivery.
    """

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now
        self._waiting: dict[str, list[asyncio.Future[bool]]] = {}
        self._writer: asyncio.Task[None] | None = None

    async def first_time(self, key: str) -> bool:
        """True for the first delivery of `key` ever; False for every repeat. Raises what
        the database raised (see storage.engine.BUSY) when the key could not be recorded."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="seen-keys")
        return await future

    async def _write(self) -> None:
        while self._waiting:
            batch = {key: self._waiting.pop(key) for key in list(self._waiting)[:BATCH]}
            try:
                async with self._db.session() as session:
                    new = await first_times(session, list(batch), now=self._now())
            except Exception as exc:  # every waiter hears of it and may try again
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                continue
            for key, futures in batch.items():
                first = key in new
                for future in futures:  # the same key twice in one batch: one wins
                    if not future.done():
                        future.set_result(first)
                        first = False


async def forget_before(session: AsyncSession, before: datetime) -> int:
    """Delete records older than any platform retries (Slack's stop within the hour)."""
    result = await session.exec(delete(SeenEvent).where(col(SeenEvent.seen_at) < before))
    return int(result.rowcount)
