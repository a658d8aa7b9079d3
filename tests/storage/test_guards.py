"""Guard rows live minutes: the purge takes windows that no longer count and old receipts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from adapters.runtime import wire
from bot.conversation.inbound import Actor, Platform
from bot.conversation.sealing import generate_key
from bot.organisation.config import load_settings
from bot.speakup.attempts import Attempts
from storage.engine import Database
from storage.speakup.guards import LookupAttempt, SentForm, claim_form
from tests.fakes import FakeClock

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
GUESSER = Actor(platform=Platform.SLACK, tenant="T1", user_id="U0GUESS1")


async def rows(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        attempts = (await session.exec(select(func.count()).select_from(LookupAttempt))).one()
        forms = (await session.exec(select(func.count()).select_from(SentForm))).one()
    return int(attempts), int(forms)


async def test_the_purge_keeps_what_still_guards_and_drops_the_rest(
    db: Database, database_url: str
) -> None:
    clock = FakeClock(NOW)
    settings = load_settings(database_url="sqlite:///unused.db", PEERBOT_SEALING_KEY=generate_key())
    runtime = wire(settings, db, clock)
    (chore,) = [c for c in runtime.router.chores if c.name == "speakup-guards"]

    async def purge_guards() -> object:
        return await chore.run(runtime.services)

    attempts = Attempts(key=runtime.guard_key)
    assert await attempts.take(db, GUESSER, NOW - timedelta(minutes=40)) is not None
    assert await attempts.take(db, GUESSER, NOW) is not None
    async with db.session() as session:
        assert await claim_form(session, "a" * 64, now=NOW - timedelta(minutes=20), since=NOW)
        assert await claim_form(session, "b" * 64, now=NOW, since=NOW)
    assert await rows(db) == (2, 2)
    assert await purge_guards() == 2
    assert await rows(db) == (1, 1)
    ticket = await attempts.take(db, GUESSER, NOW)
    assert ticket is not None
    await attempts.give_back(db, ticket)
    clock.advance(minutes=31)
    assert await purge_guards() == 2
    assert await rows(db) == (0, 0)
