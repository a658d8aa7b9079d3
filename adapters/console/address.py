"""Who the person at the console is, and where peerbot answers them."""

from __future__ import annotations

from bot.conversation.inbound import Actor, Conversation, Platform

TENANT = "local"
CHANNEL = "console"


def console_address(user_id: str) -> Conversation:
    """The console's one conversation: also where the outbox sends that person's messages."""
    return Conversation(
        platform=Platform.CONSOLE, tenant=TENANT, channel_id=CHANNEL, user_id=user_id
    )


def console_actor(user_id: str, time_zone: str | None = None) -> Actor:
    return Actor(platform=Platform.CONSOLE, tenant=TENANT, user_id=user_id, time_zone=time_zone)
