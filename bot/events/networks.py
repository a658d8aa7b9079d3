"""Joining, leaving and muting a staff network, to hear (or not) when it posts a new event.

Membership is private: only the person and the network's leads ever see it, so every
answer here is the asker's alone and names nobody else. A member is kept by their
platform identity only (platform, tenant, user id), never by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.actions import ActionId
from bot.conversation.inbound import ButtonPressed, Command, person_of
from bot.conversation.payloads import decode, encode
from bot.conversation.replies import Block, Button, Buttons, People, Reply, Text, say
from bot.conversation.router import ActionHandler, CommandHandler
from bot.conversation.services import Services
from bot.events import attendance
from bot.events.actions import JOIN, LEAVE, MEMBERS, MUTE, UNMUTE
from bot.events.lead import Lead, as_lead, led_networks
from bot.events.membership import members, memberships_of, of_person
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
NOBODY = "Nobody has joined yet. Announcing an event in the network's channel helps people find it."


def the(name: str) -> str:
    """`the LGBTQ+ Network`, but never `the The Nursing Forum`."""
    return name if name.lower().startswith("the ") else f"the {name}"


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
            delete(Membership).where(col(Membership.network) == ref.network, of_person(who))
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
            .where(col(Membership.network) == network.key, of_person(who))
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
    led = await led_networks(session, event.actor)
    blocks: list[Block] = [Text(text=done)] if done else []
    blocks.append(Text(text=TITLE, heading=True))
    if not networks:
        blocks.append(Text(text=EMPTY))
    for network in networks:
        blocks += _network(network, leads.get(network.key, []), mine.get(network.key))
        if network.key in led:
            blocks += await _leading(session, network)
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


async def _leading(session: AsyncSession, network: Network) -> list[Block]:
    """What a lead alone sees of their network: how many are in it, and a way to see who."""
    count = len(await members(session, network.key))
    joined = "1 person has" if count == 1 else f"{count} people have"
    return [
        Text(text=f"You lead this network. {joined} joined."),
        Buttons(
            buttons=(
                Button(
                    label="See members",
                    action=MEMBERS,
                    value=encode(NetworkRef(network=network.key)),
                ),
            )
        ),
    ]


async def roster(press: ButtonPressed, services: Services) -> list[Reply]:
    """Who is in a network, longest-standing first: for its leads alone, audited like every
    lead action, and answered to the lead alone wherever the button was pressed."""
    ref = decode(NetworkRef, press.value)

    async def work(lead: Lead) -> list[Reply]:
        lead.own(ref.network)
        network = await _listed(lead.session, ref.network)
        if network is None:
            return [_gone(press)]
        people = await members(lead.session, network.key)
        named = await attendance.emails(lead.session, people)
        block = People(
            label=f"Members of {the(network.name)}: {len(people)}",
            people=tuple(people),
            named=tuple(named.get((p.platform, p.user_id), "") for p in people),
            empty=NOBODY,
        )
        summary = f"Members of {the(network.name)}"
        return [Reply(summary=summary, blocks=(block,), ephemeral=True)]

    return await as_lead(services, press.actor, "members", work)


COMMANDS: Mapping[str, CommandHandler] = {"networks": show}
ACTIONS: Mapping[ActionId, ActionHandler] = {
    JOIN: join,
    LEAVE: leave,
    MUTE: mute,
    UNMUTE: unmute,
    MEMBERS: roster,
}
