"""Who is who in mentoring: the members behind a platform account, how each is reached,
and a programme's coordinators with where to reach them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Mapped
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import Actor, PersonAddress, Platform
from storage.directory import held_by
from storage.mentoring import Member, Pair
from storage.organisation import Person, PlatformIdentity, Programme, Role, RoleName

REACHED_ON = (Platform.SLACK, Platform.TEAMS, Platform.CONSOLE)
"""Where a member with ids on several platforms is nudged: the first they have."""


def id_on(member: Member, platform: str) -> str | None:
    ids: dict[str, str | None] = {
        Platform.SLACK: member.slack,
        Platform.TEAMS: member.teams,
        Platform.CONSOLE: member.console,
    }
    return ids.get(platform)


def reach(member: Member) -> PersonAddress | None:
    """Where the member's nudges go: their conversation on their platform (the outbox finds
    it); None when no platform id is known for them yet."""
    for platform in REACHED_ON:
        if user_id := id_on(member, platform):
            return PersonAddress(platform=platform, tenant="", user_id=user_id)
    return None


def called(member: Member) -> str:
    """How a member is named in words: their name when the coordinator gave one, else
    their email."""
    return member.name or member.email


def is_actor(member: Member, actor: Actor) -> bool:
    return id_on(member, actor.platform) == actor.user_id


def id_column(platform: str) -> Mapped[str | None] | None:
    """The member column holding ids on `platform`; None for a platform without accounts
    (the web form)."""
    columns = {
        Platform.SLACK: col(Member.slack),
        Platform.TEAMS: col(Member.teams),
        Platform.CONSOLE: col(Member.console),
    }
    return columns.get(Platform(platform))


def _matching(actor: Actor) -> ColumnElement[bool]:
    column = id_column(actor.platform)
    if column is None:
        return col(Member.id).is_(None)
    return column == actor.user_id


async def memberships(session: AsyncSession, actor: Actor) -> list[tuple[Member, Pair]]:
    """The live pairs (active or paused) this person is in, oldest first."""
    query = (
        select(Member, Pair)
        .join(Pair, col(Pair.id) == col(Member.pair_id))
        .where(_matching(actor), col(Member.active_in).is_not(None))
        .order_by(col(Pair.id))
    )
    return list((await session.exec(query)).all())


async def membership(
    session: AsyncSession, actor: Actor, pair_id: int
) -> tuple[Member, Pair] | None:
    """This person's place in this pair, whatever its status; None when it is not theirs."""
    query = (
        select(Member, Pair)
        .join(Pair, col(Pair.id) == col(Member.pair_id))
        .where(_matching(actor), col(Pair.id) == pair_id)
    )
    return (await session.exec(query)).first()


async def members_of(session: AsyncSession, pair_id: int) -> list[Member]:
    """Both people of a pair, in the order they were added (the first role first)."""
    query = select(Member).where(col(Member.pair_id) == pair_id).order_by(col(Member.id))
    return list((await session.exec(query)).all())


def partner(members: list[Member], me: Member) -> Member:
    return next(m for m in members if m.id != me.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Coordinator:
    """A programme's coordinator: who (for their hours and their name) and where to reach
    them, from the organisation file's platform ids."""

    person: Person
    addresses: tuple[PersonAddress, ...]


async def coordinators(session: AsyncSession, programme: str) -> list[Coordinator]:
    query = (
        select(Person, PlatformIdentity)
        .join(Role, col(Role.person_id) == col(Person.id))
        .join(PlatformIdentity, col(PlatformIdentity.person_id) == col(Person.id), isouter=True)
        .where(col(Role.role) == RoleName.COORDINATOR, col(Role.scope) == programme)
        .order_by(col(Person.name), col(PlatformIdentity.id))
    )
    found: dict[int, tuple[Person, list[PersonAddress]]] = {}
    for person, identity in (await session.exec(query)).all():
        assert person.id is not None
        _, addresses = found.setdefault(person.id, (person, []))
        if identity is not None:
            addresses.append(
                PersonAddress(
                    platform=Platform(identity.platform), tenant="", user_id=identity.user_id
                )
            )
    return [Coordinator(person=p, addresses=tuple(a)) for p, a in found.values()]


async def coordinated(session: AsyncSession, actor: Actor) -> dict[str, Programme]:
    """The active programmes this person coordinates (key -> programme), by name."""
    role = RoleName.COORDINATOR
    return {
        p.key: p for p in await held_by(session, actor.platform, actor.user_id, role, Programme)
    }
