"""The tick: what is due comes from the data, is queued once, and survives a restart."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import Conversation, Platform
from bot.conversation.outbox import DeliveryWorker, Outgoing
from bot.conversation.replies import say
from bot.conversation.tick import Jobs, SelfMarking, Ticker
from storage.due import DueWindow
from storage.engine import Database
from storage.outbox import OutboxRow
from storage.seen import first_times
from tests.adapters.test_cli import free_port
from tests.fakes import FakeClock, RecordingMonitor, RecordingSender

CONSOLE = Conversation(
    platform=Platform.CONSOLE, tenant="local", channel_id="console", user_id="you"
)
HELLO = say("Good morning. This is your daily hello from peerbot.")


async def daily_hello(_session: AsyncSession, now: datetime) -> Sequence[Outgoing]:
    """Due from 09:00 each day; the key names the day, so each day is queued once."""
    nine = datetime.combine(now.date(), time(9), tzinfo=now.tzinfo)
    if now < nine:
        return []
    return [Outgoing(dedupe_key=f"hello:{now.date()}", address=CONSOLE, reply=HELLO, due_at=nine)]


async def broken(_session: AsyncSession, _now: datetime) -> Sequence[Outgoing]:
    raise RuntimeError("a feature bug")


async def count_rows(db: Database) -> int:
    async with db.session() as session:
        return len((await session.exec(select(OutboxRow))).all())


async def test_a_scheduled_hello_is_queued_once_and_delivered_once(db: Database) -> None:
    clock = FakeClock(datetime.fromisoformat("2026-11-02T08:59:00+00:00"))
    sender = RecordingSender()
    worker = DeliveryWorker(db, {Platform.CONSOLE: sender}, clock)
    ticker = Ticker(db, [daily_hello], clock)

    assert await ticker.tick() == 0  # not due before nine
    clock.advance(minutes=2)
    assert await ticker.tick() == 1
    assert await ticker.tick() == 0

    restarted = Ticker(db, [daily_hello], clock)  # a restart, or a second replica
    assert await restarted.tick() == 0
    assert await count_rows(db) == 1

    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    assert sender.sent == [(CONSOLE, HELLO)]

    clock.advance(days=1)
    assert await ticker.tick() == 1  # tomorrow's hello is a new message


@contextmanager
def outbox_inserts(db: Database) -> Iterator[list[str]]:
    """Every INSERT the database is asked to run into the outbox, deduped or not."""
    seen: list[str] = []

    def heard(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", heard)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", heard)


async def test_ticks_offer_the_outbox_only_what_is_new(db: Database) -> None:
    """The hello stays due all day; once queued, its window is done and later ticks do
    not offer it to the outbox again only to have it deduped."""
    clock = FakeClock(datetime.fromisoformat("2026-11-02T09:00:00+00:00"))
    ticker = Ticker(db, [daily_hello], clock)
    with outbox_inserts(db) as inserts:
        assert await ticker.tick() == 1
        for _ in range(5):
            clock.advance(minutes=1)
            assert await ticker.tick() == 0
        assert await Ticker(db, [daily_hello], clock).tick() == 0  # another replica
        assert len(inserts) == 1
        clock.advance(days=1)
        assert await ticker.tick() == 1
        assert len(inserts) == 2
    assert await count_rows(db) == 2


async def test_a_failing_source_does_not_stop_the_others(db: Database) -> None:
    clock, monitor = (
        FakeClock(datetime.fromisoformat("2026-11-02T10:00:00+00:00")),
        RecordingMonitor(),
    )
    assert await Ticker(db, [broken, daily_hello], clock, monitor=monitor).tick() == 1
    assert monitor.ticks == [(1, 1)]  # one message queued, one source failed


TOLD = "the words someone wrote"


def quiet_about_it(caplog: pytest.LogCaptureFixture) -> None:
    """A failure is logged by its kind and place: an exception's text, or a traceback,
    may quote what was being written (SQLAlchemy's errors carry their parameters)."""
    said = [(r.getMessage(), r.exc_info) for r in caplog.records]
    assert said and all(TOLD not in text and not exc for text, exc in said), said


async def test_a_failing_source_is_logged_without_its_words(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async def telling(_session: AsyncSession, _now: datetime) -> Sequence[Outgoing]:
        raise RuntimeError(TOLD)

    caplog.set_level(logging.DEBUG)
    assert await Ticker(sqlite_db, [telling], FakeClock()).tick() == 0
    quiet_about_it(caplog)


async def test_a_failing_job_is_logged_without_its_words_and_runs_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = asyncio.Queue[None]()

    async def telling() -> None:
        runs.put_nowait(None)
        raise RuntimeError(TOLD)

    caplog.set_level(logging.DEBUG)
    jobs = Jobs()
    jobs.every(timedelta(seconds=0.1), telling, name="telling")
    jobs.start()
    try:
        for _ in range(2):
            await asyncio.wait_for(runs.get(), 5)
    finally:
        await jobs.stop()
    quiet_about_it(caplog)


async def test_a_source_whose_rows_cannot_all_be_queued_queues_and_counts_none(
    db: Database,
) -> None:
    clock = FakeClock(datetime.fromisoformat("2026-11-02T10:00:00+00:00"))

    async def half_broken(_session: AsyncSession, now: datetime) -> Sequence[Outgoing]:
        naive = now.replace(tzinfo=None)  # refused by the table: times must be aware
        return [
            Outgoing(dedupe_key="fine", address=CONSOLE, reply=HELLO, due_at=now),
            Outgoing(dedupe_key="naive", address=CONSOLE, reply=HELLO, due_at=naive),
        ]

    assert await Ticker(db, [half_broken], clock).tick() == 0
    assert await count_rows(db) == 0


async def test_a_self_marking_source_queues_with_its_marks_and_costs_no_windows(
    db: Database,
) -> None:
    """A source that marks what it queued in its own rows (here a seen-event record) is
    asked each tick and taken at its word: no due windows are written for it, and its
    marks and its rows commit or roll back together."""
    clock = FakeClock(datetime.fromisoformat("2026-11-02T09:00:00+00:00"))

    async def once_a_day(session: AsyncSession, now: datetime) -> Sequence[Outgoing]:
        if not await first_times(session, [f"hello:{now.date()}"], now=now):
            return []
        hello = Outgoing(dedupe_key=f"hello:{now.date()}", address=CONSOLE, reply=HELLO, due_at=now)
        sealed = Outgoing(dedupe_key="x", address=CONSOLE, reply=HELLO, due_at=now, sealed=True)
        return [hello, sealed] if now.hour == 8 else [hello]

    marking = SelfMarking(once_a_day)
    clock.current = clock.current.replace(hour=8)  # a row the tick cannot queue (no key)
    assert await Ticker(db, [marking], clock).tick() == 0
    clock.current = clock.current.replace(hour=9)
    with outbox_inserts(db) as inserts:
        assert await Ticker(db, [marking], clock).tick() == 1  # the mark was rolled back
        assert await Ticker(db, [marking], clock).tick() == 0
        assert len(inserts) == 1
    async with db.session(write=False) as session:
        assert (await session.exec(select(DueWindow))).all() == []
    assert await count_rows(db) == 1


async def test_the_scheduler_ticks_at_once_and_then_on_its_interval(sqlite_db: Database) -> None:
    ticks = asyncio.Queue[None]()

    async def counting(_session: AsyncSession, _now: datetime) -> Sequence[Outgoing]:
        ticks.put_nowait(None)
        return []

    jobs = Jobs()
    jobs.every(timedelta(seconds=0.1), Ticker(sqlite_db, [counting], FakeClock()).tick, name="tick")
    jobs.start()
    try:
        for _ in range(3):
            await asyncio.wait_for(ticks.get(), 5)
    finally:
        await jobs.stop()
    while not ticks.empty():
        ticks.get_nowait()
    await asyncio.sleep(0.3)
    assert ticks.empty() and not jobs.running


async def test_stopping_waits_for_a_run_in_flight() -> None:
    started, unwound = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.05)  # a session closing its connection, say
            unwound.set()

    jobs = Jobs(grace=0.1)
    jobs.every(timedelta(hours=1), slow, name="slow")
    jobs.start()
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(jobs.stop(), 5)
    assert unwound.is_set()


async def test_stopping_lets_a_short_run_in_flight_finish_rather_than_cut_it_off() -> None:
    """A run cancelled while its session closes leaves its connection half reset."""
    started, finished = asyncio.Event(), asyncio.Event()

    async def short() -> None:
        started.set()
        await asyncio.sleep(0.2)  # a purge's last statement and its commit, say
        finished.set()

    jobs = Jobs()
    jobs.every(timedelta(hours=1), short, name="short")
    jobs.start()
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(jobs.stop(), 5)
    assert finished.is_set()


async def test_a_tick_with_the_database_away_says_so_once_and_asks_no_more_sources(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every source would fail the same way: one warning a tick, rather than an error for
    each source every tick of an outage; what is due is still due at the next tick."""
    away = Database(f"postgresql+asyncpg://peerbot@127.0.0.1:{free_port()}/peerbot")
    try:
        ticker = Ticker(away, [daily_hello, broken, daily_hello], FakeClock())
        assert await ticker.tick() == 0
    finally:
        await away.dispose()
    assert [r.levelno for r in caplog.records if r.name == "bot.conversation.tick"] == [
        logging.WARNING
    ]
    assert "the database cannot be reached (DatabaseUnavailable" in caplog.text
