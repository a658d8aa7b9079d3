"""Staff using events through the real router: typed words and pressed buttons, in a DM
or in a channel, as a person the tests name by number."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from bot.conversation.actions import ActionId
from bot.conversation.inbound import Actor, ButtonPressed, Conversation, Platform, TextMessage
from bot.conversation.payloads import encode
from bot.conversation.replies import Buttons, Reply
from bot.conversation.router import Router
from bot.conversation.sealing import Sealer
from bot.conversation.services import Services
from bot.events import feature as events
from bot.events.deps import Events
from bot.events.payloads import OccurrenceRef
from bot.features import build_router
from bot.mentoring import feature as mentoring
from bot.mentoring.deps import Mentoring
from bot.speakup.feature import feature as speakup
from storage.engine import Database
from storage.events import EventSeries, Occurrence
from tests.bot.events.places_fixtures import NOW


def router(sealer: Sealer | None = None) -> Router:
    """Every feature as `peerbot run` builds them, speak-up without a key."""
    return build_router(
        speakup(None, keep_closed_for=timedelta(days=365)),
        events.feature(Events(sealer=sealer)),
        mentoring.feature(Mentoring(sealer=sealer)),
    )


def actor(n: int) -> Actor:
    return Actor(platform=Platform.SLACK, tenant="T1", user_id=f"U{n:05d}")


def dm(n: int) -> Conversation:
    return Conversation(
        platform=Platform.SLACK, tenant="T1", channel_id=f"D{n:05d}", user_id=f"U{n:05d}"
    )


CHANNEL = Conversation(
    platform=Platform.SLACK, tenant="T1", channel_id="C07LGBTQ", is_private=False
)


async def typed(router: Router, services: Services, text: str, n: int = 1) -> list[Reply]:
    message = TextMessage(actor=actor(n), conversation=dm(n), at=NOW, text=text)
    return await router.handle(message, services)


async def pressed(
    router: Router,
    services: Services,
    action: ActionId,
    occurrence: int,
    n: int = 1,
    *,
    where: Conversation | None = None,
) -> Reply:
    press = ButtonPressed(
        actor=actor(n),
        conversation=where or dm(n),
        at=NOW,
        action=action,
        value=encode(OccurrenceRef(occurrence=occurrence)),
    )
    (reply,) = await router.handle(press, services)
    return reply


def labels(reply: Reply) -> list[str]:
    return [b.label for block in reply.blocks if isinstance(block, Buttons) for b in block.buttons]


async def change(db: Database, occurrence: int, **fields: object) -> None:
    """Set the event's own fields (title, place, ...) or, with `at_`, the date's."""
    mine = {k.removeprefix("at_"): v for k, v in fields.items() if k.startswith("at_")}
    theirs = {k: v for k, v in fields.items() if not k.startswith("at_")}
    async with db.session() as session:
        row = await session.get(Occurrence, occurrence)
        assert row is not None
        if mine:
            await session.exec(
                update(Occurrence).where(col(Occurrence.id) == occurrence).values(**mine)
            )
        if theirs:
            await session.exec(
                update(EventSeries).where(col(EventSeries.id) == row.series_id).values(**theirs)
            )


__all__ = ["NOW", "change", "labels", "pressed", "router", "typed"]
