"""Reminders on the tick, on SQLite and PostgreSQL: the day before and the hour before, to
those going only, once each whoever ticks, again when the date moves, never for a moment
already past when someone got their place, and never for a cancelled date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import col, insert

from bot.conversation.payloads import decode
from bot.conversation.replies import Buttons, FieldItem, Fields, Link, Text, When
from bot.conversation.tick import SelfMarking, Ticker
from bot.events import places
from bot.events.actions import CANCEL
from bot.events.catalogue import move_date
from bot.events.deps import Events
from bot.events.due import look_again, reminders
from bot.events.feature import feature
from bot.events.leadform import Move
from bot.events.payloads import OccurrenceRef
from storage.engine import Database
from storage.events import LOOK_NOW, EventSeries, Occurrence, Signup, SignupStatus
from tests.bot.events.places_fixtures import NOW, an_event, staff
from tests.bot.events.queued import queued
from tests.fakes import FakeClock
from tests.plans import caught, explained

STARTS = NOW + timedelta(days=2)
STAMP = "20261203T0900Z"


async def sign_up(db: Database, occurrence: int, n: int, *, at: datetime = NOW) -> None:
    async with db.session() as session:
        await places.sign_up(session, occurrence, staff(n), now=at)


async def ticking_at(db: Database, at: datetime) -> int:
    return await Ticker(db, [SelfMarking(reminders)], FakeClock(at)).tick()


async def change(db: Database, occurrence: int, **values: object) -> None:
    async with db.session() as session:
        found = await places.event_of(session, occurrence)
        assert found is not None
        row, series = found
        for name, value in values.items():
            setattr(series if name in ("reminders", "cancelled_at") else row, name, value)
        look_again(row)  # as a lead's change does (bot.events.catalogue)
        session.add_all([row, series])


async def test_the_day_before_and_the_hour_before_once_each_to_those_going(db: Database) -> None:
    occurrence = await an_event(db, capacity=2, starts=STARTS)
    for n in (1, 2, 3):  # the third waits: no reminder for a place not theirs
        await sign_up(db, occurrence, n)
    assert await ticking_at(db, STARTS - timedelta(minutes=1441)) == 0
    assert await ticking_at(db, STARTS - timedelta(minutes=1440)) == 2
    assert await ticking_at(db, STARTS - timedelta(minutes=1400)) == 0  # another replica
    assert await ticking_at(db, STARTS - timedelta(minutes=60)) == 2
    assert await ticking_at(db, STARTS - timedelta(minutes=1)) == 0
    assert await ticking_at(db, STARTS) == 0
    keys = list(await queued(db, "events:remind:"))
    assert keys == [
        f"events:remind:{occurrence}:1440:{STAMP}:1",
        f"events:remind:{occurrence}:1440:{STAMP}:2",
        f"events:remind:{occurrence}:60:{STAMP}:1",
        f"events:remind:{occurrence}:60:{STAMP}:2",
    ]


async def test_a_reminder_says_when_and_where_and_how_to_give_the_place_back(
    db: Database,
) -> None:
    occurrence = await an_event(db, starts=STARTS)
    await change(db, occurrence, place="Room 4, Education Centre")
    await sign_up(db, occurrence, 1)
    await ticking_at(db, STARTS - timedelta(hours=1))
    ((address, reply),) = (await queued(db, "events:remind:")).values()
    assert address == staff(1)
    assert reply.summary == "Reminder: Lunch and learn"
    assert When(label="Starts", at=STARTS) in reply.blocks
    assert Fields(items=(FieldItem(label="Where", value="Room 4, Education Centre"),)) in (
        reply.blocks
    )
    assert any(isinstance(b, Text) and "please cancel" in b.text for b in reply.blocks)
    (buttons,) = [b for b in reply.blocks if isinstance(b, Buttons)]
    (button,) = buttons.buttons
    assert (button.label, button.action) == ("Cancel my place", CANCEL)
    assert decode(OccurrenceRef, button.value) == OccurrenceRef(occurrence=occurrence)


async def test_an_online_event_gives_its_link(db: Database) -> None:
    occurrence = await an_event(db, starts=STARTS)
    async with db.session() as session:
        row = await session.get(Occurrence, occurrence)
        assert row is not None
        series = await session.get(EventSeries, row.series_id)
        assert series is not None
        series.online_url = "https://meet.example.org/lunch"
    await sign_up(db, occurrence, 1)
    await ticking_at(db, STARTS - timedelta(hours=1))
    ((_, reply),) = (await queued(db, "events:remind:")).values()
    assert Link(label="Join online", url="https://meet.example.org/lunch") in reply.blocks


async def test_no_day_before_reminder_for_someone_who_signed_up_on_the_day(
    db: Database,
) -> None:
    occurrence = await an_event(db, starts=STARTS)
    await sign_up(db, occurrence, 1)
    await sign_up(db, occurrence, 2, at=STARTS - timedelta(hours=2))
    assert await ticking_at(db, STARTS - timedelta(minutes=90)) == 1  # only the first
    assert await ticking_at(db, STARTS - timedelta(minutes=60)) == 2
    assert [k.split(":")[3] + ":" + k.split(":")[-1] for k in await queued(db)] == [
        "1440:1",
        "60:1",
        "60:2",
    ]


async def test_missed_reminders_are_not_sent_all_at_once(db: Database) -> None:
    """peerbot was down the day before: the hour-before reminder comes alone."""
    occurrence = await an_event(db, starts=STARTS)
    await sign_up(db, occurrence, 1)
    assert await ticking_at(db, STARTS - timedelta(minutes=30)) == 1
    assert list(await queued(db)) == [f"events:remind:{occurrence}:60:{STAMP}:1"]


async def test_a_moved_date_reminds_again_at_its_new_time(db: Database) -> None:
    occurrence = await an_event(db, starts=STARTS)
    await sign_up(db, occurrence, 1)
    assert await ticking_at(db, STARTS - timedelta(hours=24)) == 1
    later = STARTS + timedelta(days=1)
    await change(db, occurrence, starts_at=later, ends_at=later + timedelta(hours=1), sequence=1)
    assert await ticking_at(db, STARTS - timedelta(hours=1)) == 0  # its old hour: nothing
    assert await ticking_at(db, later - timedelta(hours=24)) == 1
    assert list(await queued(db)) == [
        f"events:remind:{occurrence}:1440:{STAMP}:1",
        f"events:remind:{occurrence}:1440:20261204T0900Z:1",
    ]


async def test_cancelled_dates_events_and_reminders_switched_off_remind_nobody(
    db: Database,
) -> None:
    dates = [await an_event(db, starts=STARTS) for _ in range(3)]
    for occurrence in dates:
        await sign_up(db, occurrence, 1)
    await change(db, dates[0], cancelled_at=NOW)  # the series: the whole event
    await change(db, dates[1], reminders=[])
    async with db.session() as session:
        row = await session.get(Occurrence, dates[2])
        assert row is not None
        row.cancelled_at = NOW
    assert await ticking_at(db, STARTS - timedelta(minutes=30)) == 0


async def test_a_cancelled_place_is_not_reminded(db: Database) -> None:
    occurrence = await an_event(db, starts=STARTS)
    await sign_up(db, occurrence, 1)
    async with db.session() as session:
        await places.cancel(session, occurrence, staff(1), now=NOW)
    assert await ticking_at(db, STARTS - timedelta(minutes=30)) == 0


async def test_the_events_feature_ticks_its_reminders(db: Database) -> None:
    events = feature(Events())
    assert events.due == SelfMarking(reminders)
    occurrence = await an_event(db, starts=STARTS)
    await sign_up(db, occurrence, 1)
    clock = FakeClock(datetime(2026, 12, 3, 8, 30, tzinfo=UTC))
    assert await Ticker(db, [events.due], clock).tick() == 1


async def test_the_tick_reads_only_dates_near_their_start_by_its_index(
    sqlite_db: Database,
) -> None:
    """Every replica asks every half minute: the dates are found by the index on when
    they are next looked at, never by reading every date there is."""
    await an_event(sqlite_db, starts=STARTS)
    statements: list[tuple[str, object]] = []

    def heard(_conn: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        if "FROM event_occurrence" in statement:
            statements.append((statement, params))

    event.listen(sqlite_db.engine.sync_engine, "before_cursor_execute", heard)
    try:
        await ticking_at(sqlite_db, STARTS - timedelta(minutes=30))
    finally:
        event.remove(sqlite_db.engine.sync_engine, "before_cursor_execute", heard)
    (statement, params), *_ = statements
    async with sqlite_db.engine.connect() as connection:
        plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        steps = " ".join(str(row[-1]) for row in plan.all())
    assert "SEARCH event_occurrence USING INDEX ix_event_occurrence_next_reminder_at" in steps, (
        steps
    )


async def many_events(db: Database, count: int, *, signups: int = 10) -> None:
    """`count` one-off events, a date every four hours from STARTS, each with `signups`
    people going, written in a few statements."""
    async with db.session() as session:
        for start in range(0, count, 200):  # within a statement's 32,767 parameters
            chunk = range(start, min(count, start + 200))
            rows = [
                EventSeries(
                    network="lgbtq",
                    title="Lunch",
                    first_start=STARTS + timedelta(hours=4 * n),
                    minutes=60,
                    time_zone="UTC",
                    reminders=[1440, 60],
                    created_by="slack:U07LEAD003",
                    created_at=NOW,
                ).model_dump(exclude={"id"})
                for n in chunk
            ]
            ids = (
                (
                    await session.exec(
                        insert(EventSeries).values(rows).returning(col(EventSeries.id))
                    )
                )
                .scalars()
                .all()
            )
            dates = [
                {"series_id": i, "slot": r["first_start"], "starts_at": r["first_start"]}
                | {"ends_at": r["first_start"] + timedelta(hours=1)}
                for i, r in zip(ids, rows, strict=True)
            ]
            made = await session.exec(
                insert(Occurrence).values(dates).returning(col(Occurrence.id))
            )
            people = [
                {"occurrence_id": o, "platform": "slack", "tenant": "T1", "user_id": f"U{k:05d}"}
                | {"status": SignupStatus.GOING, "queued_at": NOW, "changed_at": NOW}
                for o in made.scalars().all()
                for k in range(signups)
            ]
            await session.exec(insert(Signup).values(people))


async def test_with_a_half_year_of_events_the_tick_reads_every_table_by_an_index(
    postgres_url: str,
) -> None:
    """On PostgreSQL, with a date every four hours for most of a year, a tick's reminder
    queries (after the first, which looks at every new date) find the dates by when they
    are next looked at and their series and sign-ups by key: none reads a whole table,
    which would cost more with every event ever published."""
    db = Database(postgres_url)
    try:
        await many_events(db, 2000)
        # The first tick looks at every new date once (all of them: read whole, rightly).
        await ticking_at(db, STARTS + timedelta(hours=23))
        async with db.engine.begin() as connection:
            await connection.exec_driver_sql("ANALYZE")
        with caught(db) as statements:
            assert await ticking_at(db, STARTS + timedelta(days=1)) > 0
        plans = await explained(db, statements)
    finally:
        await db.dispose()
    events = {"event_series", "event_occurrence", "event_signup"}
    assert events <= {table for plan in plans for table in plan.tables()}
    for plan in plans:
        assert not plan.seq_scans() & events, plan.text


async def looked_at_next(db: Database, occurrence: int) -> datetime | None:
    async with db.session(write=False) as session:
        row = await session.get(Occurrence, occurrence)
        assert row is not None
        return row.next_reminder_at


async def test_each_date_says_when_it_is_looked_at_next_and_none_once_all_are_sent(
    db: Database,
) -> None:
    """An idle tick reads no date: each is looked at again only at its next moment."""
    occurrence = await an_event(db, starts=STARTS)
    await sign_up(db, occurrence, 1)
    day_before, hour_before = STARTS - timedelta(days=1), STARTS - timedelta(hours=1)
    assert await ticking_at(db, NOW) == 0
    assert await looked_at_next(db, occurrence) == day_before
    assert await ticking_at(db, day_before) == 1
    assert await looked_at_next(db, occurrence) == day_before  # again within the minute
    assert await ticking_at(db, day_before + timedelta(minutes=2)) == 0
    assert await looked_at_next(db, occurrence) == hour_before
    assert await ticking_at(db, hour_before) == 1
    assert await ticking_at(db, hour_before + timedelta(minutes=2)) == 0
    assert await looked_at_next(db, occurrence) is None
    async with db.session(write=False) as session:
        assert await reminders(session, STARTS - timedelta(minutes=5)) == []


async def test_a_place_taken_just_before_the_moment_but_saved_just_after_is_reminded(
    db: Database,
) -> None:
    """Its sign-up's transaction began before the moment and committed after the tick
    that reminded the others: the next tick, within the minute, reminds it too."""
    occurrence = await an_event(db, starts=STARTS)
    await sign_up(db, occurrence, 1)
    day_before = STARTS - timedelta(days=1)
    assert await ticking_at(db, day_before) == 1
    await sign_up(db, occurrence, 2, at=day_before - timedelta(seconds=1))
    assert await ticking_at(db, day_before + timedelta(seconds=30)) == 1
    assert sorted(await queued(db)) == [
        f"events:remind:{occurrence}:1440:{STAMP}:1",
        f"events:remind:{occurrence}:1440:{STAMP}:2",
    ]


async def test_a_date_moved_by_its_lead_is_looked_at_again(db: Database) -> None:
    occurrence = await an_event(db, starts=STARTS)
    await sign_up(db, occurrence, 1)
    assert await ticking_at(db, STARTS - timedelta(hours=1)) == 1
    assert await ticking_at(db, STARTS - timedelta(minutes=50)) == 0
    later = STARTS + timedelta(days=1)
    async with db.session() as session:
        found = await places.event_of(session, occurrence)
        assert found is not None
        row, series = found
        move = Move(starts_at=later, ends_at=later + timedelta(hours=1), place=series.place)
        assert await move_date(session, row, series, move, now=NOW)
    assert await looked_at_next(db, occurrence) == LOOK_NOW
    assert await ticking_at(db, later - timedelta(hours=1)) == 1
