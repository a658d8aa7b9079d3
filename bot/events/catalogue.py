"""The data rules of a network's events: a series and its dates made, changed, moved
alone, cancelled, and given their next dates as time passes. Whoever a change touches is
told (notices), and places a change frees are offered (places): the chat handlers only
check and say, so every way in keeps the same rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import Actor
from bot.conversation.services import Services
from bot.conversation.tick import Chore
from bot.events import notices, places
from bot.events.due import look_again
from bot.events.leadform import Draft, Move
from bot.events.schedule import HORIZON, LIMIT, Slot, expand
from storage.events import EventSeries, Occurrence
from storage.upsert import insert_new


async def create(
    session: AsyncSession, draft: Draft, actor: Actor, *, now: datetime, tell: bool = True
) -> tuple[EventSeries, int]:
    """Store a series and its dates for the next six months (each date its own sign-ups),
    and let the network's members hear of it (unless not `tell`: a made-up demo event
    must never reach a real member)."""
    series = EventSeries(
        network=draft.network,
        time_zone=draft.time_zone,
        reminders=list(draft.reminders),
        created_by=f"{actor.platform}:{actor.user_id}",
        created_at=now,
        **{name: getattr(draft, name) for name in SERIES_FIELDS},
    )
    session.add(series)
    await session.flush()
    assert series.id is not None
    slots = _slots(series)
    for slot in slots:
        session.add(_occurrence(series.id, slot))
    await session.flush()
    if tell:
        await notices.published(session, series, now=now)
    return series, len(slots)


def _slots(
    series: EventSeries,
    start: datetime | None = None,
    horizon: timedelta = HORIZON,
    limit: int = LIMIT,
) -> list[Slot]:
    return expand(
        series.rule,
        first_start=series.first_start,
        minutes=series.minutes,
        zone=series.time_zone,
        start=start,
        horizon=horizon,
        limit=limit,
    )


def _occurrence(series_id: int, slot: Slot) -> Occurrence:
    return Occurrence(
        series_id=series_id, slot=slot.starts_at, starts_at=slot.starts_at, ends_at=slot.ends_at
    )


async def future(session: AsyncSession, series: EventSeries, now: datetime) -> list[Occurrence]:
    """The series' dates after `now`, cancelled ones too, soonest first."""
    query = (
        select(Occurrence)
        .where(col(Occurrence.series_id) == series.id, col(Occurrence.starts_at) > now)
        .order_by(col(Occurrence.starts_at))
    )
    return list((await session.exec(query)).all())


@dataclass(frozen=True, slots=True, kw_only=True)
class Given:
    """What a series gave its dates before a change: their local time of day, length and
    days. A date that still matches is changed with the series; one that does not was
    moved (or cancelled) alone, and keeps what the lead gave it."""

    zone: ZoneInfo
    time: dt_time
    minutes: int
    days: frozenset[date]

    def matches(self, occurrence: Occurrence) -> bool:
        local = occurrence.starts_at.astimezone(self.zone)
        return (
            occurrence.cancelled_at is None
            and not occurrence.place
            and not occurrence.online_url
            and local.time() == self.time
            and local.date() in self.days
            and occurrence.ends_at - occurrence.starts_at == timedelta(minutes=self.minutes)
        )


def _by_day(slots: Sequence[Slot], zone: ZoneInfo) -> dict[date, Slot]:
    return {s.starts_at.astimezone(zone).date(): s for s in slots}


async def change(session: AsyncSession, series: EventSeries, draft: Draft, *, now: datetime) -> int:
    """Change a series and each of its dates to come that was not moved alone. A date the
    new rule still has (the same local day) keeps its sign-ups and moves to the new time;
    a date it no longer has is cancelled, and people told; a new day is added. Returns how
    many dates people were told about."""
    assert series.id is not None
    zone = ZoneInfo(series.time_zone)
    every = (
        await session.exec(select(Occurrence).where(col(Occurrence.series_id) == series.id))
    ).all()
    future = sorted((o for o in every if o.starts_at > now), key=lambda o: o.starts_at)
    reach = max(HORIZON, (future[-1].starts_at - now + timedelta(days=1)) if future else HORIZON)
    limit = max(LIMIT, len(future))
    given = Given(
        zone=zone,
        time=series.first_start.astimezone(zone).time(),
        minutes=series.minutes,
        days=frozenset(_by_day(_slots(series, now, reach, limit), zone)),
    )
    where_before = (series.place, series.online_url)
    capacity_before = series.capacity
    for name in SERIES_FIELDS:
        setattr(series, name, getattr(draft, name))
    series.reminders = list(draft.reminders)
    session.add(series)
    wanted = _by_day(_slots(series, now, reach, limit), zone)
    where_moved = where_before != (series.place, series.online_url)
    told = 0
    for occurrence in future:
        look_again(occurrence)  # its reminders may have changed, or its time
        session.add(occurrence)
        day = occurrence.starts_at.astimezone(zone).date()
        if not given.matches(occurrence):
            wanted.pop(day, None)
            if occurrence.cancelled_at is None and not occurrence.place and where_moved:
                told += await date_changed(session, occurrence, series, now=now)
            continue
        slot = wanted.pop(day, None)
        if slot is None:
            told += await cancel_date(session, occurrence, series, now=now)
            continue
        moved = (occurrence.starts_at, occurrence.ends_at) != (slot.starts_at, slot.ends_at)
        occurrence.starts_at, occurrence.ends_at = slot.starts_at, slot.ends_at
        session.add(occurrence)
        if moved or where_moved:
            told += await date_changed(session, occurrence, series, now=now)
    slots_used = {o.slot for o in every}
    for slot in wanted.values():
        if slot.starts_at not in slots_used:
            session.add(_occurrence(series.id, slot))
    await session.flush()
    if _more_places(capacity_before, series.capacity):
        for occurrence in future:
            if occurrence.cancelled_at is None:
                await places.fill_free_places(session, occurrence, series, now=now)
    return told


