"""Check-ins on the tick, on SQLite and PostgreSQL: each person asked once a round however
often and wherever the tick runs; rounds from the cadence and the clock (a round missed
while peerbot was down recorded, never sent late; 10:00 local across a clock change);
people's quiet hours, days off and snoozes respected; paused and unreachable people
skipped; a tick with nothing new reads only through indexes and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import col, select

from bot.conversation.codec import reply_from_json
from bot.conversation.replies import Buttons, When
from storage.due import DueWindow
from storage.engine import Database
from storage.mentoring import Member, Pair, PairStatus, Round
from storage.outbox import OutboxRow
from tests.bot.mentoring.chat import my_hours
from tests.bot.mentoring.fixtures import (
    DECEMBER,
    LONDON,
    NOVEMBER,
    OCTOBER,
    PROGRAMME,
    add_pairs,
    keys,
    organised,
    pair,
    tick,
    underway,
)


async def rows(db: Database, prefix: str = "mentoring:") -> list[OutboxRow]:
    async with db.session(write=False) as session:
        found = (await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
    return [r for r in found if r.dedupe_key.startswith(prefix)]


async def recorded(db: Database) -> list[tuple[datetime, str]]:
    async with db.session(write=False) as session:
        query = select(Round).where(Round.programme == PROGRAMME).order_by(col(Round.opens_at))
        return [(r.opens_at, r.state) for r in (await session.exec(query)).all()]


async def test_a_round_asks_both_people_of_every_pair_once_whoever_ticks(db: Database) -> None:
    await organised(db)
    first, second = await add_pairs(db, pair(1), pair(2))
    assert await tick(db, datetime(2026, 8, 31, tzinfo=UTC)) == 0  # before the programme
    assert await recorded(db) == []
    assert await tick(db, OCTOBER) == 4
    assert await tick(db, OCTOBER + timedelta(minutes=1)) == 0
    assert await tick(db, OCTOBER + timedelta(days=2)) == 0  # another replica, days later
    assert await keys(db) == [
        f"mentoring:checkin:{first}:2026-10-06T09:00Z:1",
        f"mentoring:checkin:{first}:2026-10-06T09:00Z:2",
        f"mentoring:checkin:{second}:2026-10-06T09:00Z:3",
        f"mentoring:checkin:{second}:2026-10-06T09:00Z:4",
    ]
    assert await recorded(db) == [
        (datetime(2026, 9, 1, 9, tzinfo=UTC), "missed"),
        (OCTOBER, "open"),
    ]
    async with db.session(write=False) as session:
        assert (await session.exec(select(DueWindow))).all() == []  # it keeps its own marks


async def test_the_check_in_names_the_partner_and_the_round_with_every_button(
    db: Database,
) -> None:
    await organised(db)
    await add_pairs(db, pair(1))
    await tick(db, OCTOBER)
    row, _ = await rows(db)
    assert row.address == {"kind": "person", "platform": "console", "tenant": "", "user_id": "s1"}
    reply = reply_from_json(row.reply or {})
    assert reply.summary == "Time for your Reverse Mentoring for Inclusion check-in"
    assert "how are things going with Frontline 1? It takes a minute." in str(reply.blocks)
    assert When(label="This round opened", at=OCTOBER) in reply.blocks
    (buttons,) = [b for b in reply.blocks if isinstance(b, Buttons)]
    assert [b.label for b in buttons.buttons] == [
        "Check in",
        "Snooze",
        "Pause",
        "Leave",
        "My hours",
    ]
    assert row.due_at == OCTOBER


async def test_downtime_records_missed_rounds_and_catches_up_the_open_one_across_the_clock_change(
    db: Database,
) -> None:
    """October's round is asked; peerbot is then down from before November's round until
    after December's opened: November's is recorded missed and nothing is sent for it,
    December's is caught up once, and every round opened at 10:00 London time, summer
    (09:00 UTC) or winter (10:00 UTC)."""
    await organised(db)
    await add_pairs(db, pair(1))
    assert await tick(db, OCTOBER) == 2
    back = DECEMBER + timedelta(days=1, hours=1)
    assert await tick(db, back) == 2
    assert await tick(db, back + timedelta(minutes=5)) == 0
    assert await recorded(db) == [
        (OCTOBER, "closed"),
        (NOVEMBER, "missed"),
        (DECEMBER, "open"),
    ]
    assert {opens.astimezone(LONDON).strftime("%H:%M") for opens, _ in await recorded(db)} == {
        "10:00"
    }
    assert [k.split(":")[3] for k in await keys(db)] == [
        "2026-10-06T09",
        "2026-10-06T09",
        "2026-12-01T10",
        "2026-12-01T10",
    ]
    caught_up = (await rows(db))[-1]
    assert caught_up.due_at == back  # now, not December's opening: nothing pretends


async def test_weekends_and_quiet_hours_wait_for_the_next_allowed_moment(db: Database) -> None:
    """A round opening at 10:00 on a Tuesday reaches a night nurse (quiet 09:00 to 17:30,
    working Tuesday to Saturday) at 17:30; someone whose only working day is Thursday
    hears on Thursday at 08:00, the default end of quiet hours."""
    services = await underway(db, pair(1), asked=False)
    await my_hours(services, "s1", "1,2,3,4,5", ("09:00", "17:30"))
    await my_hours(services, "f1", "3", ("20:00", "08:00"))
    await tick(db, OCTOBER)
    senior, frontline = await rows(db)
    assert senior.due_at.astimezone(LONDON) == datetime(2026, 10, 6, 17, 30, tzinfo=LONDON)
    assert frontline.due_at.astimezone(LONDON) == datetime(2026, 10, 8, 8, 0, tzinfo=LONDON)


async def test_a_person_with_their_own_zone_is_nudged_on_their_clock(db: Database) -> None:
    services = await underway(db, pair(1), asked=False)
    # 10:00 in London is 05:00 in New York: still their quiet hours
    await my_hours(services, "s1", "0,1,2,3,4", ("20:00", "08:00"), "America/New_York")
    await tick(db, OCTOBER)
    senior, _ = await rows(db)
    assert senior.due_at == OCTOBER + timedelta(hours=3)  # 08:00 in New York


async def test_paused_snoozed_and_unreachable_people_are_marked_and_never_reread(
    db: Database,
) -> None:
    await organised(db)
    paused, snoozed, _unreachable, fine = await add_pairs(
        db, pair(1), pair(2), pair(3, platform=""), pair(4)
    )
    async with db.session() as session:
        row = await session.get(Pair, paused)
        assert row is not None
        row.status = PairStatus.PAUSED
        session.add(row)
        for member in (await session.exec(select(Member).where(Member.pair_id == snoozed))).all():
            member.snoozed_until = OCTOBER + timedelta(days=40)  # past the round's end
            session.add(member)
    assert await tick(db, OCTOBER) == 2
    assert [k.split(":")[2] for k in await keys(db)] == [str(fine), str(fine)]
    async with db.session(write=False) as session:
        members = (await session.exec(select(Member))).all()
    assert {m.asked_round for m in members} == {OCTOBER}  # all marked: none read again


async def test_a_snooze_that_ends_within_the_round_delays_the_check_in_to_its_end(
    db: Database,
) -> None:
    await organised(db)
    (first,) = await add_pairs(db, pair(1))
    until = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)  # Monday, 10:00 London
    async with db.session() as session:
        for member in (await session.exec(select(Member).where(Member.pair_id == first))).all():
            member.snoozed_until = until
            session.add(member)
    assert await tick(db, OCTOBER) == 2
    assert {r.due_at for r in await rows(db)} == {until}


async def test_a_tick_with_nothing_new_reads_through_indexes_and_writes_nothing(
    sqlite_db: Database,
) -> None:
    """Every replica ticks every half minute all round long: once the round is queued, a
    tick finds the people still to ask, and the reminders due, by index, and inserts
    nothing at all."""
    await organised(sqlite_db)
    await add_pairs(sqlite_db, *(pair(n) for n in range(1, 21)))
    assert await tick(sqlite_db, OCTOBER) == 40
    statements: list[tuple[str, object]] = []

    def heard(_conn: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        statements.append((statement, params))

    event.listen(sqlite_db.engine.sync_engine, "before_cursor_execute", heard)
    try:
        assert await tick(sqlite_db, OCTOBER + timedelta(minutes=1)) == 0
    finally:
        event.remove(sqlite_db.engine.sync_engine, "before_cursor_execute", heard)
    assert not [s for s, _ in statements if s.lstrip().upper().startswith("INSERT")]
    members = [(s, p) for s, p in statements if "FROM mentoring_member" in s]
    plans = []
    async with sqlite_db.engine.connect() as connection:
        for statement, params in members:
            plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            plans.append(" ".join(str(row[-1]) for row in plan.all()))
    assert any("USING INDEX ix_mentoring_member_asked" in p for p in plans), plans
    assert any("USING INDEX ix_mentoring_member_remind_at" in p for p in plans), plans
    assert not [p for p in plans if "SCAN mentoring_member" in p], plans
