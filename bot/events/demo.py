"""A few made-up events for the example trust's networks, so a first `make run` shows a
living events list rather than an empty one.

Every date is counted from now, in the organisation's zone, so the list is "upcoming"
whenever the demo is loaded. Loading is idempotent: a demo event already there (found by
its title among the demo's own) is left alone, so running it twice adds nothing. Events
are stored as a lead's form stores them (bot.events.catalogue.create), except that nobody
is told of them: loaded into a real organisation's database, a made-up event must never
reach a real member's DMs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import Actor, PersonAddress, Platform
from bot.events import places
from bot.events.catalogue import create
from bot.events.leadform import Draft
from storage.directory import active_networks, organisation
from storage.events import EventSeries, Occurrence

DEMO = Actor(platform=Platform.CONSOLE, tenant="", user_id="demo")
AUTHOR = f"{DEMO.platform}:{DEMO.user_id}"
"""`created_by` of every demo event: how a second load knows what the first one made."""
REMINDERS = (24 * 60, 60)
FULL_UP = tuple(
    PersonAddress(platform=Platform.CONSOLE, tenant="", user_id=f"demo-colleague-{n}")
    for n in (1, 2)
)
"""Made-up colleagues who take the places of the demo's one full event, so the list shows
a waitlist to join. Console ids: nobody on a real platform is ever signed up."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Demo:
    """One demo event: `days` from today, at `at` local time; `rule` an RRULE when it repeats."""

    network: str
    title: str
    description: str
    days: int
    at: time
    minutes: int
    place: str = ""
    online_url: str = ""
    accessibility: str = ""
    capacity: int | None = None
    rule: str = ""
    full: bool = False


EVENTS: Sequence[Demo] = (
    Demo(
        network="lgbtq",
        title="LGBTQ+ lunchtime catch-up",
        description="Bring your lunch and meet colleagues. Allies welcome. No need to talk.",
        days=2,
        at=time(12, 30),
        minutes=45,
        place="Seminar room 3, Education Centre",
        accessibility="Step-free access from the main corridor. Quiet room next door.",
        capacity=20,
        rule="FREQ=WEEKLY;INTERVAL=2",
    ),
    Demo(
        network="race-equality",
        title="Listening circle: racism at work",
        description=(
            "A safe space to share experiences and hear from others. "
            "What is said in the circle stays in the circle."
        ),
        days=5,
        at=time(13, 0),
        minutes=60,
        place="Boardroom, Trust HQ",
        accessibility="Step-free. A hearing loop is fitted.",
        capacity=15,
    ),
    Demo(
        network="disabled-staff",
        title="Disabled Staff Network meet-up",
        description="News from the network, then time to talk. Cameras optional.",
        days=8,
        at=time(16, 0),
        minutes=60,
        online_url="https://meet.example.nhs.uk/disabled-staff",
        accessibility="Live captions on. Slides are sent a day before.",
        rule="FREQ=WEEKLY;INTERVAL=4",
    ),
    Demo(
        network="womens",
        title="Menopause café",
        description="An informal chat over tea about menopause at work, with Occupational Health.",
        days=3,
        at=time(10, 0),
        minutes=60,
        place="Staff Wellbeing Hub, Level 2",
        accessibility="Step-free. Seats with arms available.",
        capacity=2,
        full=True,
    ),
    Demo(
        network="multi-faith",
        title="Quiet reflection and shared lunch",
        description="A few quiet minutes together, then lunch. Any faith or none: all welcome.",
        days=11,
        at=time(12, 0),
        minutes=60,
        place="Multi-faith room, Ground floor",
        accessibility="Step-free. Vegetarian, vegan and halal food.",
        capacity=30,
    ),
)


async def load(session: AsyncSession, *, now: datetime) -> int:
    """Add the demo events the organisation's networks do not have yet; returns how many
    were added. A demo event for a network the organisation file does not name is skipped."""
    org = await organisation(session)
    zone = org.time_zone if org is not None else "Europe/London"
    networks = {n.key for n in await active_networks(session)}
    ours = select(EventSeries.title).where(col(EventSeries.created_by) == AUTHOR)
    have = set((await session.exec(ours)).all())
    added = 0
    for demo in EVENTS:
        if demo.network in networks and demo.title not in have:
            await _add(session, demo, zone, now=now)
            added += 1
    return added


async def any_events(session: AsyncSession) -> bool:
    """Whether any event was ever stored here, the demo's or a lead's."""
    return bool((await session.exec(select(func.count()).select_from(EventSeries))).one())


async def _add(session: AsyncSession, demo: Demo, zone: str, *, now: datetime) -> None:
    """Stored as a lead's form stores an event, its dates made as a lead's are."""
    local = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=demo.days)
    first = datetime.combine(local, demo.at, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    draft = Draft(
        network=demo.network,
        title=demo.title,
        description=demo.description,
        first_start=first,
        minutes=demo.minutes,
        time_zone=zone,
        place=demo.place,
        online_url=demo.online_url,
        capacity=demo.capacity,
        waitlist=True,
        closes_before=None,
        reminders=REMINDERS,
        accessibility=demo.accessibility,
        rule=demo.rule,
    )
    series, _ = await create(session, draft, DEMO, now=now, tell=False)
    if demo.full:
        first_date = select(Occurrence.id).where(col(Occurrence.series_id) == series.id)
        occurrence = (await session.exec(first_date.order_by(col(Occurrence.starts_at)))).first()
        assert occurrence is not None
        for person in FULL_UP:
            await places.sign_up(session, occurrence, person, now=now)
