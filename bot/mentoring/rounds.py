"""Rounds, computed from the data: round k opens at the k-th moment the programme's cadence
gives and closes when the next opens (the last at the end of the programme). Each is
recorded the first time a tick sees it, open if it still is, missed if it is already over,
so a round lost to downtime is never sent late, and one still open is caught up once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.organisation.schedule import Schedule
from storage.mentoring import BEFORE_ANY_ROUND, Member, Round, RoundState
from storage.organisation import Programme
from storage.upsert import upsert


@dataclass(frozen=True, slots=True)
class Span:
    """When a round is open: from its opening up to (not including) its close, in UTC."""

    opens_at: datetime
    closes_at: datetime


def spans(schedule: Schedule) -> Iterator[Span]:
    """Every round the schedule gives, in order."""
    openings = schedule.openings()
    current = next(openings, None)
    while current is not None:
        following = next(openings, None)
        closes = following if following is not None else schedule.finish
        if closes is None:  # a rule that stops by itself: its last round has no end
            return
        yield Span(current, closes)
        current = following


def name(opens_at: datetime) -> str:
    """A round's name in dedupe keys and on buttons: its opening, `2026-10-06T09:00Z`."""
    return f"{opens_at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def current(schedule: Schedule, now: datetime) -> Span | None:
    """The round open at `now`, if one is."""
    for span in spans(schedule):
        if span.opens_at > now:
            return None
        if now < span.closes_at:
            return span
    return None


def next_opening(schedule: Schedule, now: datetime) -> datetime | None:
    """When the next round opens after `now`; None when no more will."""
    return next((s.opens_at for s in spans(schedule) if s.opens_at > now), None)


async def record(
    session: AsyncSession, programme: Programme, schedule: Schedule, now: datetime
) -> None:
    """Record the rounds opened by `now` that no tick has recorded yet.

    Rounds count from the one in progress when a tick first saw this schedule
    (`rounds_from`, noted here once, by whichever replica gets there first): a programme
    set up in October does not gain a past of rounds nobody was asked in, while rounds
    that pass during downtime later are recorded, as missed. The tick that notes it also
    retires what a changed schedule no longer gives (see `_taken_up`).
    """
    since, fresh = await _rounds_from(session, programme, now)
    seen = []
    for span in spans(schedule):
        if span.opens_at > now:
            break
        if span.closes_at > since:
            seen.append(span)
    if seen:
        await _insert(session, programme.key, seen, now)
    if fresh:
        await _taken_up(session, programme.key, schedule, now)


async def _insert(session: AsyncSession, programme: str, seen: list[Span], now: datetime) -> None:
    known = select(Round.opens_at).where(
        col(Round.programme) == programme, col(Round.opens_at) >= seen[0].opens_at
    )
    have = set((await session.exec(known)).all())
    rows = [
        {
            "programme": programme,
            "opens_at": span.opens_at,
            "closes_at": span.closes_at,
            "state": RoundState.OPEN if span.closes_at > now else RoundState.MISSED,
            "seen_at": now,
        }
        for span in seen
        if span.opens_at not in have
    ]
    if rows:
        await session.exec(upsert(session, Round).values(rows).on_conflict_do_nothing())


async def _rounds_from(
    session: AsyncSession, programme: Programme, now: datetime
) -> tuple[datetime, bool]:
    """When this schedule's rounds count from, and whether this tick noted it (a replica
    ticking at the same moment finds it noted)."""
    if programme.rounds_from is not None:
        return programme.rounds_from, False
    noted = await session.exec(
        update(Programme)
        .where(col(Programme.id) == programme.id, col(Programme.rounds_from).is_(None))
        .values(rounds_from=now)
    )
    since = select(Programme.rounds_from).where(col(Programme.id) == programme.id)
    found = (await session.exec(since)).one()
    assert found is not None
    return found, bool(noted.rowcount)


async def _taken_up(
    session: AsyncSession, programme: str, schedule: Schedule, now: datetime
) -> None:
    """A schedule a coordinator (or the organisation file) has just changed: a round still
    open that it does not give ends now, one it does closes when it says, and people asked
    for a round that is no longer one are asked afresh for the round in progress."""
    closes: dict[datetime, datetime] = {}
    for span in spans(schedule):
        if span.opens_at > now:
            break
        closes[span.opens_at] = span.closes_at
    for round_ in await open_rounds(session, programme, now):
        round_.closes_at = closes.get(round_.opens_at, now)
        session.add(round_)
    await session.exec(
        update(Member)
        .where(
            col(Member.active_in) == programme,
            col(Member.asked_round).not_in([BEFORE_ANY_ROUND, *closes]),
        )
        .values(asked_round=BEFORE_ANY_ROUND, asked_due=None, remind_at=None)
    )


async def open_rounds(session: AsyncSession, programme: str, now: datetime) -> list[Round]:
    """The programme's rounds recorded open and not yet over (one, normally)."""
    query = select(Round).where(
        col(Round.programme) == programme,
        col(Round.state) == RoundState.OPEN,
        col(Round.closes_at) > now,
    )
    return list((await session.exec(query.order_by(col(Round.opens_at)))).all())


async def close_over(session: AsyncSession, programme: str, now: datetime) -> list[Round]:
    """Rounds that were open and are over now, marked closed: each is returned to exactly
    one replica, which looks at it once for pairs stuck two rounds running."""
    closed = await session.exec(
        update(Round)
        .where(
            col(Round.programme) == programme,
            col(Round.state) == RoundState.OPEN,
            col(Round.closes_at) <= now,
        )
        .values(state=RoundState.CLOSED)
        .returning(col(Round.id))
    )
    ids = list(closed.scalars())
    if not ids:
        return []
    query = select(Round).where(col(Round.id).in_(ids)).order_by(col(Round.opens_at))
    return list((await session.exec(query.execution_options(populate_existing=True))).all())


async def before(session: AsyncSession, round_: Round) -> Round | None:
    """The round recorded just before this one."""
    query = (
        select(Round)
        .where(col(Round.programme) == round_.programme, col(Round.opens_at) < round_.opens_at)
        .order_by(col(Round.opens_at).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def of_programme(session: AsyncSession, programme: str) -> list[Round]:
    """Every round recorded, newest first."""
    query = select(Round).where(col(Round.programme) == programme)
    return list((await session.exec(query.order_by(col(Round.opens_at).desc()))).all())


def named(text: str) -> datetime | None:
    """The opening a round's name stands for (see `name`); None for anything else."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    except ValueError:
        return None


async def open_round(
    session: AsyncSession, programme: str, opens_at: datetime, now: datetime
) -> Round | None:
    """The programme's round opening at `opens_at`, if it is recorded and still open."""
    query = select(Round).where(
        col(Round.programme) == programme,
        col(Round.opens_at) == opens_at,
        col(Round.state) == RoundState.OPEN,
        col(Round.closes_at) > now,
    )
    return (await session.exec(query)).first()
