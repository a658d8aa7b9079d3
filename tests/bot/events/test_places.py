"""The place rules, on SQLite and PostgreSQL: capacity is never exceeded, a place is never
given twice, a freed place is offered (never given silently) and passes on unclaimed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import col, select

from bot.conversation.inbound import PersonAddress
from bot.events import places
from bot.events.places import Outcome, Result
from storage.engine import Database
from storage.events import Occurrence, Signup, SignupStatus
from storage.outbox import OutboxRow
from tests.bot.events.places_fixtures import NOW, an_event, staff


async def press(
    db: Database,
    step: str,
    occurrence: int,
    who: PersonAddress,
    *,
    at: timedelta = timedelta(0),
) -> Result:
    action = getattr(places, step)
    async with db.session() as session:
        result: Result = await action(session, occurrence, who, now=NOW + at)
        return result


async def statuses(db: Database, occurrence: int) -> dict[str, str]:
    async with db.session(write=False) as session:
        rows = await session.exec(select(Signup).where(col(Signup.occurrence_id) == occurrence))
        return {row.user_id: row.status for row in rows.all()}


async def taken(db: Database, occurrence: int) -> int:
    async with db.session(write=False) as session:
        row = await session.get(Occurrence, occurrence)
        assert row is not None
        return row.taken


async def offers_queued(db: Database) -> list[str]:
    async with db.session(write=False) as session:
        query = select(OutboxRow.dedupe_key).order_by(col(OutboxRow.id))
        return [k for k in (await session.exec(query)).all() if k.startswith("events:")]


async def test_places_then_the_waitlist_in_order(db: Database) -> None:
    occurrence = await an_event(db, capacity=2)
    outcomes = [await press(db, "sign_up", occurrence, staff(n)) for n in range(4)]
    assert [r.outcome for r in outcomes] == ["going", "going", "waiting", "waiting"]
    assert [r.position for r in outcomes] == [None, None, 1, 2]
    assert await taken(db, occurrence) == 2


async def test_a_double_press_signs_up_once(db: Database) -> None:
    occurrence = await an_event(db, capacity=2)
    first = await press(db, "sign_up", occurrence, staff(1))
    again = await press(db, "sign_up", occurrence, staff(1))
    assert (first.outcome, again.outcome) == (Outcome.GOING, Outcome.ALREADY)
    assert again.signup is not None and again.signup.status == SignupStatus.GOING
    assert await taken(db, occurrence) == 1


async def test_a_full_event_without_a_waitlist_says_so(db: Database) -> None:
    occurrence = await an_event(db, capacity=1, waitlist=False)
    await press(db, "sign_up", occurrence, staff(1))
    assert (await press(db, "sign_up", occurrence, staff(2))).outcome == Outcome.FULL
    assert await statuses(db, occurrence) == {"U00001": "going", "U00002": "cancelled"}


async def test_a_freed_place_is_offered_to_the_first_waiting_not_given(db: Database) -> None:
    occurrence = await an_event(db, capacity=1)
    for n in (1, 2, 3):
        await press(db, "sign_up", occurrence, staff(n))
    assert (await press(db, "cancel", occurrence, staff(1))).outcome == Outcome.LEFT
    assert await statuses(db, occurrence) == {
        "U00001": "cancelled",
        "U00002": "offered",
        "U00003": "waiting",
    }
    assert await taken(db, occurrence) == 1  # held for the offer, not free for anyone
    assert (await press(db, "sign_up", occurrence, staff(4))).position == 2
    claimed = await press(db, "claim", occurrence, staff(2), at=timedelta(hours=1))
    assert claimed.outcome == Outcome.GOING
    assert await offers_queued(db) == ["events:offer:2:1"]


async def test_an_unclaimed_offer_passes_to_the_next_and_says_so(db: Database) -> None:
    occurrence = await an_event(db, capacity=1)
    for n in (1, 2, 3):
        await press(db, "sign_up", occurrence, staff(n))
    await press(db, "cancel", occurrence, staff(1))
    async with db.session() as session:  # not yet: nothing moves
        assert await places.expire_offers(session, now=NOW + timedelta(hours=23)) == 0
    async with db.session() as session:
        assert await places.expire_offers(session, now=NOW + timedelta(hours=24)) == 1
    assert await statuses(db, occurrence) == {
        "U00001": "cancelled",
        "U00002": "lapsed",
        "U00003": "offered",
    }
    late = await press(db, "claim", occurrence, staff(2), at=timedelta(hours=25))
    assert late.outcome == Outcome.ALREADY and late.signup is not None
    assert late.signup.status == SignupStatus.LAPSED
    assert await offers_queued(db) == ["events:offer:2:1", "events:lapsed:2:1", "events:offer:3:1"]


async def test_the_offer_window_shrinks_as_the_event_nears(db: Database) -> None:
    occurrence = await an_event(db, capacity=1, starts=NOW + timedelta(hours=6))
    for n in (1, 2):
        await press(db, "sign_up", occurrence, staff(n))
    offered = (await press(db, "cancel", occurrence, staff(1))).outcome
    assert offered == Outcome.LEFT
    async with db.session(write=False) as session:
        row = (await session.exec(select(Signup).where(col(Signup.user_id) == "U00002"))).one()
    assert row.offer_expires == NOW + timedelta(hours=3)


async def test_declining_an_offer_passes_it_on_without_a_lapse_message(db: Database) -> None:
    occurrence = await an_event(db, capacity=1)
    for n in (1, 2, 3):
        await press(db, "sign_up", occurrence, staff(n))
    await press(db, "cancel", occurrence, staff(1))
    assert (await press(db, "decline", occurrence, staff(2))).outcome == Outcome.LEFT
    assert (await statuses(db, occurrence))["U00003"] == "offered"
    assert await offers_queued(db) == ["events:offer:2:1", "events:offer:3:1"]


async def test_nobody_waiting_hands_the_place_back(db: Database) -> None:
    occurrence = await an_event(db, capacity=1)
    await press(db, "sign_up", occurrence, staff(1))
    await press(db, "cancel", occurrence, staff(1))
    assert await taken(db, occurrence) == 0
    back = await press(db, "sign_up", occurrence, staff(1))
    assert back.outcome == Outcome.GOING


async def test_closed_cancelled_and_missing_events_take_nobody(db: Database) -> None:
    closing = await an_event(db, closes_before=60, starts=NOW + timedelta(minutes=30))
    assert (await press(db, "sign_up", closing, staff(1))).outcome == Outcome.CLOSED
    assert (await press(db, "sign_up", 999_999, staff(1))).outcome == Outcome.GONE
    cancelled = await an_event(db)
    async with db.session() as session:
        row = await session.get(Occurrence, cancelled)
        assert row is not None
        row.cancelled_at = NOW
    assert (await press(db, "sign_up", cancelled, staff(1))).outcome == Outcome.EVENT_CANCELLED


async def test_more_places_are_offered_to_those_waiting(db: Database) -> None:
    occurrence = await an_event(db, capacity=1)
    for n in (1, 2, 3):
        await press(db, "sign_up", occurrence, staff(n))
    async with db.session() as session:
        found = await places.event_of(session, occurrence)
        assert found is not None
        row, series = found
        series.capacity = 5
        assert await places.fill_free_places(session, row, series, now=NOW) == 2
    assert set((await statuses(db, occurrence)).values()) == {"going", "offered"}
    assert await taken(db, occurrence) == 3


async def test_two_hundred_at_once_never_exceed_capacity(db: Database) -> None:
    """The rush: 200 people press Sign up at the same moment for 20 places, while the
    first five who got in cancel; every place is given once and the queue stays whole."""
    occurrence = await an_event(db, capacity=20)
    first = [await press(db, "sign_up", occurrence, staff(n)) for n in range(5)]
    assert all(r.outcome == Outcome.GOING for r in first)
    rush = [press(db, "sign_up", occurrence, staff(n)) for n in range(5, 205)]
    leaving = [press(db, "cancel", occurrence, staff(n)) for n in range(5)]
    results = await asyncio.gather(*rush, *leaving)
    assert sum(r.outcome == Outcome.GOING for r in results) <= 20
    everyone = await statuses(db, occurrence)
    holding = [u for u, s in everyone.items() if s in ("going", "offered")]
    assert len(holding) == 20 == await taken(db, occurrence)
    counts = {status: list(everyone.values()).count(status) for status in set(everyone.values())}
    assert counts.get("cancelled") == 5 and counts.get("waiting") == 180
    async with db.session(write=False) as session:
        query = select(Signup).where(
            col(Signup.occurrence_id) == occurrence, col(Signup.status) == SignupStatus.WAITING
        )
        queue = (await session.exec(query)).all()
        positions = sorted([await places.position(session, row) for row in queue])
    assert positions == list(range(1, 181))
