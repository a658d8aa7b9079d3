"""A few made-up pairs in the example trust's reverse-mentoring programme, part-way through a
round, so a first `make run` shows a living coordinator's view (`AS=kwame`) and a pairing
to check in on (`AS=amina`).

The programme is re-dated from now, every four weeks from 61 days ago, as its coordinator
could in chat: two rounds are over (one pair has not met in either) and the third opened
five days ago, whenever the demo is loaded. Its people were asked in each, as a running
peerbot would have, so loading it sends nobody anything. Loading is idempotent: a
programme that already has the demo's people is left alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.sealing import Sealer
from bot.mentoring import newpairs, rounds
from bot.mentoring.notify import home_zone
from bot.mentoring.private import sealed
from bot.organisation.recurrence import weekly
from bot.organisation.schedule import schedule_of
from storage.directory import programme as programme_named
from storage.mentoring import (
    ActionStatus,
    Answer,
    CheckIn,
    Member,
    PairAction,
    PairRole,
    PairStatus,
    Round,
    RoundState,
)

PROGRAMME = "reverse-mentoring"
DOMAIN = "riverside.example.nhs.uk"
STARTED = timedelta(days=61)
ROUNDS = 3


Said = tuple[Answer | None, Answer | None]
"""What the senior and the frontline partner answered in a round (None: nothing)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Demo:
    """One pair: names and console names, what each said in each round (the one open now
    last), whether it is paused, and the senior partner's actions."""

    senior: tuple[str, str]
    frontline: tuple[str, str]
    said: tuple[Said, Said, Said]
    paused: bool = False
    actions: tuple[tuple[str, ActionStatus], ...] = ()


PAIRS: Sequence[Demo] = (
    Demo(
        senior=("Grace Okoro", "grace"),
        frontline=("Amina Yusuf", "amina"),
        said=((Answer.MET, Answer.MET), (Answer.MET, Answer.MET), (Answer.PLANNED, None)),
        actions=(
            ("Ask HR to publish night rotas six weeks ahead", ActionStatus.IN_PROGRESS),
            ("Spend a night shift in the emergency department", ActionStatus.DONE),
        ),
    ),
    Demo(
        senior=("Peter Lang", "peter"),
        frontline=("Jordan Ali", "jordan"),
        said=((Answer.MET, None), (Answer.NOT_YET, Answer.PLANNED), (None, Answer.MET)),
    ),
    Demo(
        senior=("Mark Evans", "mark"),
        frontline=("Zainab Bello", "zainab"),
        said=(
            (Answer.NOT_YET, None),
            (Answer.NOT_YET, Answer.NOT_YET),
            (Answer.NOT_YET, Answer.HELP),
        ),
    ),
    Demo(
        senior=("Helen Brooks", "helen"),
        frontline=("Tomasz Nowak", "tomasz"),
        said=((Answer.MET, Answer.MET), (None, None), (None, None)),
        paused=True,
    ),
)


def email(name: str) -> str:
    return f"{name.lower().replace(' ', '.')}@{DOMAIN}"


async def load(session: AsyncSession, *, now: datetime, sealer: Sealer | None) -> int:
    """Add the demo pairs (and re-date the programme) unless they are there; returns how
    many pairs were added. Nothing without the example's reverse-mentoring programme."""
    programme = await programme_named(session, PROGRAMME)
    if programme is None or not programme.active:
        return 0
    emails = [email(d.senior[0]) for d in PAIRS]
    there = select(Member.id).where(col(Member.email).in_(emails))
    if (await session.exec(there)).first() is not None:
        return 0
    home = await home_zone(session)
    zone = ZoneInfo(programme.time_zone or home)
    started = (now.astimezone(zone) - STARTED).date()
    programme.cadence, programme.round_time = ";".join(weekly(4)), "10:00"
    programme.starts, programme.ends = started, started + timedelta(days=364)
    programme.rounds_from = datetime.combine(started, time(10), zone)
    session.add(programme)
    schedule = schedule_of(programme, home)
    assert schedule is not None
    made = [
        Round(
            programme=PROGRAMME,
            opens_at=span.opens_at,
            closes_at=span.closes_at,
            state=RoundState.OPEN if n == ROUNDS - 1 else RoundState.CLOSED,
            seen_at=span.opens_at,
        )
        for n, span in zip(range(ROUNDS), rounds.spans(schedule), strict=False)
    ]
    session.add_all(made)
    await session.flush()
    first, current = made[0], made[-1]
    pairs = await newpairs.add(session, PROGRAMME, [_new(d) for d in PAIRS], now=first.opens_at)
    await session.exec(
        update(Member)
        .where(col(Member.active_in) == PROGRAMME)
        .values(asked_round=current.opens_at, asked_due=current.opens_at)
    )
    for demo, pair in zip(PAIRS, pairs, strict=True):
        members = (await session.exec(select(Member).where(col(Member.pair_id) == pair.id))).all()
        for round_, said in zip(made, demo.said, strict=True):
            for member, answer in zip(members, said, strict=True):
                if answer is not None:
                    session.add(_answer(member, round_, answer))
        if demo.paused:
            pair.status = PairStatus.PAUSED
            session.add(pair)
        if sealer is not None:
            session.add_all(
                PairAction(
                    pair_id=pair.id or 0,
                    round_id=first.id or 0,
                    text=sealed(sealer, text) or "",
                    status=status,
                    created_at=first.opens_at,
                    changed_at=current.opens_at,
                )
                for text, status in demo.actions
            )
    return len(pairs)


def _new(demo: Demo) -> newpairs.NewPair:
    return newpairs.NewPair(
        people=(
            _person(PairRole.SENIOR, *demo.senior),
            _person(PairRole.FRONTLINE, *demo.frontline),
        )
    )


def _person(role: PairRole, name: str, console: str) -> newpairs.Person:
    return newpairs.Person(role=role, email=email(name), name=name, ids={"console": console})


def _answer(member: Member, round_: Round, answer: Answer) -> CheckIn:
    at = round_.opens_at + timedelta(days=2)
    return CheckIn(
        pair_id=member.pair_id,
        member_id=member.id or 0,
        round_id=round_.id or 0,
        answer=answer,
        planned_for=(at + timedelta(days=10)).date() if answer == Answer.PLANNED else None,
        answered_at=at,
        changed_at=at,
    )
