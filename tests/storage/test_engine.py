"""Reads never queue behind writers, and inbound events are recorded once, together."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from storage.engine import Database, DatabaseUnavailable, unreachable
from storage.seen import SeenEvent, SeenKeys
from tests.adapters.test_cli import free_port

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.fixture
async def write_locked(sqlite_db: Database) -> AsyncIterator[Database]:
    """Another process holds the write lock on the file (already in WAL mode, as peerbot
    leaves it once it has run)."""
    await sqlite_db.ping()
    path = sqlite_db.url.partition(":///")[2]
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield sqlite_db
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_read_session_does_not_wait_for_the_write_lock(write_locked: Database) -> None:
    async with asyncio.timeout(2):  # the busy timeout is 5 s: a read that queued would hang
        async with write_locked.session(write=False) as session:
            count = (await session.exec(select(func.count()).select_from(SeenEvent))).one()
    assert count == 0


async def test_a_write_session_still_takes_the_lock_first(sqlite_db: Database) -> None:
    """The outbox claim relies on it: two claims must never read the same due rows."""
    async with sqlite_db.session() as session:
        connection = await session.connection()
        assert connection.in_transaction()
        other = sqlite3.connect(sqlite_db.url.partition(":///")[2], timeout=0)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


async def test_commits_are_not_synced_one_by_one(sqlite_db: Database) -> None:
    async with sqlite_db.session() as session:
        level = (await session.exec(text("PRAGMA synchronous"))).scalar_one()  # type: ignore[call-overload]
    assert level == 1  # NORMAL: safe in WAL mode against a crash of peerbot itself


async def test_each_key_is_new_once_across_concurrent_callers_and_replicas(db: Database) -> None:
    keys = [f"slack:Ev{i}" for i in range(30)]
    one, other = SeenKeys(db, lambda: NOW), SeenKeys(db, lambda: NOW)
    offered = [(replica, key) for key in keys for replica in (one, one, other)]
    results = await asyncio.gather(*(replica.first_time(key) for replica, key in offered))
    new = [key for (_, key), fresh in zip(offered, results, strict=True) if fresh]
    assert sorted(new) == sorted(keys)
    assert not any(await asyncio.gather(*(other.first_time(key) for key in keys)))
    async with db.session(write=False) as session:
        assert (await session.exec(select(func.count()).select_from(SeenEvent))).one() == 30


async def test_what_is_deleted_leaves_no_trace_in_the_file(sqlite_db: Database) -> None:
    """A purged case or an offer's record is gone from the file itself, not left in a free
    page for anyone who copies the file to read."""
    marker = "deleted-words-" + "x" * 40
    kept = [f"kept-{n}" for n in range(3)]
    async with sqlite_db.session() as session:
        for key in (kept[0], marker, *kept[1:]):
            session.add(SeenEvent(key=key, seen_at=datetime(2026, 1, 1, tzinfo=UTC)))
    async with sqlite_db.session() as session:
        gone = text("DELETE FROM seen_event WHERE key = :key").bindparams(key=marker)
        await session.exec(gone)  # type: ignore[call-overload]
    path = sqlite_db.engine.url.database
    assert path is not None
    with sqlite3.connect(path) as connection:  # moves what the log holds into the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert marker.encode() not in Path(path).read_bytes()  # noqa: ASYNC240 (a test, after the fact)


async def test_a_database_nobody_answers_for_is_unreachable_not_a_bug() -> None:
    """asyncpg says a refused connection with a bare OSError; the session says it as
    DatabaseUnavailable, which the patience helpers wait out briefly, then apologise for."""
    db = Database(f"postgresql+asyncpg://peerbot@127.0.0.1:{free_port()}/peerbot")
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            async with db.session(write=False) as session:
                await session.exec(select(func.count()).select_from(SeenEvent))
        assert unreachable(raised.value)
        assert "ConnectionRefusedError" in str(raised.value)
    finally:
        await db.dispose()


async def test_a_process_holds_no_more_connections_than_its_pool_size(postgres_url: str) -> None:
    """So that replicas together stay within PostgreSQL's max_connections: a burst waits
    for a connection of its own process instead of opening more."""
    db = Database(postgres_url, pool_size=2)
    mine = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND backend_type = 'client backend'"
    )

    async def busy() -> int:
        async with db.session(write=False) as session:
            await session.exec(text("SELECT pg_sleep(0.1)"))  # type: ignore[call-overload]
            return int((await session.exec(mine)).scalar_one())  # type: ignore[call-overload]

    try:
        seen = await asyncio.gather(*(busy() for _ in range(8)))
    finally:
        await db.dispose()
    assert max(seen) <= 2
