"""Moments in replies: aware only, and shown on whoever's clock is asked for."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.conversation.codec import reply_from_json, reply_to_json
from bot.conversation.inbound import Actor, Platform
from bot.conversation.replies import Reply, When, moment, plain_text
from bot.organisation.zone import viewer_zone

AT = datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="without a zone"):
        When(label="Starts", at=datetime(2026, 7, 1, 13, 30))


def test_a_moment_is_shown_on_the_clock_asked_for_and_names_it() -> None:
    assert moment(AT, LONDON) == "Wed 1 Jul 2026 at 14:30 BST"
    assert plain_text(Reply(summary="x", blocks=(When(label="Starts", at=AT),))) == (
        "Starts: Wed 1 Jul 2026 at 13:30 UTC"
    )


def test_a_moment_round_trips_through_the_outbox_and_a_naive_one_does_not() -> None:
    reply = Reply(summary="x", blocks=(When(label="Starts", at=AT.astimezone(LONDON)),))
    stored = reply_to_json(reply)
    assert reply_from_json(stored) == reply
    stored["blocks"][0]["at"] = "2026-07-01T13:30:00"
    with pytest.raises(ValueError, match="without a zone"):
        reply_from_json(stored)


def test_the_viewers_own_zone_wins_over_the_organisations() -> None:
    def actor(zone: str | None) -> Actor:
        return Actor(platform=Platform.CONSOLE, tenant="local", user_id="u", time_zone=zone)

    assert viewer_zone(actor("America/New_York"), LONDON) == ZoneInfo("America/New_York")
    assert viewer_zone(actor(None), LONDON) is LONDON
    assert viewer_zone(actor("Not/AZone"), LONDON) is LONDON
