"""The tick: ask every feature what is due and queue it. APScheduler only triggers it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.errors import described
from bot.outbox import Outgoing, enqueue
from bot.sealing import Sealer
from storage.engine import Database

logger = logging.getLogger(__name__)

DueSource = Callable[[AsyncSession, datetime], Awaitable[Sequence[Outgoing]]]
"""Asked on every tick: the proactive messages due by now, each with a deterministic dedupe key.

What is due comes from the data (a cadence, an event's start), never from the
scheduler's memory, so every replica may tick and a restart catches up once.
"""


class Ticker:
    """Asks each source in its own transaction: a failing source rolls back alone.
    `sealer` seals what speak-up has due, as every speak-up message is at rest."""

    def __init__(
        self,
        db: Database,
        sources: Sequence[DueSource],
        clock: Clock,
        *,
        sealer: Sealer | None = None,
        on_enqueued: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._sources = tuple(sources)
        self._clock = clock
        self._sealer = sealer
        self._on_enqueued = on_enqueued

    async def tick(self) -> int:
        """Queue everything due; returns how many rows were new (the rest were deduped)."""
        now = self._clock.now()
        new = 0
        for source in self._sources:
            try:
                async with self._db.session() as session:
                    added = [
                        await enqueue(session, item, now=now, sealer=self._sealer)
                        for item in await source(session, now)
                    ]
            except Exception as exc:  # one feature's bug must not starve the others
                # Its transaction rolled back, so none of its rows count.
                logger.error("tick: due source %s failed (%s)", _name(source), described(exc))
                continue
            new += sum(added)
        if new:
            logger.info("tick queued %s new messages", new)
            if self._on_enqueued is not None:
                self._on_enqueued()
        return new


class Jobs:
    """APScheduler plus the runs it has in flight, so stopping waits for them.

    Shutting the scheduler down only cancels a running coroutine; if the database
    closed before that run had unwound, its session would hang on a closed pool.
    """

    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: set[asyncio.Task[object]] = set()

    def every(self, interval: timedelta, job: Callable[[], Awaitable[Any]], *, name: str) -> None:
        """Run `job` at once and then every `interval`.

        Missed runs are coalesced and never dropped (`misfire_grace_time=None`); one
        run at a time, since a slow run followed by another would only repeat it.
        """

        async def tracked() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                logger.info("%s: stopped mid-run; it runs again after the next start", name)
            except Exception as exc:  # a locked database, say: the next run tries again
                logger.error("%s: the run failed (%s); it runs again on time", name, described(exc))
            finally:
                self._running.discard(task)

        self._scheduler.add_job(
            tracked,
            IntervalTrigger(seconds=interval.total_seconds()),
            id=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),  # APScheduler keeps wall time, not the Clock
        )

    def start(self) -> None:
        self._scheduler.start()

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    async def stop(self) -> None:
        """No new runs; the runs in flight are cancelled and awaited."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        in_flight = list(self._running)
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)


def _name(source: DueSource) -> str:
    return getattr(source, "__qualname__", type(source).__name__)
