"""Conversation references: taken from people's own direct messages, used to reach them later."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.codec import address_from_json, address_to_json
from bot.conversation.errors import described
from bot.conversation.inbound import Conversation, InboundEvent, PersonAddress, person_of
from storage import references as rows
from storage.engine import Database
from storage.group_commit import GroupCommit

logger = logging.getLogger(__name__)

KEPT = 10_000
"""People this process remembers having recorded, so their every message is not a write."""


def direct(event: InboundEvent) -> bool:
    """A private conversation that belongs to the person acting: their DM with peerbot,
    where a message meant for them alone may go. Never a channel, never the web form
    (which has no accounts and no conversation to come back to)."""
    where = event.conversation
    return where.is_private and where.user_id == event.actor.user_id


class References:
    """Records where each person is reached, from their own traffic.

    Not from an event the router marks confidential: the person may be speaking up
    anonymously, and a reference recorded then would say that they used speak-up.

    References noticed while a write is under way wait for it and then go in the next
    one (group commit): under a burst of first messages, one transaction records many
    people instead of each taking its turn on SQLite's write lock.
    """

    def __init__(self) -> None:
        self._recorded: OrderedDict[PersonAddress, Conversation] = OrderedDict()
        self._group: GroupCommit[PersonAddress, Conversation, None] | None = None

    async def noticed(self, event: InboundEvent, db: Database, *, confidential: bool) -> None:
        """Best effort: a reference not recorded now is recorded next time, so a failure
        is logged and the person is answered all the same."""
        if confidential or not direct(event):
            return
        person, where = person_of(event.actor), event.conversation
        if self._recorded.get(person) == where:
            self._recorded.move_to_end(person)
            return
        if self._group is None:
            self._group = GroupCommit(db, keep_all, name="references")
        try:
            await self._group.offer(person, where)
        except Exception as exc:
            logger.warning("references: not recorded this time (%s)", described(exc))
            return
        self._recorded[person] = where  # only once committed
        self._recorded.move_to_end(person)
        while len(self._recorded) > KEPT:
            self._recorded.popitem(last=False)


async def keep_all(
    session: AsyncSession, batch: Mapping[PersonAddress, Conversation]
) -> dict[PersonAddress, None]:
    """Many people's references in one statement (for a GroupCommit)."""
    await rows.remember_all(
        session, {_person(p): address_to_json(where) for p, where in batch.items()}
    )
    return dict.fromkeys(batch)


async def find_all(
    session: AsyncSession, batch: Mapping[PersonAddress, object]
) -> dict[PersonAddress, Conversation | None]:
    """Many people's recorded conversations in one query (for a GroupCommit)."""
    stored = await rows.references_for(session, [_person(p) for p in batch])
    return {person: _conversation(stored[_person(person)]) for person in batch}


async def keep(session: AsyncSession, person: PersonAddress, where: Conversation) -> None:
    await keep_all(session, {person: where})


def _person(person: PersonAddress) -> rows.Person:
    return (person.platform, person.tenant, person.user_id)


def _conversation(stored: dict[str, Any] | None) -> Conversation | None:
    found = address_from_json(stored) if stored is not None else None
    return found if isinstance(found, Conversation) else None
