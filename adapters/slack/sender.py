"""Outbox delivery to Slack through the Web API; Slack's verdicts become retry decisions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import message
from bot.conversation.errors import described
from bot.conversation.inbound import Conversation, PersonAddress, Platform
from bot.conversation.outbox import DeliveryFailed
from bot.conversation.replies import Attachment, Reply

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


UPLOAD_WAITS = (1.0, 4.0)
"""Seconds between tries of a message's files: a dropped connection or a Slack blip."""


class SlackSender:
    def __init__(
        self, client: AsyncWebClient, *, upload_waits: Sequence[float] = UPLOAD_WAITS
    ) -> None:
        self._client = client
        self._upload_waits = tuple(upload_waits)

    async def resolve(self, person: PersonAddress) -> Conversation:
        """The person's DM with the bot, opened (or found: Slack gives the same one back).
        The outbox stores it, so this costs one conversations.open per person, not per
        message of a check-in round."""
        try:
            opened = await self._client.conversations_open(users=person.user_id)
        except SlackApiError as exc:
            raise failure(exc) from None
        return Conversation(
            platform=Platform.SLACK,
            tenant=person.tenant,
            channel_id=str(opened["channel"]["id"]),
            user_id=person.user_id,
        )

    async def send(self, address: Conversation, reply: Reply, *, key: str) -> None:
        try:
            await self._client.chat_postMessage(
                channel=address.channel_id,
                metadata={"event_type": METADATA_TYPE, "event_payload": {"key": key}},
                **message(reply),
            )
        except SlackApiError as exc:
            raise failure(exc) from None
        await self._files_after(address.channel_id, reply, key)

    async def _files_after(self, channel: str, reply: Reply, key: str) -> None:
        """The files of a message already posted, tried a few times here: the row cannot
        be retried for them, since its message is there (a retry would find it by its key
        and count the row as sent), so a file that still fails is logged, never lost
        silently, and never posted with its message twice."""
        for wait in (*self._upload_waits, None):
            try:
                await upload(self._client, channel, reply.files)
                return
            except (SlackApiError, ClientError, TimeoutError) as exc:
                if wait is None:
                    logger.warning(
                        "outbox: the file of %s was not shared (%s)", key, described(exc)
                    )
                    return
                await asyncio.sleep(wait)

    async def already_sent(self, address: Conversation, key: str) -> bool:
        try:
            history = await self._client.conversations_history(
                channel=address.channel_id,
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


async def upload(client: AsyncWebClient, channel: str, files: Sequence[Attachment]) -> None:
    """Each file into the conversation, after its message (files_upload_v2: Slack's
    upload URL, then completing the upload into the channel)."""
    for attached in files:
        await client.files_upload_v2(
            channel=channel, file=attached.data, filename=attached.name, title=attached.name
        )


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
