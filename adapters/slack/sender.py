"""Outbox delivery to Slack through the Web API; Slack's verdicts become retry decisions."""

from __future__ import annotations

import logging
from collections import OrderedDict

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import message
from bot.events import Conversation
from bot.outbox import DeliveryFailed
from bot.replies import Reply

logger = logging.getLogger(__name__)

PERMANENT = {
    "channel_not_found",
    "account_inactive",
    "not_in_channel",
    "is_archived",
    "user_not_found",
    "user_disabled",
    "cannot_dm_bot",
    "invalid_auth",
    "token_revoked",
}
"""Errors no retry can mend: recorded on the row and never tried again."""

SLACK_TROUBLE = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
"""Slack's own troubles, answered with HTTP 200: they are not the message's fault."""

METADATA_TYPE = "peerbot_outbox"
"""The event type of the metadata every outbox message carries: its row's key, so that
after a crash a message already posted is found rather than posted twice."""

HISTORY_LOOKBACK = 50
"""How many recent messages to look through for a key: a message in doubt is looked
for within a lease or two of its send, so it is among the latest in its conversation."""


DMS_KEPT = 10_000
"""People whose DM channel is remembered: a trust's whole staff for a check-in round, in
well under a megabyte. Only in memory, and it says nothing about what was sent."""


class SlackSender:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._dms: OrderedDict[str, str] = OrderedDict()

    async def send(self, address: Conversation, reply: Reply, *, key: str) -> None:
        try:
            channel = await self._channel(address)
            await self._client.chat_postMessage(
                channel=channel,
                metadata={"event_type": METADATA_TYPE, "event_payload": {"key": key}},
                **message(reply),
            )
        except SlackApiError as exc:
            self._dms.pop(address.channel_id, None)  # opened anew next time, in case it went
            raise failure(exc) from None

    async def already_sent(self, address: Conversation, key: str) -> bool:
        try:
            history = await self._client.conversations_history(
                channel=await self._channel(address),
                limit=HISTORY_LOOKBACK,
                include_all_metadata=True,
            )
        except SlackApiError as exc:
            if exc.response.get("error") == "missing_scope":  # cannot look: better twice than never
                logger.warning("outbox: no history scope to check a message in doubt; sending")
                return False
            raise failure(exc) from None
        return any(
            m.get("metadata", {}).get("event_type") == METADATA_TYPE
            and m["metadata"].get("event_payload", {}).get("key") == key
            for m in history.get("messages") or []
        )

    async def _channel(self, address: Conversation) -> str:
        """A person is reached in their DM with the bot, opened (or found) once and then
        remembered: a check-in round, or a check for a message in doubt, would otherwise
        cost a conversations.open per message against Slack's rate limits."""
        person = address.channel_id
        if not person.startswith(("U", "W")):
            return person
        if (known := self._dms.get(person)) is not None:
            self._dms.move_to_end(person)
            return known
        opened = await self._client.conversations_open(users=person)
        self._dms[person] = channel = str(opened["channel"]["id"])
        if len(self._dms) > DMS_KEPT:
            self._dms.popitem(last=False)
        return channel


def failure(exc: SlackApiError) -> DeliveryFailed:
    """Slack's answer as a DeliveryFailed: 429 carries Retry-After for the outbox to honour,
    and a 5xx or one of Slack's own troubles is transient, not the message's fault."""
    response = exc.response
    if response.status_code == 429:
        retry_after = float(
            response.headers.get("Retry-After", response.headers.get("retry-after", 30))
        )
        return DeliveryFailed("ratelimited", retry_after=retry_after)
    body = response.data if isinstance(response.data, dict) else {}  # a proxy's HTML 502
    error = str(body.get("error", f"http_{response.status_code}"))
    return DeliveryFailed(
        error,
        permanent=error in PERMANENT,
        transient=response.status_code >= 500 or error in SLACK_TROUBLE,
    )
