"""The features peerbot offers, in the order help lists them."""

from __future__ import annotations

from bot.features import events, guardian, help, mentoring, speakup, support
from bot.router import Router


def build_router() -> Router:
    """The one router table: every feature, with help answering anything unclaimed. Help's
    menu shows only listed features; guardian casework has no menu entry, only a home part."""
    features = [
        speakup.FEATURE,
        events.FEATURE,
        mentoring.FEATURE,
        support.FEATURE,
        guardian.FEATURE,
    ]
    return Router([*features, help.build(features)], fallback=help.fallback(features))