SERIES_FIELDS = (
    "title",
    "description",
    "place",
    "online_url",
    "accessibility",
    "first_start",
    "minutes",
    "rule",
    "capacity",
    "waitlist",
    "closes_before",
)


def _more_places(before: int | None, after: int | None) -> bool:
    return before is not None and (after is None or after > before)


async def date_changed(
    session: AsyncSession, occurrence: Occurrence, series: EventSeries, *, now: datetime
) -> int:
    """A date's time or place changed: its invites are replaced (sequence) and everyone
    coming is told. Returns how many dates people were told about."""
    occurrence.sequence += 1
    session.add(occurrence)
    await session.flush()
    await notices.changed(session, occurrence, series, now=now)
    return 1


async def cancel_date(
    session: AsyncSession, occurrence: Occurrence, series: EventSeries, *, now: datetime
) -> int:
    """Cancel one date and tell everyone coming or waiting; a date cancelled already stays
    as it was, and nobody is told twice. Returns how many dates people were told about."""
    if occurrence.cancelled_at is not None:
        return 0
    occurrence.sequence += 1
    occurrence.cancelled_at = now
    session.add(occurrence)
    await session.flush()
    await notices.cancelled(session, occurrence, series, now=now)
    return 1


async def move_date(
    session: AsyncSession, occurrence: Occurrence, series: EventSeries, move: Move, *, now: datetime
) -> bool:
    """Move one date alone (the series keeps its rule); whether anything changed. A place
    the same as the series' is not kept on the date, so a later change of the series'
    place reaches it."""
    before = (occurrence.starts_at, occurrence.ends_at, occurrence.place)
    occurrence.starts_at, occurrence.ends_at = move.starts_at, move.ends_at
    occurrence.place = "" if move.place == series.place else move.place
    if before == (occurrence.starts_at, occurrence.ends_at, occurrence.place):
        return False
    look_again(occurrence)
    session.add(occurrence)
    await date_changed(session, occurrence, series, now=now)
    return True


async def cancel_event(session: AsyncSession, series: EventSeries, *, now: datetime) -> None:
    """Cancel a series and every date of it to come; the dates gone by stay as they were."""
    series.cancelled_at = series.cancelled_at or now
    session.add(series)
    for occurrence in await future(session, series, now):
        await cancel_date(session, occurrence, series, now=now)


async def extend(session: AsyncSession, *, now: datetime) -> int:
    """Dates are made six months ahead; as time passes, each repeating event gets its next
    ones. Only dates after its last are added (a date the lead cancelled or a change
    dropped never comes back), each at most once even with every replica at it (its slot
    is unique). Returns how many were added."""
    query = (
        select(EventSeries, func.max(Occurrence.slot))
        .join(Occurrence, col(Occurrence.series_id) == col(EventSeries.id))
        .where(col(EventSeries.cancelled_at).is_(None), col(EventSeries.rule) != "")
        .group_by(col(EventSeries.id))
    )
    added = 0
    for series, last in (await session.exec(query)).all():
        assert series.id is not None
        for slot in _slots(series, now):
            if slot.starts_at > last:
                row = {"series_id": series.id, "slot": slot.starts_at, "starts_at": slot.starts_at}
                added += await insert_new(session, Occurrence, {**row, "ends_at": slot.ends_at})
    return added


async def extend_dates(services: Services) -> int:
    async with services.db.session() as session:
        return await extend(session, now=services.clock.now())


CHORES = (Chore(name="events-dates", every=timedelta(hours=6), run=extend_dates),)
