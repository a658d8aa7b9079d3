"""An event reminder reaches the person's Slack DM once, through the real runtime, outbox
worker and Slack sender into a fake Web API, however many times the tick runs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.conversation.inbound import PersonAddress, Platform
from bot.conversation.payloads import decode
from bot.conversation.tick import Ticker
from bot.events import places
from bot.events.payloads import OccurrenceRef
from tests.adapters.slack.test_endpoint import Slack, delivered, serve
from tests.bot.events.places_fixtures import an_event
from tests.fakes import FakeClock

NURSE = PersonAddress(platform=Platform.SLACK, tenant="T1", user_id="U123")


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[Slack]:
    async with serve(database_url) as slack:
        yield slack


def blocks(post: dict[str, Any]) -> list[dict[str, Any]]:
    raw = post["blocks"]
    return list(json.loads(raw) if isinstance(raw, str) else raw)


async def test_a_reminder_reaches_the_dm_once_though_the_tick_runs_twice(slack: Slack) -> None:
    runtime = slack.runtime
    clock = runtime.clock
    assert isinstance(clock, FakeClock)
    starts = clock.now() + timedelta(days=2)
    occurrence = await an_event(runtime.db, starts=starts)
    async with runtime.db.session() as session:
        signed = await places.sign_up(session, occurrence, NURSE, now=clock.now())
    assert signed.outcome == places.Outcome.GOING

    clock.advance(days=2, minutes=-60)  # the hour before
    for _ in range(2):  # this replica ticks twice, and another once
        await Ticker(runtime.db, runtime.router.due_sources, clock, sealer=runtime.sealer).tick()
    await Ticker(runtime.db, runtime.router.due_sources, clock, sealer=runtime.sealer).tick()
    await delivered(runtime)

    (post,) = slack.api.of("chat.postMessage")
    assert post["channel"] == "D0NEWDM"
    assert slack.api.of("conversations.open") == [{"users": "U123"}]
    assert post["text"] == "Reminder: Lunch and learn"
    rendered = json.dumps(blocks(post))
    assert "please cancel so someone else can go" in rendered
    assert f"<!date^{int(starts.timestamp())}^" in rendered  # in the nurse's own zone
    (button,) = [e for b in blocks(post) if b["type"] == "actions" for e in b["elements"]]
    assert button["text"]["text"] == "Cancel my place"
    assert button["action_id"].startswith("events.cancel#")
    assert decode(OccurrenceRef, button["value"]) == OccurrenceRef(occurrence=occurrence)
