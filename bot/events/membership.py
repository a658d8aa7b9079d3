"""Who is in a staff network: the queries the networks command, its leads' view and the
news of a new event share. Kept apart from the chat handlers so the news (queued as places
change) needs nothing of them."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import PersonAddress, Platform
from storage.events import Membership


def of_person(who: PersonAddress) -> ColumnElement[bool]:
    """The rows of one person, by platform identity."""
    return and_(
        col(Membership.platform) == who.platform.value,
        col(Membership.tenant) == who.tenant,
        col(Membership.user_id) == who.user_id,
    )


def _address(row: Membership) -> PersonAddress:
    return PersonAddress(platform=Platform(row.platform), tenant=row.tenant, user_id=row.user_id)


async def members(session: AsyncSession, network: str) -> list[PersonAddress]:
    """Everyone in `network`, muted or not, longest-standing first: for its leads only."""
    query = (
        select(Membership)
        .where(col(Membership.network) == network)
        .order_by(col(Membership.joined_at), col(Membership.id))
    )
    return [_address(row) for row in (await session.exec(query)).all()]


async def members_to_tell(session: AsyncSession, network: str) -> list[PersonAddress]:
    """The members to message about a new event of `network`: all but the muted."""
    query = (
        select(Membership)
        .where(col(Membership.network) == network, col(Membership.muted).is_(False))
        .order_by(col(Membership.joined_at), col(Membership.id))
    )
    return [_address(row) for row in (await session.exec(query)).all()]


async def memberships_of(session: AsyncSession, who: PersonAddress) -> dict[str, Membership]:
    """The networks this one person is in, by network key."""
    query = select(Membership).where(of_person(who))
    return {row.network: row for row in (await session.exec(query)).all()}
