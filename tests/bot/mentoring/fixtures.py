"""A reverse-mentoring programme from the example organisation file, pairs added as a
coordinator adds them, and ticks at chosen moments: for tests of the rules under the chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.conversation.services import Services
from bot.conversation.tick import SelfMarking, Ticker
from bot.mentoring import newpairs
from bot.mentoring.due import due
from bot.mentoring.newpairs import NewPair, Person
from bot.organisation.sync import apply_org_file
from storage.engine import Database
from storage.mentoring import Member, PairRole
from storage.outbox import OutboxRow
from tests.bot.organisation.test_directory_features import EXAMPLE
from tests.fakes import FakeClock

PROGRAMME = "reverse-mentoring"
LONDON = ZoneInfo("Europe/London")
OCTOBER = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
"""The first Tuesday of October at 10:00 in London (BST): a round opens."""
NOVEMBER = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
"""The first Tuesday of November at 10:00 in London, now GMT: the next round."""
DECEMBER = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DOMAIN = "riverside.example.nhs.uk"
HOUR = timedelta(hours=1)


async def organised(db: Database) -> None:
    """The example trust: reverse mentoring monthly on the first Tuesday at 10:00."""
    await apply_org_file(db, EXAMPLE)


def pair(n: int, *, platform: str = "console") -> NewPair:
    """Pair `n`: senior `s<n>` and frontline `f<n>`, known on `platform` ("" for nowhere)."""
    return NewPair(
        people=(
            Person(
                role=PairRole.SENIOR,
                email=f"senior{n}@{DOMAIN}",
                name=f"Senior {n}",
                ids={platform: f"s{n}"} if platform else {},
            ),
            Person(
                role=PairRole.FRONTLINE,
                email=f"frontline{n}@{DOMAIN}",
                name=f"Frontline {n}",
                ids={platform: f"f{n}"} if platform else {},
            ),
        )
    )


async def add_pairs(
    db: Database, *pairs: NewPair, at: datetime = OCTOBER, programme: str = PROGRAMME
) -> list[int]:
    async with db.session() as session:
        added = await newpairs.add(session, programme, pairs, now=at)
    return [p.id for p in added if p.id is not None]


async def underway(
    db: Database, *pairs: NewPair, asked: bool = True, now: datetime = OCTOBER + HOUR
) -> Services:
    """The example programme with these pairs, at `now`; with `asked`, October's round has
    been ticked (everyone's check-in queued)."""
    await organised(db)
    await add_pairs(db, *pairs)
    if asked:
        await tick(db, OCTOBER)
    return Services(db=db, clock=FakeClock(now))


async def tick(db: Database, at: datetime) -> int:
    """One replica's tick at `at` with mentoring's due source, as the runtime wires it."""
    return await Ticker(db, [SelfMarking(due)], FakeClock(at)).tick()


async def keys(db: Database, prefix: str = "mentoring:") -> list[str]:
    async with db.session(write=False) as session:
        query = select(OutboxRow.dedupe_key).order_by(col(OutboxRow.id))
        return [k for k in (await session.exec(query)).all() if k.startswith(prefix)]


async def member(db: Database, email_start: str) -> Member:
    async with db.session(write=False) as session:
        query = select(Member).where(col(Member.email).startswith(email_start))
        return (await session.exec(query)).one()
