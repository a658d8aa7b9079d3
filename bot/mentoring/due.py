"""What mentoring has due on the tick: each round's check-ins, the one reminder, alerts for
pairs stuck two rounds running, and the end-of-programme question.

Every message has a deterministic key, and progress is kept in the data, changed in the
transaction that queues: a member's `asked_round` and `remind_at`, a round's state, a pair's
status. So a tick reads, through indexes, only what has something new to send, never
re-offers the outbox a round it has queued, and two replicas ticking at once queue each
message once (on PostgreSQL each takes the people the other has not locked; on SQLite
one waits for the other's commit and then finds nothing left).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.conversation.outbox import Outgoing
from bot.mentoring import nudges, rounds
from bot.mentoring.answers import stuck
from bot.mentoring.hours import shifts_of
from bot.mentoring.notify import for_coordinators, for_member, home_zone
from bot.mentoring.people import called, reach
from bot.organisation.schedule import schedule_of
from storage.mentoring import Member, Pair, PairStatus, Round
from storage.organisation import Programme

LIVE = (PairStatus.ACTIVE, PairStatus.PAUSED)


async def due(session: AsyncSession, now: datetime) -> Sequence[Outgoing]:
    """Everything new since the last tick, on any replica."""
    home = await home_zone(session)
    items: list[Outgoing] = []
    programmes = await _scheduled(session)
    for programme in programmes.values():
        schedule = schedule_of(programme, home)
        assert schedule is not None  # _scheduled gives only programmes with a schedule
        await rounds.record(session, programme, schedule, now)
        for over in await rounds.close_over(session, programme.key, now):
            if schedule.finish is None or over.closes_at < schedule.finish:  # not at the end
                items += await _stuck_alerts(session, programme, over, now, home)
        for open_ in await rounds.open_rounds(session, programme.key, now):
            items += await _check_ins(session, programme, open_, now, home)
        if schedule.finish is not None and schedule.finish <= now:
            items += await _feedback(session, programme, now, home)
    items += await _reminders(session, programmes, now, home)
    return items


async def _scheduled(session: AsyncSession) -> dict[str, Programme]:
    query = select(Programme).where(
        col(Programme.active), col(Programme.cadence) != "", col(Programme.starts).is_not(None)
    )
    return {p.key: p for p in (await session.exec(query.order_by(col(Programme.key)))).all()}


def _locked(query: SelectOfScalar[Member], session: AsyncSession) -> SelectOfScalar[Member]:
    """On PostgreSQL, the member rows are taken with FOR UPDATE SKIP LOCKED: a replica
    ticking at the same moment gets the others, never the same ones, and never waits."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


