"""Joining, leaving and muting a staff network, to hear (or not) when it posts a new event.

Membership is private: only the person and the network's leads ever see it, so every
answer here is the asker's alone and names nobody else. A member is kept by their
platform identity only (platform, tenant, user id), never by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import ColumnElement, and_, delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.actions import ActionId
from bot.conversation.inbound import ButtonPressed, Command, PersonAddress, Platform, person_of
from bot.conversation.payloads import decode, encode
from bot.conversation.replies import Block, Button, Buttons, Reply, Text, say
from bot.conversation.router import ActionHandler, CommandHandler
from bot.conversation.services import Services
from bot.events.actions import JOIN, LEAVE, MUTE, UNMUTE
from bot.events.payloads import NetworkRef
from bot.organisation.people import contacts
from storage.directory import active_networks, people_with_role
from storage.events import Membership
from storage.organisation import Network, Person, RoleName
from storage.upsert import insert_new

TITLE = "Staff networks"
EMPTY = "No staff networks are listed yet."
PRIVATE = "Only you and the network's leads can see that you joined."
NEXT_STEP = (
    "Join a network to get a message when it posts a new event. " + PRIVATE + " "
    "To ask about a network, contact its lead."
)
GONE = "That network is no longer listed. Type “networks” to see the ones that are."


def the(name: str) -> str:
    """`the LGBTQ+ Network`, but never `the The Nursing Forum`."""
    return name if name.lower().startswith("the ") else f"the {name}"


# Who is in a network: the queries other parts of events use


def _is(who: PersonAddress) -> ColumnElement[bool]:
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
    query = select(Membership).where(_is(who))
    return {row.network: row for row in (await session.exec(query)).all()}


# The `networks` command and its buttons


async def show(command: Command, services: Services) -> list[Reply]:
    """Every listed network with its leads, and for the asker alone whether they are in it."""
    async with services.db.session(write=False) as session:
        return [await _listing(session, command)]


async def join(press: ButtonPressed, services: Services) -> list[Reply]:
    """A second press (or a stale button) finds the row there and changes nothing."""
    ref = decode(NetworkRef, press.value)
    who = person_of(press.actor)
    async with services.db.session() as session:
        network = await _listed(session, ref.network)
        if network is None:
            return [_gone(press)]
        await insert_new(
            session,
            Membership,
            {
                "network": network.key,
                "platform": who.platform.value,
                "tenant": who.tenant,
                "user_id": who.user_id,
                "muted": False,
                "joined_at": services.clock.now(),
            },
        )
        mine = (await memberships_of(session, who))[network.key]
        if mine.muted:
            done = f"You're in {the(network.name)}, with its news muted. {PRIVATE}"
        else:
            done = f"You'll get a message when {the(network.name)} posts a new event. {PRIVATE}"
        return [await _listing(session, press, done=done)]


async def leave(press: ButtonPressed, services: Services) -> list[Reply]:
    """Leaving works even for a network no longer listed: nobody is kept in one against
    their wish."""
    ref = decode(NetworkRef, press.value)
    who = person_of(press.actor)
    async with services.db.session() as session:
        await session.exec(
            delete(Membership).where(col(Membership.network) == ref.network, _is(who))
        )
        network = await _listed(session, ref.network)
        if network is None:
            return [_gone(press)]
        done = (
            f"You've left {the(network.name)}. You won't get messages about its new events. "
            "You can join again at any time."
        )
        return [await _listing(session, press, done=done)]


async def mute(press: ButtonPressed, services: Services) -> list[Reply]:
    return await _set_muted(press, services, muted=True)


async def unmute(press: ButtonPressed, services: Services) -> list[Reply]:
    return await _set_muted(press, services, muted=False)


async def _set_muted(press: ButtonPressed, services: Services, *, muted: bool) -> list[Reply]:
    ref = decode(NetworkRef, press.value)
    who = person_of(press.actor)
    async with services.db.session() as session:
        network = await _listed(session, ref.network)
        if network is None:
            return [_gone(press)]
        changed = await session.exec(
            update(Membership)
            .where(col(Membership.network) == network.key, _is(who))
            .values(muted=muted)
        )
        name = the(network.name)
        if not changed.rowcount:
            done = f"You're not in {name}, so there is nothing to {'mute' if muted else 'unmute'}."
        elif muted:
            done = (
                f"You won't get messages about {name}'s new events. You're still a member: "
                "press Unmute to hear about them again."
            )
        else:
            done = f"You'll get a message again when {name} posts a new event."
        return [await _listing(session, press, done=done)]


async def _listed(session: AsyncSession, key: str) -> Network | None:
    return next((n for n in await active_networks(session) if n.key == key), None)


def _gone(press: ButtonPressed) -> Reply:
    return say(GONE, ephemeral=not press.conversation.is_private)


async def _listing(
    session: AsyncSession, event: Command | ButtonPressed, *, done: str = ""
) -> Reply:
    """The list of networks as the asker sees it: to them alone outside their DM with
    peerbot. After a button, `done` says what just happened; in the DM the list takes the
    place of the one pressed, its buttons up to date. Never in place elsewhere: a button
    on a message others see (an event's announcement) must not turn it into one person's
    membership for all to read."""
    who = person_of(event.actor)
    private = event.conversation.is_private
    networks = await active_networks(session)
    leads = await people_with_role(session, RoleName.NETWORK_LEAD)
    mine = await memberships_of(session, who)
    blocks: list[Block] = [Text(text=done)] if done else []
    blocks.append(Text(text=TITLE, heading=True))
    if not networks:
        blocks.append(Text(text=EMPTY))
    for network in networks:
        blocks += _network(network, leads.get(network.key, []), mine.get(network.key))
    if networks:
        blocks.append(Text(text=NEXT_STEP))
    return Reply(
        summary=done or TITLE,
        blocks=tuple(blocks),
        ephemeral=not private,
        in_place=bool(done) and private,
    )


def _network(
    network: Network, leads: Sequence[Person], membership: Membership | None
) -> list[Block]:
    blocks: list[Block] = [Text(text=f"{network.name}: {network.description}")]
    if leads:
        blocks.append(contacts(leads, role="Lead"))
    value = encode(NetworkRef(network=network.key))
    buttons: tuple[Button, ...]
    if membership is None:
        buttons = (Button(label="Join", action=JOIN, value=value, style="primary"),)
    else:
        state = "You're a member"
        state += ", with its news muted." if membership.muted else "."
        blocks.append(Text(text=state))
        buttons = (
            Button(label="Unmute", action=UNMUTE, value=value)
            if membership.muted
            else Button(label="Mute", action=MUTE, value=value),
            Button(label="Leave", action=LEAVE, value=value),
        )
    blocks.append(Buttons(buttons=buttons))
    return blocks


COMMANDS: Mapping[str, CommandHandler] = {"networks": show}
ACTIONS: Mapping[ActionId, ActionHandler] = {
    JOIN: join,
    LEAVE: leave,
    MUTE: mute,
    UNMUTE: unmute,
}
