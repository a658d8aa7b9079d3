"""Guardians are reminded before each deadline and everyone is told when one is missed, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.orgsync import apply_org_file
from bot.scheduling import Ticker
from bot.sealing import generate_key, sealer
from bot.speakup.alerts import deadlines
from bot.speakup.cases import Concern, raise_case
from storage.engine import Database
from storage.outbox import OutboxRow
from storage.speakup import Case, CaseStatus, Way
from tests.fakes import FakeClock

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "org.yml"
START = datetime(2026, 11, 2, 9, tzinfo=UTC)


async def keys(db: Database) -> list[str]:
    async with db.session() as session:
        return sorted(r.dedupe_key for r in (await session.exec(select(OutboxRow))).all())


async def test_deadline_reminders_and_escalations_come_once_each(db: Database) -> None:
    await apply_org_file(db, EXAMPLE)
    async with db.session() as session:
        raised = await raise_case(
            session,
            Concern(what="x", way=Way.ANONYMOUS),
            reporter=None,
            sealer=sealer(generate_key()),
            today=START.date(),
        )
    code = raised.code
    clock = FakeClock(START)
    ticker = Ticker(db, [deadlines], clock)

    assert await ticker.tick() == 0
    clock.advance(days=5)  # two days before acknowledgement is due
    assert await ticker.tick() == 3
    assert await keys(db) == [
        f"speakup:ack-reminder:{code}:console:guardian",
        f"speakup:ack-reminder:{code}:console:tom",
        f"speakup:ack-reminder:{code}:slack:C07GUARDIANS",
    ]
    clock.advance(days=3)  # a day past it: every guardian is told, in the space and directly
    assert await ticker.tick() == 6
    overdue = [k for k in await keys(db) if ":ack-overdue:" in k]
    assert sorted(k.rsplit(":", 2)[-2] + ":" + k.rsplit(":", 1)[-1] for k in overdue) == [
        "console:guardian",
        "console:tom",
        "slack:C07GUARDIANS",
        "slack:U07GUARD01",
        "slack:U07GUARD02",
        "slack:U07GUARD03",
    ]
    assert await ticker.tick() == 0  # nothing twice

    async with db.session() as session:
        case = (await session.exec(select(Case))).one()
        case.status = CaseStatus.ACKNOWLEDGED
        session.add(case)
    clock.current = datetime.combine(raised.feedback_by - timedelta(days=14), START.timetz())
    assert await ticker.tick() == 3  # the feedback reminder; acknowledgement is done
    clock.current += timedelta(days=15)
    assert await ticker.tick() == 6
    assert await ticker.tick() == 0
