"""Outbox queries on both backends: claiming order, limits, leases and the next wake-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import Database
from storage.outbox import (
    Backlog,
    OutboxRow,
    OutboxStatus,
    backlog,
    claim_due,
    enqueue,
    failed,
    mark_sent,
    mark_unsent,
    next_due,
    purge_sent,
    release,
    retry_failed,
)
from storage.seen import first_times, forget_before

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def row(key: str, *, due: datetime, platform: str = "console") -> OutboxRow:
    return OutboxRow(
        dedupe_key=key,
        platform=platform,
        address={"platform": platform},
        reply={"summary": key},
        due_at=due,
        created_at=NOW,
    )


async def test_claims_come_oldest_first_up_to_the_limit(db: Database) -> None:
    async with db.session() as session:
        for key, minutes in (("c", -1), ("a", -10), ("future", 5), ("b", -5)):
            await enqueue(session, row(key, due=NOW + timedelta(minutes=minutes)))
        await enqueue(session, row("slack", due=NOW - timedelta(hours=1), platform="slack"))
    async with db.session() as session:
        claimed = await claim_due(session, now=NOW, platforms=["console"], limit=2, lease=LEASE)
    assert [r.dedupe_key for r in claimed] == ["a", "b"]
    assert all(r.status == OutboxStatus.SENDING and r.leased_until == NOW + LEASE for r in claimed)
    async with db.session() as session:
        rest = await claim_due(session, now=NOW, platforms=["console"], limit=10, lease=LEASE)
    assert [r.dedupe_key for r in rest] == ["c"]


async def test_a_lapsed_lease_is_claimable_again_and_sent_rows_never_are(db: Database) -> None:
    async with db.session() as session:
        await enqueue(session, row("a", due=NOW))
        await enqueue(session, row("b", due=NOW))
    async with db.session() as session:
        _a, b = await claim_due(session, now=NOW, platforms=["console"], limit=10, lease=LEASE)
        assert b.id is not None
        assert await mark_sent(session, [b.id], lease=NOW + LEASE, now=NOW) == {b.id}
    later = NOW + LEASE + timedelta(seconds=1)
    async with db.session() as session:
        again = await claim_due(session, now=later, platforms=["console"], limit=10, lease=LEASE)
    assert [r.dedupe_key for r in again] == ["a"]


async def test_next_due_is_the_earliest_pending_row_or_lapsing_lease(db: Database) -> None:
    async with db.session() as session:
        assert await next_due(session, platforms=["console"]) is None
        await enqueue(session, row("soon", due=NOW - timedelta(minutes=1)))
        await enqueue(session, row("later", due=NOW + timedelta(hours=2)))
    async with db.session() as session:
        await claim_due(session, now=NOW, platforms=["console"], limit=1, lease=LEASE)
    async with db.session() as session:
        assert await next_due(session, platforms=["console"]) == NOW + LEASE
        assert await next_due(session, platforms=["slack"]) is None


async def test_the_backlog_counts_what_waits_and_when_the_longest_waiting_fell_due(
    db: Database,
) -> None:
    async with db.session() as session:
        assert await backlog(session, now=NOW) == Backlog(
            due=0, later=0, sending=0, failed=0, oldest_due=None
        )
        for key, minutes in (("oldest", -30), ("sent", -20), ("gave-up", -15), ("due", -1)):
            await enqueue(session, row(key, due=NOW + timedelta(minutes=minutes)))
        await enqueue(session, row("tomorrow", due=NOW + timedelta(days=1)))
    async with db.session() as session:
        _oldest, sent, gave_up = await claim_due(
            session, now=NOW, platforms=["console"], limit=3, lease=LEASE
        )
        assert sent.id is not None and gave_up.id is not None
        await mark_sent(session, [sent.id], lease=NOW + LEASE, now=NOW)
        await mark_unsent(
            session,
            gave_up.id,
            lease=NOW + LEASE,
            attempts=8,
            retries=0,
            error="invalid_blocks",
            in_doubt=False,
            retry_at=None,
        )
    async with db.session(write=False) as session:
        waiting = await backlog(session, now=NOW)
    # "oldest" is being sent (it still waits), "due" is due, "tomorrow" is for later
    assert waiting == Backlog(
        due=1, later=1, sending=1, failed=1, oldest_due=NOW - timedelta(minutes=30)
    )


async def test_an_outcome_counts_only_under_the_lease_it_was_claimed_with(db: Database) -> None:
    async with db.session() as session:
        await enqueue(session, row("a", due=NOW))
    async with db.session() as session:
        (first,) = await claim_due(session, now=NOW, platforms=["console"], limit=1, lease=LEASE)
    later = NOW + LEASE + timedelta(seconds=1)
    async with db.session() as session:  # the first worker was too slow; a second takes over
        (second,) = await claim_due(session, now=later, platforms=["console"], limit=1, lease=LEASE)
    assert first.id == second.id is not None and first.leased_until is not None
    async with db.session() as session:
        assert await mark_sent(session, [second.id], lease=later + LEASE, now=later)
    async with db.session() as session:  # the first worker's late failure changes nothing
        stale = first.leased_until
        counts = {"attempts": 1, "retries": 0, "error": "x", "in_doubt": False}
        assert not await mark_unsent(session, first.id, lease=stale, retry_at=later, **counts)
        assert not await mark_unsent(session, first.id, lease=stale, retry_at=None, **counts)
        assert not await release(session, first.id, lease=stale)
        assert await mark_sent(session, [first.id], lease=stale, now=later) == set()
        (kept,) = (await session.exec(select(OutboxRow))).all()
    assert (kept.status, kept.sent_at, kept.last_error) == (OutboxStatus.SENT, later, None)


async def test_a_released_row_is_claimable_at_once_with_no_attempt_counted(db: Database) -> None:
    async with db.session() as session:
        await enqueue(session, row("a", due=NOW))
    async with db.session() as session:
        (claimed,) = await claim_due(session, now=NOW, platforms=["console"], limit=1, lease=LEASE)
    assert claimed.id is not None
    async with db.session() as session:
        assert await release(session, claimed.id, lease=NOW + LEASE)
    async with db.session() as session:
        assert await next_due(session, platforms=["console"]) == NOW
        (again,) = await claim_due(session, now=NOW, platforms=["console"], limit=1, lease=LEASE)
    assert (again.id, again.attempts) == (claimed.id, 0)


async def give_up(session: AsyncSession, row_id: int, *, retries: int, in_doubt: bool) -> None:
    """Settle a row claimed at NOW as failed for good, its attempts spent."""
    await mark_unsent(
        session,
        row_id,
        lease=NOW + LEASE,
        attempts=8,
        retries=retries,
        error="x",
        in_doubt=in_doubt,
        retry_at=None,
    )


async def test_only_rows_delivered_before_the_cutoff_are_purged(db: Database) -> None:
    async with db.session() as session:
        for key in ("old", "new", "failed", "pending"):
            await enqueue(session, row(key, due=NOW))
        claimed = await claim_due(session, now=NOW, platforms=["console"], limit=3, lease=LEASE)
    async with db.session() as session:
        old, new, bad = (r.id for r in claimed)
        assert old is not None and new is not None and bad is not None
        await mark_sent(session, [old], lease=NOW + LEASE, now=NOW - timedelta(days=8))
        await mark_sent(session, [new], lease=NOW + LEASE, now=NOW - timedelta(days=6))
        await give_up(session, bad, retries=0, in_doubt=False)
    async with db.session() as session:
        assert await purge_sent(session, sent_before=NOW - timedelta(days=7)) == 1
        left = sorted(r.dedupe_key for r in (await session.exec(select(OutboxRow))).all())
    assert left == ["failed", "new", "pending"]


async def test_failed_rows_are_listed_and_put_back_with_a_fresh_start(db: Database) -> None:
    async with db.session() as session:
        for key in ("a", "b"):
            await enqueue(session, row(key, due=NOW))
        claimed = await claim_due(session, now=NOW, platforms=["console"], limit=2, lease=LEASE)
    async with db.session() as session:
        for r in claimed:
            assert r.id is not None
            await give_up(session, r.id, retries=3, in_doubt=True)
    later = NOW + timedelta(days=2)
    async with db.session() as session:
        assert [r.dedupe_key for r in await failed(session)] == ["a", "b"]
        assert await retry_failed(session, [claimed[0].id or 0], now=later) == 1
    async with db.session() as session:
        (again,) = await claim_due(session, now=later, platforms=["console"], limit=5, lease=LEASE)
        assert [r.dedupe_key for r in await failed(session)] == ["b"]
    assert (again.dedupe_key, again.attempts, again.retries, again.created_at) == ("a", 0, 0, later)
    assert again.in_doubt  # a send that may have happened is still checked before resending


async def test_seen_events_older_than_the_cutoff_are_forgotten(db: Database) -> None:
    async with db.session() as session:
        await first_times(session, ["old"], now=NOW - timedelta(days=2))
        await first_times(session, ["new"], now=NOW)
    async with db.session() as session:
        assert await forget_before(session, NOW - timedelta(days=1)) == 1
        assert not await first_times(session, ["new"], now=NOW)
        assert await first_times(session, ["old"], now=NOW) == {"old"}
