"""Messages the events feature sends on its own, always through the outbox and always in
the same transaction as the change they tell of: a place offered is never lost, and never
told twice (each key names the offer, the change or the event it is about)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import PersonAddress, Platform
from bot.conversation.outbox import Outgoing, enqueue
from bot.conversation.payloads import encode
from bot.conversation.replies import Button, Buttons, Reply, Text, When
from bot.events.actions import CLAIM, DECLINE
from bot.events.payloads import OccurrenceRef
from storage.events import EventSeries, Occurrence, Signup


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


async def offer_made(
    session: AsyncSession,
    signup: Signup,
    occurrence: Occurrence,
    series: EventSeries,
    *,
    now: datetime,
) -> None:
    """A place has come up: theirs to take until the offer runs out, never taken for them."""
    assert signup.offer_expires is not None and occurrence.id is not None
    ref = encode(OccurrenceRef(occurrence=occurrence.id))
    reply = Reply(
        summary=f"A place has come up at {series.title}",
        blocks=(
            Text(text=f"A place has come up at {series.title}.", heading=True),
            Text(text="You were next on the waitlist. Would you like it?"),
            When(label="Starts", at=occurrence.starts_at),
            When(label="We'll hold it for you until", at=signup.offer_expires),
            Buttons(
                buttons=(
                    Button(label="Yes, I'll come", action=CLAIM, value=ref, style="primary"),
                    Button(label="No thanks", action=DECLINE, value=ref),
                )
            ),
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
    """The offer ran out: say so kindly, so nobody turns up thinking they have a place."""
    text = (
        f"The place we held for you at {series.title} has gone to the next person. "
        "You can join the waitlist again from the event."
    )
    reply = Reply(summary=text, blocks=(Text(text=text),))
    await tell(session, signup, f"events:lapsed:{signup.id}:{signup.offers}", reply, now=now)


async def changed(
    session: AsyncSession, occurrence: Occurrence, series: EventSeries, *, now: datetime
) -> None:
    """A lead moved a date or its place: everyone signed up or waiting is told, once per
    change (Occurrence.sequence). Written by the notices' owner; this keeps the call."""


async def cancelled(
    session: AsyncSession, occurrence: Occurrence, series: EventSeries, *, now: datetime
) -> None:
    """A date was cancelled: everyone signed up or waiting is told, with a cancelling
    invite. Written by the notices' owner; this keeps the call."""


async def published(session: AsyncSession, series: EventSeries, *, now: datetime) -> None:
    """A new event: the network's members hear of it. Written by the notices' owner; this
    keeps the call."""
