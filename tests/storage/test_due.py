"""Due windows: done once on any replica, forgotten with the outbox's retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import due
from storage.engine import Database

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


async def test_a_window_is_done_for_its_own_source_only(db: Database) -> None:
    async with db.session() as session:
        await due.mark_done(session, "digest", ["slot:09:00"], now=NOW)
        await due.mark_done(session, "digest", ["slot:09:00"], now=NOW)  # a second replica
    async with db.session() as session:
        assert await due.done(session, "digest", ["slot:09:00", "slot:17:00"]) == {"slot:09:00"}
        assert await due.done(session, "reminders", ["slot:09:00"]) == set()
        assert await due.done(session, "digest", []) == set()


async def test_windows_done_before_the_cut_off_are_forgotten(db: Database) -> None:
    async with db.session() as session:
        await due.mark_done(session, "digest", ["old"], now=NOW - timedelta(days=8))
        await due.mark_done(session, "digest", ["new"], now=NOW)
    async with db.session() as session:
        assert await due.forget_before(session, NOW - timedelta(days=7)) == 1
    async with db.session() as session:
        assert await due.done(session, "digest", ["old", "new"]) == {"new"}
