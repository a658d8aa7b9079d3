"""The demo's reverse-mentoring pairs: part-way through a round whenever they are loaded,
asked already (loading sends nobody anything), a living coordinator's view, and loaded
once however often the command runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.conversation.services import Services
from bot.mentoring import demo
from bot.mentoring.actions import HEALTH
from bot.mentoring.payloads import programme_value
from storage.engine import Database
from storage.mentoring import Pair, Round
from tests.bot.mentoring.chat import COORDINATOR, KEY, pressed, router, text, typed
from tests.bot.mentoring.fixtures import keys, organised, tick
from tests.fakes import FakeClock

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


async def loaded(db: Database, now: datetime = NOW) -> int:
    async with db.session() as session:
        return await demo.load(session, now=now, sealer=KEY)


async def test_the_demo_is_mid_round_and_loading_it_sends_nothing(db: Database) -> None:
    await organised(db)
    assert await loaded(db) == len(demo.PAIRS)
    async with db.session(write=False) as session:
        found = (await session.exec(select(Round).where(Round.programme == demo.PROGRAMME))).all()
        statuses = [p.status for p in (await session.exec(select(Pair))).all()]
    *over, current = sorted(found, key=lambda r: r.opens_at)
    assert ([r.state for r in over], current.state) == (["closed", "closed"], "open")
    assert current.opens_at < NOW < current.closes_at
    assert statuses == ["active", "active", "active", "paused"]
    assert await tick(db, NOW) == 0 and await keys(db) == []
    assert await loaded(db) == 0  # once, however often


async def test_the_demo_shows_a_living_coordinators_view_and_a_pairing(db: Database) -> None:
    await organised(db)
    await loaded(db)
    services = Services(db=db, clock=FakeClock(NOW))
    health = text(
        await pressed(router(), services, COORDINATOR, HEALTH, programme_value(demo.PROGRAMME))
    )
    assert "Active pairs: 3" in health and "Paused: 1" in health
    said = " ".join(health.split())
    assert "4 pairs: 1 met, 1 planned to meet, 0 not met yet, 1 asked for help, 1 no answer" in said
    assert "Pairs that have not met for two rounds running: 1." in said  # Mark and Zainab
    assert "Actions agreed: 2 (1 done, 1 in progress, 0 to do, 0 dropped)." in health
    page = text(await typed(router(), services, "amina", "mentoring"))
    assert "Your partner: Grace Okoro" in page
    assert "Spend a night shift in the emergency department: Done" in page


async def test_the_demo_is_dated_from_whenever_it_is_loaded(db: Database) -> None:
    await organised(db)
    later = NOW + timedelta(days=200)
    await loaded(db, later)
    async with db.session(write=False) as session:
        found = (await session.exec(select(Round))).all()
    current = max(found, key=lambda r: r.opens_at)
    assert current.opens_at < later < current.closes_at
