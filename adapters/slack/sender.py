"""Outbox delivery to Slack through the Web API; Slack's verdicts become retry decisions."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import message
from bot.events import Conversation
from bot.outbox import DeliveryFailed
from bot.replies import Reply

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


class SlackSender:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def send(self, address: Conversation, reply: Reply) -> None:
        try:
            channel = address.channel_id
            if channel.startswith(("U", "W")):  # a person, not a conversation: open the DM
                opened = await self._client.conversations_open(users=channel)
                channel = str(opened["channel"]["id"])
            await self._client.chat_postMessage(channel=channel, **message(reply))
        except SlackApiError as exc:
            raise failure(exc) from None


def failure(exc: SlackApiError) -> DeliveryFailed:
    """Slack's answer as a DeliveryFailed: 429 carries Retry-After for the outbox to honour."""
    response = exc.response
    if response.status_code == 429:
        retry_after = float(
            response.headers.get("Retry-After", response.headers.get("retry-after", 30))
        )
        return DeliveryFailed("ratelimited", retry_after=retry_after)
    error = str(response.get("error", f"http_{response.status_code}"))
    return DeliveryFailed(error, permanent=error in PERMANENT)