async def _pairs(session: AsyncSession, pair_ids: set[int]) -> dict[int, tuple[Pair, list[Member]]]:
    """Each pair with both its people, for the words of a message (a partner's name)."""
    found: dict[int, tuple[Pair, list[Member]]] = {}
    ids = sorted(pair_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        pairs = (await session.exec(select(Pair).where(col(Pair.id).in_(chunk)))).all()
        found |= {p.id: (p, []) for p in pairs if p.id is not None}
        members = select(Member).where(col(Member.pair_id).in_(chunk)).order_by(col(Member.id))
        for member in (await session.exec(members)).all():
            found[member.pair_id][1].append(member)
    return found


def _partner_name(pairs: dict[int, tuple[Pair, list[Member]]], member: Member) -> str:
    _, both = pairs[member.pair_id]
    return next((called(m) for m in both if m.id != member.id), "your partner")


async def _mark(session: AsyncSession, ids: Sequence[int], **values: object) -> None:
    """Set these members' progress columns in a few statements (most people in a round
    share their values), never one per person."""
    for start in range(0, len(ids), 500):
        await session.exec(
            update(Member).where(col(Member.id).in_(ids[start : start + 500])).values(**values)
        )


async def _check_ins(
    session: AsyncSession, programme: Programme, round_: Round, now: datetime, home: str
) -> list[Outgoing]:
    """The round's check-in for everyone in a live pair not yet asked for it. Someone paused,
    snoozed past the round's end or not reachable is marked asked (skipped) all the same."""
    query = _locked(
        select(Member)
        .where(col(Member.active_in) == programme.key, col(Member.asked_round) < round_.opens_at)
        .order_by(col(Member.id)),
        session,
    )
    members = list((await session.exec(query)).all())
    if not members:
        return []
    pairs = await _pairs(session, {m.pair_id for m in members})
    hours = await shifts_of(session, [m.email for m in members], home)
    marks: dict[tuple[datetime | None, datetime | None], list[int]] = defaultdict(list)
    items: list[Outgoing] = []
    for member in members:
        pair, _ = pairs[member.pair_id]
        address = reach(member)
        due_at: datetime | None = None
        if pair.status == PairStatus.ACTIVE and address is not None:
            start = max(round_.opens_at, now, member.snoozed_until or now)
            moment = hours[member.email].next_allowed(start)
            due_at = moment if moment < round_.closes_at else None
        remind_at = None
        if due_at is not None and programme.remind_after_days:
            later = due_at + timedelta(days=programme.remind_after_days)
            remind_at = later if later < round_.closes_at else None
        assert member.id is not None
        marks[(due_at, remind_at)].append(member.id)
        if due_at is None or address is None:
            continue
        reply = nudges.check_in(programme.name, _partner_name(pairs, member), pair, round_.opens_at)
        key = check_in_key(pair, round_.opens_at, member.id)
        items.append(Outgoing(dedupe_key=key, address=address, reply=reply, due_at=due_at))
    for (due_at, remind_at), ids in marks.items():
        await _mark(
            session, ids, asked_round=round_.opens_at, asked_due=due_at, remind_at=remind_at
        )
    return items


def check_in_key(pair: Pair, opens_at: datetime, member_id: int) -> str:
    """A member's check-in for a round: queued once whichever replica ticks."""
    return f"mentoring:checkin:{pair.id}:{rounds.name(opens_at)}:{member_id}"


async def _reminders(
    session: AsyncSession, programmes: dict[str, Programme], now: datetime, home: str
) -> list[Outgoing]:
    """The one gentle reminder for each person whose check-in has waited long enough with
    no answer (an answer clears `remind_at`): sent while the round is open, else dropped."""
    query = _locked(
        select(Member).where(col(Member.remind_at) <= now, col(Member.active_in).is_not(None)),
        session,
    )
    members = sorted((await session.exec(query)).all(), key=lambda m: m.id or 0)
    if not members:
        return []
    await _mark(session, [m.id for m in members if m.id is not None], remind_at=None)
    pairs = await _pairs(session, {m.pair_id for m in members})
    open_rounds = {
        (r.programme, r.opens_at): r
        for key in {m.active_in for m in members}
        if key is not None
        for r in await rounds.open_rounds(session, key, now)
    }
    hours = await shifts_of(session, [m.email for m in members], home)
    items: list[Outgoing] = []
    for member in members:
        pair, _ = pairs[member.pair_id]
        round_ = open_rounds.get((pair.programme, member.asked_round))
        programme = programmes.get(pair.programme)
        address = reach(member)
        if round_ is None or programme is None or address is None:
            continue
        if pair.status != PairStatus.ACTIVE:
            continue
        due_at = hours[member.email].next_allowed(max(now, member.snoozed_until or now))
        if due_at >= round_.closes_at:
            continue
        reply = nudges.reminder(
            programme.name, _partner_name(pairs, member), pair, round_.closes_at
        )
        key = f"mentoring:remind:{pair.id}:{rounds.name(round_.opens_at)}:{member.id}"
        items.append(Outgoing(dedupe_key=key, address=address, reply=reply, due_at=due_at))
    return items


async def _stuck_alerts(
    session: AsyncSession, programme: Programme, over: Round, now: datetime, home: str
) -> list[Outgoing]:
    """A round just over, and the one before it asked too: each active pair where nobody
    met in either, once, to every coordinator."""
    items: list[Outgoing] = []
    stuck_ids = {p.id for p in await stuck(session, over) if p.id}
    for pair, both in (await _pairs(session, stuck_ids)).values():
        names = (called(both[0]), called(both[1]))
        key = f"mentoring:stuck:{pair.id}:{rounds.name(over.opens_at)}"
        reply = nudges.stuck(programme.name, names, pair)
        items += await for_coordinators(session, programme.key, key, reply, now=now, home=home)
    return items


async def _feedback(
    session: AsyncSession, programme: Programme, now: datetime, home: str
) -> list[Outgoing]:
    """The programme is over: its live pairs end (each on exactly one replica) and both
    people are asked, once, how it went."""
    ended = await session.exec(
        update(Pair)
        .where(col(Pair.programme) == programme.key, col(Pair.status).in_(LIVE))
        .values(status=PairStatus.ENDED, changed_at=now)
        .returning(col(Pair.id))
    )
    ids = set(ended.scalars())
    if not ids:
        return []
    pairs = await _pairs(session, ids)
    await session.exec(
        update(Member).where(col(Member.pair_id).in_(ids)).values(active_in=None, remind_at=None)
    )
    items: list[Outgoing] = []
    for pair, both in pairs.values():
        for member in both:
            reply = nudges.feedback_asked(programme.name, pair)
            key = f"mentoring:feedback:{pair.id}:{member.id}"
            items += await for_member(session, member, key, reply, now=now, home=home)
    return items
