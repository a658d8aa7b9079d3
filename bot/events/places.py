"""The place rules: who gets a place, who waits, and how a freed place moves on.

Every change to how many places are given goes through here, as a conditional UPDATE of
`Occurrence.taken` (only while a place is free, only while the event stands), so the
database itself refuses a place it does not have: two people pressing Sign up for the
last place on two replicas cannot both get it. A person's own row changes the same way,
from the status it was read in, so a cancellation racing a promotion is decided once.

A freed place is never given silently: the first person waiting is offered it, and it
stays theirs for a claim window; unclaimed, it passes to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import ColumnElement, and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import PersonAddress
from bot.events import notices
from storage.events import HOLDS_A_PLACE, EventSeries, Occurrence, Signup, SignupStatus
from storage.upsert import insert_new

OFFER_WINDOW = timedelta(hours=24)
SHORTEST_OFFER = timedelta(hours=1)
"""An offer lasts a day, or half the time left before sign-up closes when that is
sooner, but never less than an hour (or what is left, when even that is less)."""
RETRIES = 5
"""How often a step read-then-changed is tried again when someone else changed the row
first (their press, a promotion): each try reads afresh."""


class Outcome(StrEnum):
    GOING = "going"
    WAITING = "waiting"
    ALREADY = "already"
    """Nothing changed: they were already going, waiting or holding an offer (see signup)."""
    FULL = "full"
    """No place and no waitlist."""
    CLOSED = "closed"
    """Sign-up has closed, or the event has started."""
    EVENT_CANCELLED = "event_cancelled"
    GONE = "gone"
    """No such date (deleted, or a stale button)."""
    LEFT = "left"
    """They cancelled their place, their offer or their spot on the waitlist."""
    NOT_SIGNED_UP = "not_signed_up"
    EXPIRED = "expired"
    """The offer they tried to claim had run out; the place has moved on."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    outcome: Outcome
    occurrence: Occurrence | None = None
    series: EventSeries | None = None
    signup: Signup | None = None
    position: int | None = None
    """Their place in the queue (1 is next), when they are waiting."""


class Step(Protocol):
    """One person's press on one date: sign_up, cancel, claim or decline."""

    async def __call__(
        self, session: AsyncSession, occurrence_id: int, who: PersonAddress, *, now: datetime
    ) -> Result: ...


def closes_at(occurrence: Occurrence, series: EventSeries) -> datetime:
    """When sign-up for this date closes: its start, or earlier when the lead said so."""
    return occurrence.starts_at - timedelta(minutes=series.closes_before or 0)


def offer_deadline(occurrence: Occurrence, series: EventSeries, now: datetime) -> datetime:
    left = closes_at(occurrence, series) - now
    return now + min(OFFER_WINDOW, max(left / 2, min(left, SHORTEST_OFFER)))


