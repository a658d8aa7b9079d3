"""The features peerbot offers, in the order help lists them."""

from __future__ import annotations

from bot.features import events, guardian, help, mentoring, speakup, support
from bot.router import Router


def build_router() -> Router:
    """The one router table: every feature, with help answering anything unclaimed."""
    features = [speakup.FEATURE, events.FEATURE, mentoring.FEATURE, support.FEATURE]
    help_feature = help.build(features)
    return Router([*features, guardian.FEATURE, help_feature], fallback=help.fallback(features))
