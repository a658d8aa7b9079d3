"""Messages to one person or to a programme's coordinators, through the outbox: each in the
transaction of what it tells of, once for its key, and held until the person's hours
allow (see bot.mentoring.hours)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import PersonAddress
from bot.conversation.outbox import Outgoing, enqueue
from bot.conversation.replies import Reply
from bot.conversation.sealing import Sealer
from bot.mentoring.hours import shifts_of
from bot.mentoring.people import coordinators, reach
from storage.directory import organisation
from storage.mentoring import Member

FALLBACK_ZONE = "UTC"
"""Only before any organisation file is applied, when there are no programmes anyway."""


async def home_zone(session: AsyncSession) -> str:
    """The organisation's time zone: everyone's, until they choose their own."""
    org = await organisation(session)
    return org.time_zone if org is not None else FALLBACK_ZONE


def address_key(address: PersonAddress) -> str:
    """A recipient in a dedupe key, so one message to three people is three rows."""
    return f"{address.platform}:{address.user_id}"


async def for_person(
    session: AsyncSession,
    email: str,
    address: PersonAddress,
    key: str,
    reply: Reply,
    *,
    now: datetime,
    home: str,
) -> Outgoing:
    """`reply` for one person, due at the first moment from now their hours allow."""
    hours = (await shifts_of(session, [email], home))[email]
    return Outgoing(dedupe_key=key, address=address, reply=reply, due_at=hours.next_allowed(now))


async def for_member(
    session: AsyncSession, member: Member, key: str, reply: Reply, *, now: datetime, home: str
) -> list[Outgoing]:
    """Nothing when they cannot be reached yet (no platform id known for them)."""
    address = reach(member)
    if address is None:
        return []
    return [await for_person(session, member.email, address, key, reply, now=now, home=home)]


async def for_coordinators(
    session: AsyncSession, programme: str, key: str, reply: Reply, *, now: datetime, home: str
) -> list[Outgoing]:
    """For each coordinator of the programme, wherever the organisation file says they are:
    one message (and key) each."""
    return [
        await for_person(
            session,
            coordinator.person.email,
            address,
            f"{key}:{address_key(address)}",
            reply,
            now=now,
            home=home,
        )
        for coordinator in await coordinators(session, programme)
        for address in coordinator.addresses
    ]


async def queue(
    session: AsyncSession,
    items: Sequence[Outgoing],
    *,
    now: datetime,
    sealer: Sealer | None = None,
) -> int:
    """Queue what a person's action has to tell, in its transaction; how many were new.
    `sealer` seals the items marked sealed (see bot.conversation.outbox.Outgoing)."""
    return sum([await enqueue(session, item, now=now, sealer=sealer) for item in items])