async def event_of(
    session: AsyncSession, occurrence_id: int, *, lock: bool = False
) -> tuple[Occurrence, EventSeries] | None:
    """`lock`: hold the date's row until the transaction ends, so changes to its places
    happen one at a time. Without it, on PostgreSQL, a place given back by a cancellation
    that cannot yet see a newcomer's uncommitted spot in the queue, while the newcomer
    found no free place, stays free with someone waiting. (SQLite has one writer anyway.)"""
    query = (
        select(Occurrence, EventSeries)
        .join(EventSeries, col(EventSeries.id) == col(Occurrence.series_id))
        .where(col(Occurrence.id) == occurrence_id)
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update(of=Occurrence)
    found = (await session.exec(query)).first()
    return (found[0], found[1]) if found else None


async def signup_of(session: AsyncSession, occurrence_id: int, who: PersonAddress) -> Signup | None:
    query = (
        select(Signup)
        .where(
            col(Signup.occurrence_id) == occurrence_id,
            col(Signup.platform) == who.platform,
            col(Signup.tenant) == who.tenant,
            col(Signup.user_id) == who.user_id,
        )
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


async def position(session: AsyncSession, signup: Signup) -> int:
    """1-based: how many wait ahead of them, plus one. Ordered by when they joined the
    queue, then by row id, so two people joining in the same instant keep one order."""
    ahead = or_(
        col(Signup.queued_at) < signup.queued_at,
        and_(col(Signup.queued_at) == signup.queued_at, col(Signup.id) < signup.id),
    )
    query = select(func.count()).where(
        col(Signup.occurrence_id) == signup.occurrence_id,
        col(Signup.status) == SignupStatus.WAITING,
        ahead,
    )
    return int((await session.exec(query)).one()) + 1


async def sign_up(
    session: AsyncSession, occurrence_id: int, who: PersonAddress, *, now: datetime
) -> Result:
    """A place if one is free, else the waitlist (when the event has one). Pressing again,
    on any replica, changes nothing; pressing while holding an offer claims it."""
    found = await event_of(session, occurrence_id, lock=True)
    if found is None:
        return Result(outcome=Outcome.GONE)
    occurrence, series = found
    if shut := _shut(occurrence, series, now):
        return Result(outcome=shut, occurrence=occurrence, series=series)
    for _ in range(RETRIES):
        row, fresh = await _queued(session, occurrence_id, who, now=now)
        if row is None:
            continue  # someone else's press changed it first: read it again
        if not fresh:
            if row.status == SignupStatus.OFFERED:
                return await claim(session, occurrence_id, who, now=now)
            return await _as_it_stands(session, row, occurrence, series)
        if await _take_place(session, occurrence, series):
            await _move(session, row, SignupStatus.WAITING, SignupStatus.GOING, now=now)
            return await _result(session, Outcome.GOING, row, occurrence, series)
        if series.waitlist:
            return await _result(session, Outcome.WAITING, row, occurrence, series)
        await _move(session, row, SignupStatus.WAITING, SignupStatus.CANCELLED, now=now)
        return Result(outcome=Outcome.FULL, occurrence=occurrence, series=series)
    return Result(outcome=Outcome.ALREADY, occurrence=occurrence, series=series)


async def cancel(
    session: AsyncSession, occurrence_id: int, who: PersonAddress, *, now: datetime
) -> Result:
    """Give up a place, an offer or a spot in the queue. A place given up moves on. On a
    cancelled date there is nothing left to give up: the cancellation said it all."""
    found = await event_of(session, occurrence_id, lock=True)
    if found is None:
        return Result(outcome=Outcome.GONE)
    occurrence, series = found
    if cancelled(occurrence, series):
        return Result(outcome=Outcome.EVENT_CANCELLED, occurrence=occurrence, series=series)
    for _ in range(RETRIES):
        row = await signup_of(session, occurrence_id, who)
        if row is None or row.status in (SignupStatus.CANCELLED, SignupStatus.LAPSED):
            return Result(outcome=Outcome.NOT_SIGNED_UP, occurrence=occurrence, series=series)
        held = row.status
        if await _move(session, row, held, SignupStatus.CANCELLED, now=now):
            if held in HOLDS_A_PLACE:
                await pass_on(session, occurrence, series, now=now)
            return Result(outcome=Outcome.LEFT, occurrence=occurrence, series=series, signup=row)
    return Result(outcome=Outcome.ALREADY, occurrence=occurrence, series=series)


async def claim(
    session: AsyncSession, occurrence_id: int, who: PersonAddress, *, now: datetime
) -> Result:
    """Take the place offered, while the offer stands."""
    found = await event_of(session, occurrence_id, lock=True)
    if found is None:
        return Result(outcome=Outcome.GONE)
    occurrence, series = found
    row = await signup_of(session, occurrence_id, who)
    if row is None:
        return Result(outcome=Outcome.NOT_SIGNED_UP, occurrence=occurrence, series=series)
    if row.status != SignupStatus.OFFERED:
        return await _as_it_stands(session, row, occurrence, series)
    if cancelled(occurrence, series):
        return Result(outcome=Outcome.EVENT_CANCELLED, occurrence=occurrence, series=series)
    if await _move(session, row, SignupStatus.OFFERED, SignupStatus.GOING, now=now, before=now):
        return await _result(session, Outcome.GOING, row, occurrence, series)
    await _lapse(session, row, occurrence, series, now=now)
    return Result(outcome=Outcome.EXPIRED, occurrence=occurrence, series=series, signup=row)


async def decline(
    session: AsyncSession, occurrence_id: int, who: PersonAddress, *, now: datetime
) -> Result:
    """No thanks to an offer: off the waitlist, and the place goes to the next person."""
    found = await event_of(session, occurrence_id, lock=True)
    if found is None:
        return Result(outcome=Outcome.GONE)
    occurrence, series = found
    if cancelled(occurrence, series):
        return Result(outcome=Outcome.EVENT_CANCELLED, occurrence=occurrence, series=series)
    row = await signup_of(session, occurrence_id, who)
    if row is None or row.status != SignupStatus.OFFERED:
        return Result(outcome=Outcome.NOT_SIGNED_UP, occurrence=occurrence, series=series)
    if await _lapse(session, row, occurrence, series, now=now, tell=False):
        return Result(outcome=Outcome.LEFT, occurrence=occurrence, series=series, signup=row)
    return await _as_it_stands(session, row, occurrence, series)


async def expire_offers(session: AsyncSession, *, now: datetime, batch: int = 200) -> int:
    """Offers whose window has closed pass to the next person waiting. Safe on every
    replica at once: each offer lapses once, by a conditional UPDATE."""
    query = (
        select(Signup)
        .where(col(Signup.status) == SignupStatus.OFFERED, col(Signup.offer_expires) <= now)
        .order_by(col(Signup.offer_expires), col(Signup.id))  # dates locked in one order
        .limit(batch)
    )
    lapsed = 0
    for row in (await session.exec(query)).all():
        found = await event_of(session, row.occurrence_id, lock=True)
        if found is not None and await _lapse(session, row, *found, now=now):
            lapsed += 1
    return lapsed


async def fill_free_places(
    session: AsyncSession, occurrence: Occurrence, series: EventSeries, *, now: datetime
) -> int:
    """After a lead adds places: each new place is offered to the next person waiting.
    Returns how many offers were made."""
    offered = 0
    while await _take_place(session, occurrence, series):
        if await pass_on(session, occurrence, series, now=now) is None:
            break
        offered += 1
    return offered


async def pass_on(
    session: AsyncSession, occurrence: Occurrence, series: EventSeries, *, now: datetime
) -> Signup | None:
    """A place just given up: offered to the first person waiting (who is told, through the
    outbox, in this same transaction), or handed back when nobody waits or it is too late."""
    if occurrence.cancelled_at is None and now < closes_at(occurrence, series):
        for _ in range(RETRIES):
            first = await _first_waiting(session, occurrence)
            if first is None:
                break
            expires = offer_deadline(occurrence, series, now)
            if await _move(
                session, first, SignupStatus.WAITING, SignupStatus.OFFERED, now=now, offer=expires
            ):
                await notices.offer_made(session, first, occurrence, series, now=now)
                return first
    await session.exec(
        update(Occurrence)
        .where(col(Occurrence.id) == occurrence.id, col(Occurrence.taken) > 0)
        .values(taken=col(Occurrence.taken) - 1)
        .execution_options(synchronize_session=False)
    )
    return None


def cancelled(occurrence: Occurrence, series: EventSeries) -> bool:
    """The date was cancelled alone, or with its whole event."""
    return occurrence.cancelled_at is not None or series.cancelled_at is not None


def _shut(occurrence: Occurrence, series: EventSeries, now: datetime) -> Outcome | None:
    if cancelled(occurrence, series):
        return Outcome.EVENT_CANCELLED
    if now >= closes_at(occurrence, series):
        return Outcome.CLOSED
    return None


async def _queued(
    session: AsyncSession, occurrence_id: int, who: PersonAddress, *, now: datetime
) -> tuple[Signup | None, bool]:
    """Their row, and whether this press put them in the queue (a first press, or coming
    back after leaving): only then is it this press's to place."""
    row = await signup_of(session, occurrence_id, who)
    if row is None or row.status in (SignupStatus.CANCELLED, SignupStatus.LAPSED):
        now = await _in_turn(session, occurrence_id, now)
    if row is None:
        new = await insert_new(
            session,
            Signup,
            {
                "occurrence_id": occurrence_id,
                "platform": who.platform,
                "tenant": who.tenant,
                "user_id": who.user_id,
                "status": SignupStatus.WAITING,
                "queued_at": now,
                "changed_at": now,
                "offers": 0,
            },
        )
        return await signup_of(session, occurrence_id, who), new
    if row.status in (SignupStatus.CANCELLED, SignupStatus.LAPSED):
        back = await _move(session, row, row.status, SignupStatus.WAITING, now=now, requeue=True)
        return (row, True) if back else (None, False)
    return row, False


async def _in_turn(session: AsyncSession, occurrence_id: int, now: datetime) -> datetime:
    """When someone joins this date's queue: `now`, or just after the last person to join
    it, whichever is later. Presses take the date's lock in turn, but each read the clock
    before its turn came, so a press that waited longer could carry an earlier time and
    jump ahead of someone already told their number. Called under the date's lock."""
    latest = (
        await session.exec(
            select(func.max(Signup.queued_at)).where(col(Signup.occurrence_id) == occurrence_id)
        )
    ).one()
    return max(now, latest + QUEUE_STEP) if latest is not None else now


QUEUE_STEP = timedelta(microseconds=1)


async def _take_place(session: AsyncSession, occurrence: Occurrence, series: EventSeries) -> bool:
    where: list[ColumnElement[bool]] = [
        col(Occurrence.id) == occurrence.id,
        col(Occurrence.cancelled_at).is_(None),
    ]
    if series.capacity is not None:
        where.append(col(Occurrence.taken) < series.capacity)
    result = await session.exec(
        update(Occurrence)
        .where(*where)
        .values(taken=col(Occurrence.taken) + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def _move(
    session: AsyncSession,
    row: Signup,
    was: SignupStatus | str,
    to: SignupStatus,
    *,
    now: datetime,
    before: datetime | None = None,
    offer: datetime | None = None,
    requeue: bool = False,
) -> bool:
    """Change their status only if it is still `was` (and, with `before`, only while the
    offer stands); the row is read back either way, so callers see what is true now."""
    where: list[ColumnElement[bool]] = [col(Signup.id) == row.id, col(Signup.status) == was]
    if before is not None:
        where.append(col(Signup.offer_expires) > before)
    values: dict[str, object] = {"status": to, "changed_at": now, "offer_expires": offer}
    if offer is not None:
        values["offers"] = col(Signup.offers) + 1
    if requeue:
        values |= {"queued_at": now, "attended": None}
    if to in (SignupStatus.CANCELLED, SignupStatus.LAPSED):
        values["access_needs"] = None  # kept for the leads only while they are coming
    result = await session.exec(
        update(Signup).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    await session.refresh(row)
    return bool(result.rowcount)


async def _lapse(
    session: AsyncSession,
    row: Signup,
    occurrence: Occurrence,
    series: EventSeries,
    *,
    now: datetime,
    tell: bool = True,
) -> bool:
    """An offer ends unclaimed: off the waitlist (told kindly unless they said no
    themselves), and the place moves on."""
    if not await _move(session, row, SignupStatus.OFFERED, SignupStatus.LAPSED, now=now):
        return False
    if tell:
        await notices.offer_lapsed(session, row, occurrence, series, now=now)
    await pass_on(session, occurrence, series, now=now)
    return True


async def _first_waiting(session: AsyncSession, occurrence: Occurrence) -> Signup | None:
    query = (
        select(Signup)
        .where(
            col(Signup.occurrence_id) == occurrence.id,
            col(Signup.status) == SignupStatus.WAITING,
        )
        .order_by(col(Signup.queued_at), col(Signup.id))
        .limit(1)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


async def _as_it_stands(
    session: AsyncSession, row: Signup, occurrence: Occurrence, series: EventSeries
) -> Result:
    """Nothing to change: say where they are (going, waiting and where, holding an offer)."""
    return await _result(session, Outcome.ALREADY, row, occurrence, series)


async def _result(
    session: AsyncSession,
    outcome: Outcome,
    row: Signup,
    occurrence: Occurrence,
    series: EventSeries,
) -> Result:
    waiting = row.status == SignupStatus.WAITING
    return Result(
        outcome=outcome,
        occurrence=occurrence,
        series=series,
        signup=row,
        position=await position(session, row) if waiting else None,
    )
