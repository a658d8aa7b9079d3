"""Every message peerbot sends to Teams, paced to Teams' limits; Microsoft's verdicts become
the outbox's retry decisions."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import replace
from typing import TypeVar

from adapters.teams.hosting import CallFailed, Hosting, Reference
from adapters.teams.pacing import Pacer
from adapters.teams.parse import KIND, PERSONAL, SERVICE_URL
from adapters.teams.render import Look, message
from bot.conversation.inbound import Conversation, PersonAddress, Platform
from bot.conversation.outbox import DeliveryFailed
from bot.conversation.replies import Reply

logger = logging.getLogger(__name__)
T = TypeVar("T")

RETRIED = {401, 412, 429, 502, 504}
"""What Microsoft asks a bot to send again later (with Retry-After when it says when), and
peerbot's own token refused: none of them the message's fault."""
UNREACHABLE = {403, 404}
"""peerbot blocked or removed, or the conversation gone: no retry can mend it."""


def kind_of(address: Conversation) -> str:
    """`personal`, `channel` or `groupChat`: as Teams said, or for an address from the
    organisation file, by its id (a personal chat's starts `a:`)."""
    return address.extra.get(KIND) or (
        PERSONAL if address.channel_id.startswith("a:") else "channel"
    )


def look_at(look: Look, address: Conversation, *, dialog: bool = False) -> Look:
    """`look` for this conversation: in one others see, every answer opens in a dialog."""
    return replace(look, shared=kind_of(address) != PERSONAL, dialog=dialog)


class TeamsSender:
    """The outbox's sender for Teams, also used for the answers to people's own messages.

    `look` says how cards behave (see adapters.teams.render.Look; made for each
    conversation by `look_at`);
    `service_url` and `tenant` reach a conversation nobody has written from yet (a
    guardians' channel named in the organisation file, or the personal chat of someone
    in a mentoring pair who has never opened peerbot): Microsoft's global address and the
    organisation's own tenant, since peerbot is a single-tenant bot.
    """

    def __init__(
        self,
        hosting: Hosting,
        pacer: Pacer,
        look: Look,
        *,
        service_url: str,
        tenant: str,
    ) -> None:
        self._hosting = hosting
        self._pacer = pacer
        self._look = look
        self._service_url = service_url
        self._tenant = tenant

    def where(self, address: Conversation) -> Reference:
        kind = kind_of(address)
        return Reference(
            service_url=address.extra.get(SERVICE_URL) or self._service_url,
            conversation_id=address.channel_id,
            conversation_type=kind,
            tenant=address.tenant or self._tenant,
        )

    async def resolve(self, person: PersonAddress) -> Conversation | None:
        """The person's personal chat with peerbot, which Teams opens (or finds) when
        peerbot is installed for them or in a team of theirs."""
        tenant = person.tenant or self._tenant
        opened = await _verdict(
            self._hosting.open_personal(self._service_url, tenant, person.user_id)
        )
        return Conversation(
            platform=Platform.TEAMS,
            tenant=tenant,
            channel_id=opened,
            user_id=person.user_id,
            extra={SERVICE_URL: self._service_url, KIND: PERSONAL},
        )

    async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
        await self.post(address, reply)

    async def post(self, address: Conversation, reply: Reply) -> str:
        """`reply` as a new message; its activity id."""
        where = self.where(address)
        await self._pacer.turn(where.conversation_id, where.tenant)
        activity = message(reply, look_at(self._look, address))
        return await _verdict(self._hosting.send(where, activity))

    async def replace(self, address: Conversation, activity_id: str, reply: Reply) -> None:
        """The message `activity_id` (a card pressed or sent) shows `reply` instead."""
        where = self.where(address)
        await self._pacer.turn(where.conversation_id, where.tenant)
        activity = message(reply, look_at(self._look, address))
        await _verdict(self._hosting.update(where, activity_id, activity))

    async def already_sent(self, address: Conversation, key: str) -> bool:
        """Teams keeps no marks a bot can look for: a message in doubt is sent again."""
        return False


async def _verdict(call: Awaitable[T]) -> T:
    """The call, its failure as the outbox understands it."""
    try:
        return await call
    except CallFailed as failed:
        status = failed.status
        if status in UNREACHABLE:
            raise DeliveryFailed(f"unreachable (http_{status})", permanent=True) from None
        if status is None or status in RETRIED or status >= 500:
            raise DeliveryFailed(
                str(failed), retry_after=failed.retry_after, transient=True
            ) from None
        raise DeliveryFailed(str(failed)) from None
