"""Whose clock a time is shown on: the viewer's own zone, else the organisation's."""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.conversation.inbound import Actor
from storage.directory import organisation
from storage.engine import Database


async def home_zone(db: Database) -> tzinfo:
    """The organisation's zone from its applied org file; UTC before there is one."""
    async with db.session(write=False) as session:
        org = await organisation(session)
    return UTC if org is None else ZoneInfo(org.time_zone)


def viewer_zone(actor: Actor, home: tzinfo) -> tzinfo:
    """The zone the person's platform told us, when it is one we know."""
    if actor.time_zone:
        try:
            return ZoneInfo(actor.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return home
