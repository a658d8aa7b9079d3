"""The features peerbot offers, in the order help lists them: the one router table."""

from __future__ import annotations

from bot.conversation.router import Feature, Router
from bot.help import feature as help
from bot.mentoring import feature as mentoring
from bot.support import feature as support


def build_router(speakup: Feature, events: Feature) -> Router:
    """Every feature, with help answering anything unclaimed. Help's menu shows only
    listed features. `speakup` and `events` come built with their own dependencies (see
    bot.speakup.feature, bot.events.feature), by the composition root."""
    features = [speakup, events, mentoring.FEATURE, support.FEATURE]
    return Router([*features, help.build(features)], fallback=help.fallback(features))
