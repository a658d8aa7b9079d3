"""The demo events: upcoming whenever they are loaded, across the example networks, and
loaded once however often the command runs."""

from __future__ import annotations

from datetime import UTC, datetime, time
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.events import demo
from bot.organisation.sync import apply_org_file
from storage.engine import Database
from storage.events import EventSeries, Membership, Occurrence, Signup, SignupStatus
from storage.outbox import OutboxRow
from tests.bot.organisation.test_directory_features import EXAMPLE

NOW = datetime(2026, 10, 20, 8, 0, tzinfo=UTC)
"""Five days before the clocks go back in London: the recurring demo events cross it."""
LONDON = ZoneInfo("Europe/London")


async def rows(db: Database) -> tuple[list[EventSeries], list[Occurrence], list[Signup]]:
    async with db.session(write=False) as session:
        series = list((await session.exec(select(EventSeries))).all())
        dates = list((await session.exec(select(Occurrence))).all())
        signups = list((await session.exec(select(Signup))).all())
    return series, dates, signups


async def loaded(db: Database, now: datetime = NOW) -> int:
    async with db.session() as session:
        return await demo.load(session, now=now)


async def test_every_example_network_gets_upcoming_events(db: Database) -> None:
    await apply_org_file(db, EXAMPLE)
    assert await loaded(db) == len(demo.EVENTS)
    series, dates, _ = await rows(db)
    assert {s.network for s in series} == {
        "race-equality",
        "disabled-staff",
        "lgbtq",
        "womens",
        "multi-faith",
    }
    assert all(d.starts_at.replace(tzinfo=UTC) > NOW for d in dates)
    assert all(s.created_by == demo.AUTHOR for s in series)
    recurring = [s for s in series if s.rule]
    assert len(recurring) >= 2
    for each in recurring:
        assert len([d for d in dates if d.series_id == each.id]) > 1


async def test_a_recurring_demo_event_keeps_its_local_time_across_the_clock_change(
    db: Database,
) -> None:
    await apply_org_file(db, EXAMPLE)
    await loaded(db)
    series, dates, _ = await rows(db)
    lunch = next(s for s in series if s.rule == "FREQ=WEEKLY;INTERVAL=2")
    starts = sorted(d.starts_at.replace(tzinfo=UTC) for d in dates if d.series_id == lunch.id)
    assert {s.astimezone(LONDON).time() for s in starts} == {time(12, 30)}
    assert {s.time() for s in starts} == {time(11, 30), time(12, 30)}  # BST, then GMT
    days = [s.astimezone(LONDON).date() for s in starts]
    assert {(b - a).days for a, b in pairwise(days)} == {14}


async def test_loading_twice_adds_nothing(db: Database) -> None:
    await apply_org_file(db, EXAMPLE)
    await loaded(db)
    before = await rows(db)
    assert await loaded(db) == 0
    assert await loaded(db, NOW.replace(month=11)) == 0
    after = await rows(db)
    assert [len(r) for r in after] == [len(r) for r in before]


async def test_one_event_is_full_so_there_is_a_waitlist_to_join(db: Database) -> None:
    await apply_org_file(db, EXAMPLE)
    await loaded(db)
    series, dates, signups = await rows(db)
    full = [s for s in series if s.capacity is not None and s.capacity <= len(signups)]
    assert len(full) == 1
    (date,) = [d for d in dates if d.series_id == full[0].id]
    assert date.taken == full[0].capacity
    assert [s.status for s in signups] == [SignupStatus.GOING] * len(signups)
    assert {s.platform for s in signups} == {"console"}  # nobody real is ever signed up


async def test_networks_the_organisation_does_not_have_get_no_demo_events(db: Database) -> None:
    assert await loaded(db) == 0  # no organisation file applied: no networks at all
    async with db.session(write=False) as session:
        assert not await demo.any_events(session)
        count = (await session.exec(select(EventSeries).where(col(EventSeries.id) > 0))).all()
    assert count == []


async def test_made_up_events_are_never_told_to_real_members(db: Database) -> None:
    """Loaded into an organisation whose networks have members, the demo sends nobody a
    "new event" message about an event that is not real."""
    await apply_org_file(db, EXAMPLE)
    async with db.session() as session:
        for network in ("lgbtq", "womens"):
            session.add(
                Membership(
                    network=network, platform="slack", tenant="T1", user_id="U0MEMBER",
                    joined_at=NOW,
                )
            )  # fmt: skip
    assert await loaded(db) == len(demo.EVENTS)
    async with db.session(write=False) as session:
        assert (await session.exec(select(OutboxRow))).all() == []
