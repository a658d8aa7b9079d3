"""The features peerbot offers, in the order help lists them: the one router table."""

from __future__ import annotations

from bot.conversation.router import Feature, Router
from bot.help import feature as help
from bot.support import feature as support


def build_router(speakup: Feature, events: Feature, mentoring: Feature) -> Router:
    """Every feature, with help answering anything unclaimed. Help's menu shows only
    listed features. `speakup`, `events` and `mentoring` come built with their own
    dependencies (see bot.speakup.feature, bot.events.feature, bot.mentoring.feature), by
    the composition root."""
    features = [speakup, events, mentoring, support.FEATURE]
    return Router([*features, help.build(features)], fallback=help.fallback(features))
