"""Guardians are reminded before each deadline and everyone is told when one is missed, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from sqlmodel import col, select, update

from bot.conversation.inbound import Address
from bot.conversation.outbox import contents
from bot.conversation.replies import Reply
from bot.conversation.sealing import generate_key, sealer
from bot.conversation.tick import Ticker
from bot.organisation.sync import apply_org_file
from bot.speakup.alerts import deadlines, due, new_case, reporter_added, where
from bot.speakup.cases import Concern, Raised, raise_case
from storage.due import DueWindow
from storage.engine import Database
from storage.outbox import OutboxRow, OutboxStatus, purge_sent
from storage.speakup.cases import Case, CaseStatus, Way, case_by_code
from tests.fakes import FakeClock

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "org.yml"
START = datetime(2026, 11, 2, 9, tzinfo=UTC)


SEALER = sealer(generate_key())


async def opened(db: Database) -> list[tuple[Address, Reply]]:
    async with db.session() as session:
        return [contents(r, SEALER) for r in (await session.exec(select(OutboxRow))).all()]


async def sent_to(db: Database, kind: str) -> list[str]:
    """Where each queued message of this kind (its first words) goes, as platform:channel
    (or platform:user for a guardian reached directly)."""
    return sorted(
        f"{a.platform}:{where(a)}" for a, r in await opened(db) if r.summary.startswith(kind)
    )


async def test_deadline_reminders_and_escalations_come_once_each(db: Database) -> None:
    await apply_org_file(db, EXAMPLE)
    raised = await raise_one(db, START.date())
    code = raised.code
    clock = FakeClock(START)
    ticker = Ticker(db, [deadlines], clock, sealer=SEALER)

    assert await ticker.tick() == 0
    clock.advance(days=5)  # two days before acknowledgement is due
    assert await ticker.tick() == 3
    assert await sent_to(db, f"Reminder: please acknowledge case {code}") == [
        "console:guardian",
        "console:tom",
        "slack:C07GUARDIANS",
    ]
    clock.advance(days=3)  # a day past it: every guardian is told, in the space and directly
    assert await ticker.tick() == 6
    assert await sent_to(db, f"Overdue: case {code}") == [
        "console:guardian",
        "console:tom",
        "slack:C07GUARDIANS",
        "slack:U07GUARD01",
        "slack:U07GUARD02",
        "slack:U07GUARD03",
    ]
    assert await ticker.tick() == 0  # nothing twice
    async with db.session() as session:
        windows = (await session.exec(select(DueWindow))).all()
    assert windows and not any(code in w.key for w in windows)  # done, and kept sealed

    async with db.session() as session:
        case = (await session.exec(select(Case))).one()
        case.status = CaseStatus.ACKNOWLEDGED
        session.add(case)
    clock.current = datetime.combine(raised.feedback_by - timedelta(days=14), START.timetz())
    assert await ticker.tick() == 3  # the feedback reminder; acknowledgement is done
    clock.current += timedelta(days=15)
    assert await ticker.tick() == 6
    assert await ticker.tick() == 0


async def with_policy(db: Database, tmp_path: Path, **rule: object) -> None:
    org = yaml.safe_load(EXAMPLE.read_text())
    org["speak_up_alerts"] = rule
    path = tmp_path / "org.yml"
    path.write_text(yaml.safe_dump(org))
    await apply_org_file(db, path)


async def raise_one(db: Database, today: date) -> Raised:
    async with db.session() as session:
        return await raise_case(
            session,
            Concern(what="x", way=Way.ANONYMOUS),
            reporter=None,
            sealer=sealer(generate_key()),
            today=today,
        )


async def test_a_random_delay_spreads_new_case_alerts_over_the_window(
    sqlite_db: Database, tmp_path: Path
) -> None:
    await with_policy(sqlite_db, tmp_path, policy="random_delay", max_delay_minutes=120)
    now = START
    times = set()
    for _ in range(5):
        raised = await raise_one(sqlite_db, now.date())
        async with sqlite_db.session() as session:
            alerts = await new_case(session, raised, now)
        assert alerts and len({a.due_at for a in alerts}) == 1  # every guardian at one time
        times.add(alerts[0].due_at)
    assert all(now <= t <= now + timedelta(minutes=120) for t in times)
    assert len(times) > 1  # five draws of 7,201 seconds: equal only by a one-in-billions chance


async def test_a_digest_comes_at_its_times_even_when_empty_and_never_twice(
    sqlite_db: Database, tmp_path: Path
) -> None:
    await with_policy(sqlite_db, tmp_path, policy="digest", digest_at=["17:00", "09:00"])
    clock = FakeClock(datetime(2026, 11, 2, 9, 30, tzinfo=UTC))  # London is on UTC in November
    ticker = Ticker(sqlite_db, [due], clock, sealer=SEALER)
    case = await raise_one(sqlite_db, clock.now().date())
    async with sqlite_db.session() as session:
        assert await new_case(session, case, clock.now()) == []  # the digest carries it
        later = await reporter_added(session, case.code, "case_message:1", clock.now())
    assert {a.due_at for a in later} == {datetime(2026, 11, 2, 17, tzinfo=UTC)}
    assert not any("09:30" in a.dedupe_key for a in later)  # the key keeps no time either

    assert await ticker.tick() == 3  # the 09:00 digest: guardian space and two console DMs
    sent = await replies(sqlite_db)
    assert all(f"1 case is waiting for acknowledgement: {case.code}" in t for t in sent)
    assert all("2 November, 09:00" in t for t in sent)
    clock.advance(hours=3)
    assert await ticker.tick() == 0  # nothing between digest times

    async with sqlite_db.session() as session:
        stored = await case_by_code(session, case.code)
        assert stored is not None
        stored.status = CaseStatus.ACKNOWLEDGED
        session.add(stored)
    clock.advance(hours=5)  # 17:30
    assert await ticker.tick() == 3
    assert sum("no cases are waiting" in t for t in await replies(sqlite_db)) == 3
    assert await ticker.tick() == 0


async def replies(db: Database) -> list[str]:
    return [r.summary for _, r in await opened(db)]


async def test_with_delivered_rows_deleted_an_escalation_comes_weekly_never_sooner(
    sqlite_db: Database,
) -> None:
    await apply_org_file(sqlite_db, EXAMPLE)
    raised = await raise_one(sqlite_db, START.date())
    clock = FakeClock(START)
    ticker = Ticker(sqlite_db, [deadlines], clock, sealer=SEALER)
    escalated_on: list[date] = []
    for _ in range(40):  # daily ticks; each day's messages delivered, a week's deleted
        before = len(await sent_to(sqlite_db, "Overdue"))
        await ticker.tick()
        if len(await sent_to(sqlite_db, "Overdue")) > before:
            escalated_on.append(clock.now().date())
        async with sqlite_db.session() as session:
            await session.exec(
                update(OutboxRow)
                .where(col(OutboxRow.status) == OutboxStatus.PENDING)
                .values(status=OutboxStatus.SENT, sent_at=clock.now())
            )
        async with sqlite_db.session() as session:
            await purge_sent(session, sent_before=clock.now() - timedelta(days=7))
        clock.advance(days=1)
    first = raised.acknowledge_by + timedelta(days=1)
    assert escalated_on == [first + timedelta(weeks=n) for n in range(len(escalated_on))]
    assert len(escalated_on) == 5
