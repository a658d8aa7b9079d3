"""Announcing one date of an event in its network's channel, once: what the channel sees
is the event and a Sign up button, never who is coming."""

from __future__ import annotations

from sqlmodel import col, select

from bot.conversation.actions import ActionId
from bot.conversation.inbound import ButtonPressed, Conversation, Platform
from bot.conversation.outbox import Outgoing, enqueue
from bot.conversation.replies import (
    Block,
    Button,
    Buttons,
    FieldItem,
    Fields,
    Link,
    Reply,
    Text,
    When,
    say,
)
from bot.conversation.services import Services
from bot.events.actions import NAME, SIGN_UP
from bot.events.lead import Lead, as_lead, date_of, date_ref
from bot.organisation.recurrence import words
from storage.events import EventSeries, Occurrence
from storage.organisation import Network

ANNOUNCE = ActionId(NAME, "lead_announce")


def announcement(occurrence: Occurrence, series: EventSeries) -> Reply:
    """What a network's channel sees: the event and a Sign up button that answers whoever
    presses it privately. Never who is coming: in a channel that could out someone."""
    blocks: list[Block] = [Text(text=series.title, heading=True)]
    if series.description:
        blocks.append(Text(text=series.description))
    blocks += [
        When(label="Starts", at=occurrence.starts_at),
        When(label="Ends", at=occurrence.ends_at),
    ]
    place = occurrence.place or series.place
    if place:
        blocks.append(Fields(items=(FieldItem(label="Where", value=place),)))
    link = occurrence.online_url or series.online_url
    if link:
        blocks.append(Link(label="Join online", url=link))
    if series.rule:
        blocks.append(Text(text=words(series.rule, series.first_start, series.time_zone)))
    if series.accessibility:
        blocks.append(Fields(items=(FieldItem(label="Accessibility", value=series.accessibility),)))
    blocks.append(
        Buttons(
            buttons=(
                Button(
                    label="Sign up", action=SIGN_UP, value=date_ref(occurrence), style="primary"
                ),
            )
        )
    )
    return Reply(summary=f"New event: {series.title}", blocks=tuple(blocks))


PLATFORM_NAMES = {Platform.SLACK: "Slack", Platform.TEAMS: "Teams"}


def elsewhere(platforms: list[str]) -> str:
    """Why nothing was announced from here: the network's channel is on another platform
    (the console has no channels at all), or it has none anywhere yet."""
    names = [PLATFORM_NAMES.get(Platform(p), p) for p in platforms if p in set(Platform)]
    if names:
        return (
            f"This network's channel is in {' and '.join(names)}. Please press Announce there. "
            "Nothing was posted."
        )
    return (
        "This network has no channel to announce in yet. Please ask whoever looks after "
        "peerbot to add one to the organisation file. Nothing was posted."
    )


async def pressed_announce(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, press.value)
        if occurrence.cancelled_at is not None or series.cancelled_at is not None:
            return [say("That date is cancelled, so there is nothing to announce.", ephemeral=True)]
        network = (
            await lead.session.exec(select(Network).where(col(Network.key) == series.network))
        ).first()
        channels = dict(network.channels) if network else {}
        channel = channels.get(lead.actor.platform)
        if not channel:
            return [say(elsewhere(sorted(channels)), ephemeral=True)]
        where = Conversation(
            platform=Platform(lead.actor.platform), tenant="", channel_id=channel, is_private=False
        )
        item = Outgoing(
            dedupe_key=f"events:announce:{series.id}:{occurrence.id}",
            address=where,
            reply=announcement(occurrence, series),
            due_at=lead.now,
        )
        if not await enqueue(lead.session, item, now=lead.now):
            return [say("This date was announced already.", ephemeral=True)]
        return [
            say(f"“{series.title}” will be announced in the network's channel.", ephemeral=True)
        ]

    return await as_lead(services, press.actor, "announce", work)
