"""New pairs, from a coordinator's form or a CSV file: what makes one acceptable, checked
alike for both, and writing them in batches in the caller's one transaction.

A pair is refused when an email is not an email or is at a domain the organisation does
not use (a typo), when both people are the same, when someone is already in a live pair
of the programme (or earlier in the same file), when a platform id is given to two people,
or when a Teams id is not an Entra object id (the only Teams id Teams shows peerbot that
anyone else can look up)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import Platform
from bot.mentoring.people import id_column
from bot.organisation.identities import id_problem
from storage.directory import organisation
from storage.mentoring import Member, Pair, PairRole, PairStatus
from storage.organisation import ProgrammeKind

EMAIL = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+")
PLATFORM_ID = re.compile(r"[A-Za-z0-9:._@-]{1,64}")
ROLES = {
    ProgrammeKind.MENTORING: (PairRole.MENTOR, PairRole.MENTEE),
    ProgrammeKind.REVERSE_MENTORING: (PairRole.SENIOR, PairRole.FRONTLINE),
    ProgrammeKind.EXECUTIVE_PAIRING: (PairRole.SENIOR, PairRole.FRONTLINE),
}
"""Each kind's two roles, in the order a pair names them (and a CSV's columns)."""
IDS = (Platform.SLACK, Platform.TEAMS, Platform.CONSOLE)
BATCH = 1000


def roles_of(kind: str) -> tuple[PairRole, PairRole]:
    return ROLES[ProgrammeKind(kind)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """One side of a new pair, as the coordinator gave it."""

    role: PairRole
    email: str
    name: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    """Platform (slack, teams, console) -> their id there."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewPair:
    people: tuple[Person, Person]


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """What is wrong with one new pair: `index` in the batch, `field` like `mentee_email`."""

    index: int
    field: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Known:
    """What new pairs are checked against: the organisation's email domains, the people
    already in a live pair of the programme, and the platform ids already given."""

    domains: tuple[str, ...]
    paired: set[str]
    ids: dict[tuple[str, str], str]
    """(platform, id) -> the email it belongs to."""


async def known(session: AsyncSession, programme: str, pairs: Sequence[NewPair]) -> Known:
    """What `pairs` are checked against, read for the people they name only."""
    org = await organisation(session)
    people = [person for pair in pairs for person in pair.people]
    emails = sorted({p.email for p in people})
    paired: set[str] = set()
    for start in range(0, len(emails), 500):
        query = select(Member.email).where(
            col(Member.active_in) == programme, col(Member.email).in_(emails[start : start + 500])
        )
        paired |= set((await session.exec(query)).all())
    ids: dict[tuple[str, str], str] = {}
    for platform in IDS:
        given = sorted({p.ids[platform] for p in people if platform in p.ids})
        column = id_column(platform)
        assert column is not None
        for start in range(0, len(given), 500):
            owners = select(column, Member.email).where(
                col(Member.active_in).is_not(None), column.in_(given[start : start + 500])
            )
            for user_id, email in (await session.exec(owners)).all():
                if user_id is not None:
                    ids[(platform, user_id)] = email
    return Known(domains=tuple(org.email_domains) if org else (), paired=paired, ids=ids)


def email_problem(email: str, domains: Sequence[str]) -> str | None:
    if not email:
        return "this is required and missing"
    if not EMAIL.fullmatch(email):
        return f"{email} is not an email address"
    domain = email.rpartition("@")[2]
    if domains and domain not in domains:
        return (
            f"unknown email: nobody here has an address at {domain} "
            f"(staff addresses end {' or '.join('@' + d for d in domains)})"
        )
    return None


def check(pairs: Sequence[NewPair], known: Known) -> Iterator[Problem]:
    """Every problem with every pair, in order: nothing is written unless there are none."""
    seen = set(known.paired)
    ids = dict(known.ids)
    for index, pair in enumerate(pairs):
        for side, person in enumerate(pair.people):
            column = f"{person.role}_email"
            if (wrong := email_problem(person.email, known.domains)) is not None:
                yield Problem(index=index, field=column, message=wrong)
            elif side == 1 and person.email == pair.people[0].email:
                yield Problem(index=index, field=column, message="the same person is on both sides")
            elif person.email in seen:
                yield Problem(
                    index=index,
                    field=column,
                    message=f"{person.email} is already in a pair in this programme"
                    + ("" if person.email in known.paired else " (earlier in this file)"),
                )
            seen.add(person.email)
            for platform, user_id in person.ids.items():
                column = f"{person.role}_{platform}"
                owner = ids.setdefault((platform, user_id), person.email)
                if not PLATFORM_ID.fullmatch(user_id):
                    yield Problem(index=index, field=column, message=f"{user_id} is not an id")
                elif (wrong := id_problem(platform, user_id)) is not None:
                    yield Problem(index=index, field=column, message=wrong)
                elif owner != person.email:
                    yield Problem(
                        index=index,
                        field=column,
                        message=f"{platform} id {user_id} already belongs to {owner}",
                    )


async def add(
    session: AsyncSession,
    programme: str,
    pairs: Sequence[NewPair],
    *,
    now: datetime,
    written: Callable[[int], object] | None = None,
) -> list[Pair]:
    """Write checked pairs, a batch at a time, in the caller's transaction; `written` is
    told how many after each batch (a progress bar)."""
    added: list[Pair] = []
    for start in range(0, len(pairs), BATCH):
        batch = pairs[start : start + BATCH]
        rows = [
            Pair(programme=programme, status=PairStatus.ACTIVE, created_at=now, changed_at=now)
            for _ in batch
        ]
        session.add_all(rows)
        await session.flush()
        for row, pair in zip(rows, batch, strict=True):
            assert row.id is not None
            session.add_all(
                Member(
                    pair_id=row.id,
                    role=person.role,
                    email=person.email,
                    name=person.name,
                    active_in=programme,
                    slack=person.ids.get(Platform.SLACK),
                    teams=person.ids.get(Platform.TEAMS),
                    console=person.ids.get(Platform.CONSOLE),
                )
                for person in pair.people
            )
        await session.flush()
        added += rows
        if written is not None:
            written(len(rows))
    return added
