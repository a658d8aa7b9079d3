"""Messages the events feature sends on its own, always through the outbox and always in
the same transaction as the change they tell of: a place offered is never lost, and never
told twice (each key names the offer, the change or the event it is about)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.actions import ActionId
from bot.conversation.inbound import PersonAddress, Platform
from bot.conversation.outbox import Outgoing, enqueue
from bot.conversation.payloads import encode
from bot.conversation.replies import (
    Attachment,
    Block,
    Button,
    Buttons,
    ButtonStyle,
    FieldItem,
    Fields,
    Link,
    Reply,
    Text,
    When,
    check_url,
)
from bot.events import invite
from bot.events.actions import CANCEL, CLAIM, DECLINE, OPEN
from bot.events.membership import members_to_tell
from bot.events.payloads import OccurrenceRef
from storage.events import EventSeries, Occurrence, Signup, SignupStatus
from storage.organisation import Network

TOLD_OF_CHANGES = (SignupStatus.GOING, SignupStatus.OFFERED, SignupStatus.WAITING)
"""Everyone with a stake in a date: a place, a place held for them, or a spot in the queue."""


def person(signup: Signup) -> PersonAddress:
    return PersonAddress(
        platform=Platform(signup.platform), tenant=signup.tenant, user_id=signup.user_id
    )


async def tell(
    session: AsyncSession, signup: Signup, key: str, reply: Reply, *, now: datetime
) -> bool:
    """Queue `reply` for the person behind `signup`, once for `key`."""
    item = Outgoing(dedupe_key=key, address=person(signup), reply=reply, due_at=now)
    return await enqueue(session, item, now=now)


def where(occurrence: Occurrence, series: EventSeries) -> tuple[Block, ...]:
    """Where to go: the date's own place or link, else its series'. A link that is not one
    peerbot shows is given as plain text rather than lose the message it is in."""
    place = occurrence.place or series.place
    link = occurrence.online_url or series.online_url
    blocks: list[Block] = []
    if place:
        blocks.append(Fields(items=(FieldItem(label="Where", value=place),)))
    if link:
        try:
            blocks.append(Link(label="Join online", url=check_url(link)))
        except ValueError:
            blocks.append(Fields(items=(FieldItem(label="Online", value=link),)))
    return tuple(blocks)


def button(
    label: str, action: ActionId, occurrence: Occurrence, *, style: ButtonStyle = "default"
) -> Button:
    """A button about one date (open it, cancel my place, claim, decline)."""
    assert occurrence.id is not None
    ref = encode(OccurrenceRef(occurrence=occurrence.id))
    return Button(label=label, action=action, value=ref, style=style)


def offer_buttons(occurrence: Occurrence) -> tuple[Button, Button]:
    """Take the place held for them, or let it go: the same two wherever an offer shows."""
    return (
        button("Yes, I'll come", CLAIM, occurrence, style="primary"),
        button("No thanks", DECLINE, occurrence),
    )


async def offer_made(
    session: AsyncSession,
    signup: Signup,
    occurrence: Occurrence,
    series: EventSeries,
    *,
    now: datetime,
) -> None:
    """A place has come up: theirs to take until the offer runs out, never taken for them."""
    assert signup.offer_expires is not None
    reply = Reply(
        summary=f"A place has come up at {series.title}",
        blocks=(
            Text(text=f"A place has come up at {series.title}.", heading=True),
            Text(text="You were next on the waitlist. Would you like it?"),
            When(label="Starts", at=occurrence.starts_at),
            When(label="We'll hold it for you until", at=signup.offer_expires),
            Buttons(buttons=offer_buttons(occurrence)),
        ),
    )
    await tell(session, signup, f"events:offer:{signup.id}:{signup.offers}", reply, now=now)


async def offer_lapsed(
    session: AsyncSession,
    signup: Signup,
    occurrence: Occurrence,
    series: EventSeries,
    *,
    now: datetime,
) -> None:
    """The offer ran out: say so kindly, so nobody turns up thinking they have a place.
    Not when the date was cancelled: they were told that, and no place went to anyone."""
    if occurrence.cancelled_at is not None or series.cancelled_at is not None:
        return
    text = (
        f"The place we held for you at {series.title} has gone to the next person. "
        "You can join the waitlist again from the event."
    )
    reply = Reply(summary=text, blocks=(Text(text=text),))
    await tell(session, signup, f"events:lapsed:{signup.id}:{signup.offers}", reply, now=now)


async def changed(
    session: AsyncSession, occurrence: Occurrence, series: EventSeries, *, now: datetime
) -> int:
    """A lead moved a date, or changed its time or place (and bumped its `sequence`):
    everyone going, offered a place or waiting is told once for this change, with how it
    stands now; those going get the invite again, which replaces the one they have (same
    UID, the new SEQUENCE). Returns how many were told."""
    told = 0
    for signup in await _with_a_stake(session, occurrence):
        blocks: list[Block] = [
            Text(text=f"{series.title} has changed", heading=True),
            Text(text="The time or place has changed. This is how it stands now."),
            When(label="Starts", at=occurrence.starts_at),
            *where(occurrence, series),
        ]
        going = signup.status == SignupStatus.GOING
        if going:
            blocks += [
                Text(
                    text="Your place is kept, and the calendar invite attached updates your "
                    "calendar. If you can't make it now, please cancel so someone else can go."
                ),
                Buttons(buttons=(button("Cancel my place", CANCEL, occurrence),)),
            ]
        elif signup.status == SignupStatus.OFFERED:
            blocks += [
                Text(text="The place we're holding for you is still yours if you'd like it."),
                Buttons(buttons=offer_buttons(occurrence)),
            ]
        else:
            blocks.append(
                Text(text="You're still on the waitlist. We'll message you if a place comes up.")
            )
        files = (await _invite(session, signup, series, occurrence, "REQUEST", now),)
        reply = Reply(
            summary=f"{series.title} has changed",
            blocks=tuple(blocks),
            files=files if going else (),
        )
        key = f"events:changed:{occurrence.id}:{occurrence.sequence}:{signup.id}"
        told += await tell(session, signup, key, reply, now=now)
    return told


async def cancelled(
    session: AsyncSession, occurrence: Occurrence, series: EventSeries, *, now: datetime
) -> int:
    """A date is not going ahead (the lead bumped its `sequence`): everyone going, offered a
    place or waiting is told once; those going get the invite that takes it out of their
    calendar (METHOD:CANCEL, same UID). Returns how many were told."""
    told = 0
    for signup in await _with_a_stake(session, occurrence):
        going = signup.status == SignupStatus.GOING
        calendar = "The calendar file attached takes it out of your calendar. " if going else ""
        files = (
            (await _invite(session, signup, series, occurrence, "CANCEL", now),) if going else ()
        )
        reply = Reply(
            summary=f"{series.title} is cancelled",
            blocks=(
                Text(text=f"{series.title} is cancelled", heading=True),
                Text(text="Sorry, this date is not going ahead. You don't need to do anything."),
                When(label="It was due to start", at=occurrence.starts_at),
                Text(text=f"{calendar}Type “events” to see what else is on."),
            ),
            files=files,
        )
        key = f"events:cancelled:{occurrence.id}:{signup.id}"
        told += await tell(session, signup, key, reply, now=now)
    return told


async def published(session: AsyncSession, series: EventSeries, *, now: datetime) -> int:
    """A new event: each member of its network who has not muted it hears once, with its
    first date to open. Nothing is said when no date is ahead. Returns how many were told."""
    first = await _first_date(session, series, now)
    if first is None:
        return 0
    name = await _network_name(session, series.network)
    reply = Reply(
        summary=f"New event: {series.title}",
        blocks=(
            Text(text=f"New event: {series.title}", heading=True),
            Text(text=f"From {name}."),
            When(label="First date" if series.rule else "Starts", at=first.starts_at),
            *where(first, series),
            Buttons(buttons=(button("Open", OPEN, first),)),
            Text(text="Type “networks” to mute these messages."),
        ),
    )
    told = 0
    for member in await members_to_tell(session, series.network):
        who = f"{member.platform}:{member.tenant}:{member.user_id}"
        item = Outgoing(
            dedupe_key=f"events:new:{series.id}:{who}", address=member, reply=reply, due_at=now
        )
        told += await enqueue(session, item, now=now)
    return told


async def _network_name(session: AsyncSession, key: str) -> str:
    network = (await session.exec(select(Network).where(col(Network.key) == key))).first()
    return network.name if network is not None else key


async def _invite(
    session: AsyncSession,
    signup: Signup,
    series: EventSeries,
    occurrence: Occurrence,
    method: invite.Method,
    now: datetime,
) -> Attachment:
    """The .ics for one person going, from the network (the same UID as the one they got
    when they signed up, and a SEQUENCE above it)."""
    return invite.invite(
        series,
        occurrence,
        method=method,
        organiser_name=await _network_name(session, series.network),
        domain=invite.DOMAIN,
        now=now,
        sequence=await next_sequence(session, signup, occurrence),
    )


async def next_sequence(session: AsyncSession, signup: Signup, occurrence: Occurrence) -> int:
    """The SEQUENCE of the next invite this person gets for this date, above every one
    they hold: the date's own rises with each change the lead makes, and their count with
    each invite they are sent. Without their count, someone who cancelled (a CANCEL one
    above the date's) and signed up again would get a REQUEST their calendar ignores."""
    counted = await session.exec(
        update(Signup)
        .where(col(Signup.id) == signup.id)
        .values(invites=col(Signup.invites) + 1)
        .returning(col(Signup.invites))
        .execution_options(synchronize_session=False)
    )
    return occurrence.sequence + int(counted.scalar_one())


async def _with_a_stake(session: AsyncSession, occurrence: Occurrence) -> list[Signup]:
    query = (
        select(Signup)
        .where(
            col(Signup.occurrence_id) == occurrence.id,
            col(Signup.status).in_(TOLD_OF_CHANGES),
        )
        .order_by(col(Signup.id))
    )
    return list((await session.exec(query)).all())


async def _first_date(
    session: AsyncSession, series: EventSeries, now: datetime
) -> Occurrence | None:
    query = (
        select(Occurrence)
        .where(
            col(Occurrence.series_id) == series.id,
            col(Occurrence.cancelled_at).is_(None),
            col(Occurrence.starts_at) > now,
        )
        .order_by(col(Occurrence.starts_at))
        .limit(1)
    )
    return (await session.exec(query)).first()
