"""The tick: ask every feature what is due and queue it. APScheduler only triggers it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.clock import Clock
from bot.conversation.errors import described
from bot.conversation.monitor import UNMONITORED, Monitor
from bot.conversation.outbox import Outgoing, Unsealable, enqueue_all
from bot.conversation.sealing import Sealer
from bot.conversation.services import Services
from storage import due as due_windows
from storage.engine import Database, unreachable

logger = logging.getLogger(__name__)

DueSource = Callable[[AsyncSession, datetime], Awaitable[Sequence[Outgoing]]]
"""Asked on every tick: the proactive messages due by now, each with a deterministic dedupe key.

What is due comes from the data (a cadence, an event's start), never from the
scheduler's memory, so every replica may tick and a restart catches up once.
"""


@dataclass(frozen=True, slots=True)
class SelfMarking:
    """A due source that marks in its own rows what it has queued, in the same transaction
    as the queueing (a column per person saying which round they were asked for, a date's
    next reminder), so it offers an item again at most briefly, the outbox's key keeping it
    to one. The Ticker then records no windows for it: a round of 20,000 check-ins would
    otherwise cost 20,000 window rows besides the outbox's own."""

    source: DueSource


Source = DueSource | SelfMarking
"""What a feature declares as its `due`: a source the Ticker keeps windows for, or one that
keeps its own marks."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Chore:
    """Housekeeping a feature declares (a retention purge, say). The runtime runs every
    feature's chores on their intervals, knowing nothing of what they do. Every replica
    runs them and a run can be missed, so a chore must be safe to repeat and to run late."""

    name: str
    every: timedelta
    run: Callable[[Services], Awaitable[object]]


class Ticker:
    """Asks each source in its own transaction: a failing source rolls back alone.
    `sealer` seals what speak-up has due, as every speak-up message is at rest.

    A source says what is due by now, which stays due tick after tick (a digest until
    the next slot, a reminder all week). Each window queued is recorded as done for
    its source (storage.due), so a tick queues only what is new instead of offering
    the outbox every due row again to have it deduped; a SelfMarking source offers only
    what is new by itself, and is taken at its word.

    Each tick's duration, what it queued and how many sources failed are told to
    `monitor`: a tick that grows slower with the data is the first sign of a missing index.
    """

    def __init__(
        self,
        db: Database,
        sources: Sequence[Source],
        clock: Clock,
        *,
        sealer: Sealer | None = None,
        monitor: Monitor = UNMONITORED,
    ) -> None:
        self._db = db
        self._sources = tuple(sources)
        self._clock = clock
        self._sealer = sealer
        self._monitor = monitor

    async def tick(self) -> int:
        """Queue everything due; returns how many rows were new (the rest were deduped)."""
        now = self._clock.now()
        started = time.perf_counter()  # the clock may be a test's, standing still
        new = failed = 0
        for source in self._sources:
            name = _name(source.source if isinstance(source, SelfMarking) else source)
            try:
                async with self._db.session() as session:
                    if isinstance(source, SelfMarking):
                        fresh_items = list(await source.source(session, now))
                    else:
                        fresh_items = await self._unmarked(session, name, source, now)
                    added = await enqueue_all(session, fresh_items, now=now, sealer=self._sealer)
            except Exception as exc:  # one feature's bug must not starve the others
                # Its transaction rolled back, so none of its rows count.
                if unreachable(exc):  # nor would any other source's: say so once, go on later
                    logger.warning(
                        "tick: the database cannot be reached (%s); the next tick catches up",
                        described(exc),
                    )
                    break
                logger.error("tick: due source %s failed (%s)", name, described(exc))
                failed += 1
                continue
            new += added
        self._monitor.ticked(time.perf_counter() - started, queued=new, failed=failed)
        if new:
            logger.info("tick queued %s new messages", new)
        return new

    async def _unmarked(
        self, session: AsyncSession, name: str, source: DueSource, now: datetime
    ) -> list[Outgoing]:
        """What `source` has due whose window is not done yet, marked done now (the caller
        queues it in the same transaction)."""
        due = {self._window(item): item for item in await source(session, now)}
        done = await due_windows.done(session, name, list(due))
        fresh = [window for window in due if window not in done]
        await due_windows.mark_done(session, name, fresh, now=now)
        return [due[window] for window in fresh]

    def _window(self, item: Outgoing) -> str:
        """An item's window is its dedupe key, which names what it is about and when (a
        case's reminder and its week); hashed with the sealing key for speak-up."""
        if not item.sealed:
            return item.dedupe_key
        if self._sealer is None:
            raise Unsealable("a speak-up message needs the sealing key to be queued")
        return "sealed:" + self._sealer.tags("due window", item.dedupe_key)[0]


class Jobs:
    """APScheduler plus the runs it has in flight, so stopping waits for them.

    Shutting the scheduler down only cancels a running coroutine; if the database
    closed before that run had unwound, its session would hang on a closed pool. And a
    run cancelled while its session is closing leaves the connection to be reset by the
    pool, cut off half-way: so runs in flight get `grace` seconds to finish first.
    """

    def __init__(self, *, grace: float = 10.0) -> None:
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: set[asyncio.Task[object]] = set()
        self._grace = grace

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
        """No new runs; the runs in flight may finish within the grace (a tick or a purge
        takes well under it), and any still running then are cancelled and awaited."""
        if not self._scheduler.running:
            return
        self._scheduler.pause()  # shutting down would cancel the runs in flight at once
        if in_flight := list(self._running):
            _, late = await asyncio.wait(in_flight, timeout=self._grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        self._scheduler.shutdown(wait=False)


def _name(source: DueSource) -> str:
    """Where the source lives and what it is called: one name on every replica."""
    module = getattr(source, "__module__", "")
    return f"{module}.{getattr(source, '__qualname__', type(source).__name__)}"
