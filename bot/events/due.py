"""Reminders before each date, due on the tick (see bot.conversation.tick).

A reminder is due from its moment (`minutes` before the start) until the next one's
moment, or the start: someone whose day-before reminder was missed while peerbot was
down gets the hour-before one, not both at once. Each is keyed by the date's start, so
a date that moves reminds again, and by the sign-up, so everyone is reminded once
whichever replica ticks. Nobody is reminded of a moment already past when they got
their place: signing up an hour before is not followed by a day-before reminder.

Each date says when the tick looks at it next (`next_reminder_at`): its next reminder's
moment, or None once none is left, so an idle tick reads no date at all. A date is
looked at on every tick for a minute after a moment (GRACE): a sign-up made just before
it, whose transaction commits just after the tick that sent the others, is reminded
too, and the outbox's key keeps everyone else to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.outbox import Outgoing
from bot.conversation.replies import Buttons, Reply, Text, When
from bot.events import notices
from bot.events.actions import CANCEL
from storage.events import LOOK_NOW, EventSeries, Occurrence, Signup, SignupStatus

FURTHEST_REMINDER = 7 * 24 * 60
"""Minutes: the earliest a reminder may come before its date (a week). A reminder stays
due until its date starts, and the outbox keeps what it sent for a week at least, so a
reminder further out could outlive the record that it was sent and go twice. The lead's
form refuses more."""
GRACE = timedelta(minutes=1)
"""How long after a reminder's moment its date is still looked at on every tick: longer
than any sign-up's transaction takes."""


async def reminders(session: AsyncSession, now: datetime) -> Sequence[Outgoing]:
    """Every reminder due by `now` of the dates whose look is due, each keyed so the
    outbox queues it once; each date marked with when to look at it next, in the same
    transaction."""
    # Updated in the order of their ids when the session flushes, on every replica alike:
    # two ticks at once never deadlock.
    looked = select(Occurrence).where(col(Occurrence.next_reminder_at) <= now)
    occurrences = (await session.exec(looked)).all()
    if not occurrences:
        return []
    # Their series by id, not joined: a join reads every series to hash it, a cost that
    # would grow with every event ever published (see bench/growth.py).
    ids = {o.series_id for o in occurrences}
    their = select(EventSeries).where(col(EventSeries.id).in_(sorted(ids)))
    series_of = {s.id: s for s in (await session.exec(their)).all()}
    due: dict[int, tuple[Occurrence, EventSeries, int]] = {}
    for occurrence in occurrences:
        series = series_of.get(occurrence.series_id)
        if series is None or not _live(occurrence, series, now):
            occurrence.next_reminder_at = None
        else:
            occurrence.next_reminder_at = next_look(occurrence, series, now)
            minutes = window(occurrence, series, now)
            if minutes is not None and occurrence.id is not None:
                due[occurrence.id] = (occurrence, series, minutes)
        session.add(occurrence)
    if not due:
        return []
    going = (
        select(Signup)
        .where(col(Signup.occurrence_id).in_(list(due)), col(Signup.status) == SignupStatus.GOING)
        .order_by(col(Signup.id))  # one order on every replica: their inserts never deadlock
    )
    items: list[Outgoing] = []
    for signup in (await session.exec(going)).all():
        occurrence, series, minutes = due[signup.occurrence_id]
        moment = occurrence.starts_at - timedelta(minutes=minutes)
        if signup.changed_at > moment:
            continue  # they got their place after this reminder's moment
        items.append(reminder(signup, occurrence, series, minutes, moment))
    return items


def look_again(occurrence: Occurrence) -> None:
    """Its reminders looked at again on the next tick: its time or its series' reminders
    changed."""
    occurrence.next_reminder_at = LOOK_NOW


def next_look(occurrence: Occurrence, series: EventSeries, now: datetime) -> datetime | None:
    """When to look at a date's reminders after `now`: again at once within GRACE of the
    moment just reached, else at the next moment to come; None when none is left."""
    moments = sorted(occurrence.starts_at - timedelta(minutes=m) for m in _valid(series))
    if any(m <= now < m + GRACE for m in moments):
        return now
    return next((m for m in moments if m > now), None)


def window(occurrence: Occurrence, series: EventSeries, now: datetime) -> int | None:
    """The reminder (minutes before the start) whose moment is the latest already reached
    by `now`, if any: the one due now."""
    reached = [m for m in _valid(series) if occurrence.starts_at - timedelta(minutes=m) <= now]
    return min(reached) if reached else None


def _live(occurrence: Occurrence, series: EventSeries, now: datetime) -> bool:
    return (
        series.cancelled_at is None
        and occurrence.cancelled_at is None
        and occurrence.starts_at > now
    )


def _valid(series: EventSeries) -> list[int]:
    return [m for m in series.reminders if 0 < m <= FURTHEST_REMINDER]


def reminder_key(signup: Signup, occurrence: Occurrence, minutes: int) -> str:
    return (
        f"events:remind:{occurrence.id}:{minutes}:"
        f"{occurrence.starts_at.astimezone(UTC):%Y%m%dT%H%MZ}:{signup.id}"
    )


def reminder(
    signup: Signup, occurrence: Occurrence, series: EventSeries, minutes: int, moment: datetime
) -> Outgoing:
    reply = Reply(
        summary=f"Reminder: {series.title}",
        blocks=(
            Text(text=f"Reminder: {series.title}", heading=True),
            Text(text="You have a place. We look forward to seeing you."),
            When(label="Starts", at=occurrence.starts_at),
            *notices.where(occurrence, series),
            Text(text="If you can't make it, please cancel so someone else can go."),
            Buttons(buttons=(notices.button("Cancel my place", CANCEL, occurrence),)),
        ),
    )
    return Outgoing(
        dedupe_key=reminder_key(signup, occurrence, minutes),
        address=notices.person(signup),
        reply=reply,
        due_at=moment,
    )
