"""Who is coming to one date of an event, in order, and its attendance as CSV for the leads."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.events import Occurrence, Signup, SignupStatus
from storage.organisation import Person, PlatformIdentity

SHOWN = (SignupStatus.GOING, SignupStatus.OFFERED, SignupStatus.WAITING)
HEADER = ("platform", "user_id", "email", "status", "attended")


async def exists(session: AsyncSession, occurrence_id: int) -> bool:
    return await session.get(Occurrence, occurrence_id) is not None


async def signups(
    session: AsyncSession, occurrence_id: int, statuses: Sequence[SignupStatus] = SHOWN
) -> list[Signup]:
    """Sign-ups of one date in the order they joined (the waitlist's order too)."""
    query = (
        select(Signup)
        .where(col(Signup.occurrence_id) == occurrence_id, col(Signup.status).in_(statuses))
        .order_by(col(Signup.queued_at), col(Signup.id))
    )
    return list((await session.exec(query)).all())


class Identified(Protocol):
    """Someone kept by platform identity: a sign-up, a network's member."""

    @property
    def user_id(self) -> str: ...


async def emails(session: AsyncSession, people: Sequence[Identified]) -> dict[tuple[str, str], str]:
    """(platform, user id) -> email for those the organisation file names; staff who only
    use the bot have none, and are shown by their platform id alone."""
    ids = {s.user_id for s in people}
    if not ids:
        return {}
    query = (
        select(PlatformIdentity.platform, PlatformIdentity.user_id, Person.email)
        .join(Person, col(Person.id) == col(PlatformIdentity.person_id))
        .where(col(PlatformIdentity.user_id).in_(ids))
    )
    return {(p, u): e for p, u, e in (await session.exec(query)).all()}


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    platform: str
    user_id: str
    email: str
    status: str
    attended: str
    """`yes`, `no`, or empty when not yet marked."""


async def rows(session: AsyncSession, occurrence_id: int) -> list[Row]:
    """Everyone who signed up for the date, whatever became of it. Access needs are never
    here: a file is copied and kept where nobody can promise who reads it."""
    people = await signups(session, occurrence_id, tuple(SignupStatus))
    known = await emails(session, people)
    marked = {True: "yes", False: "no", None: ""}
    return [
        Row(
            platform=s.platform,
            user_id=s.user_id,
            email=known.get((s.platform, s.user_id), ""),
            status=s.status,
            attended=marked[s.attended],
        )
        for s in people
    ]


def as_csv(found: Sequence[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows((r.platform, r.user_id, r.email, r.status, r.attended) for r in found)
    return out.getvalue()
