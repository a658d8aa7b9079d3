"""An event to sign up for, made straight in the tables, for tests of the rules under it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.conversation.inbound import PersonAddress, Platform
from storage.engine import Database
from storage.events import EventSeries, Occurrence

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
STARTS = NOW + timedelta(days=7)


def staff(n: int) -> PersonAddress:
    return PersonAddress(platform=Platform.SLACK, tenant="T1", user_id=f"U{n:05d}")


async def an_event(
    db: Database,
    *,
    capacity: int | None = 2,
    waitlist: bool = True,
    starts: datetime = STARTS,
    closes_before: int | None = None,
    network: str = "lgbtq",
) -> int:
    """A one-off event; returns its one occurrence's id."""
    async with db.session() as session:
        series = EventSeries(
            network=network,
            title="Lunch and learn",
            first_start=starts,
            minutes=60,
            time_zone="Europe/London",
            capacity=capacity,
            waitlist=waitlist,
            closes_before=closes_before,
            reminders=[1440, 60],
            created_by="slack:U07LEAD003",
            created_at=NOW,
        )
        session.add(series)
        await session.flush()
        assert series.id is not None
        occurrence = Occurrence(
            series_id=series.id, slot=starts, starts_at=starts, ends_at=starts + timedelta(hours=1)
        )
        session.add(occurrence)
        await session.flush()
        assert occurrence.id is not None
        return occurrence.id
