"""Read-side queries over the organisation: who to contact, which networks, what support."""

from __future__ import annotations

from collections import defaultdict
from typing import TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.organisation import (
    Network,
    Organisation,
    Person,
    PlatformIdentity,
    Programme,
    Role,
    RoleName,
    SupportResource,
)


async def organisation(session: AsyncSession) -> Organisation | None:
    return (await session.exec(select(Organisation))).first()


async def support_resources(session: AsyncSession) -> list[SupportResource]:
    """Resources in the order the org file lists them, crisis contacts included."""
    query = select(SupportResource).order_by(col(SupportResource.position))
    return list((await session.exec(query)).all())


async def people_with_role(session: AsyncSession, role: RoleName) -> dict[str, list[Person]]:
    """People holding `role`, grouped by scope ("" for organisation-wide roles)."""
    query = (
        select(Role.scope, Person)
        .join(Person, col(Person.id) == col(Role.person_id))
        .where(col(Role.role) == role)
        .order_by(col(Person.name))
    )
    grouped: dict[str, list[Person]] = defaultdict(list)
    for scope, person in (await session.exec(query)).all():
        grouped[scope].append(person)
    return dict(grouped)


async def active_networks(session: AsyncSession) -> list[Network]:
    query = select(Network).where(col(Network.active)).order_by(col(Network.name))
    return list((await session.exec(query)).all())


async def active_programmes(session: AsyncSession) -> list[Programme]:
    query = select(Programme).where(col(Programme.active)).order_by(col(Programme.name))
    return list((await session.exec(query)).all())


async def programme(session: AsyncSession, key: str) -> Programme | None:
    query = select(Programme).where(col(Programme.key) == key)
    return (await session.exec(query)).first()


async def person_on(session: AsyncSession, platform: str, user_id: str) -> Person | None:
    """The named person behind a platform account, if the org file names them."""
    query = (
        select(Person)
        .join(PlatformIdentity, col(PlatformIdentity.person_id) == col(Person.id))
        .where(col(PlatformIdentity.platform) == platform, col(PlatformIdentity.user_id) == user_id)
    )
    return (await session.exec(query)).first()


Scoped = TypeVar("Scoped", Network, Programme)


async def held_by(
    session: AsyncSession, platform: str, user_id: str, role: RoleName, table: type[Scoped]
) -> list[Scoped]:
    """The active networks (or programmes) the person behind this account holds `role` in,
    by name: what a lead leads, what a coordinator coordinates."""
    person = await person_on(session, platform, user_id)
    if person is None:
        return []
    query = (
        select(table)
        .join(Role, col(Role.scope) == col(table.key))
        .where(col(Role.person_id) == person.id, col(Role.role) == role, col(table.active))
        .order_by(col(table.name))
    )
    return list((await session.exec(query)).all())


async def holds_role(
    session: AsyncSession, person_id: int, role: RoleName, scope: str = ""
) -> bool:
    query = select(Role).where(
        col(Role.person_id) == person_id, col(Role.role) == role, col(Role.scope) == scope
    )
    return (await session.exec(query)).first() is not None


async def role_identities(session: AsyncSession, role: RoleName) -> list[PlatformIdentity]:
    """Every platform account of everyone holding `role`: where to reach them directly."""
    query = (
        select(PlatformIdentity)
        .join(Role, col(Role.person_id) == col(PlatformIdentity.person_id))
        .where(col(Role.role) == role)
        .order_by(col(PlatformIdentity.id))
    )
    return list((await session.exec(query)).all())
