"""What the events feature sends on its own reaches people's Slack DMs once, through the
real runtime, outbox worker and Slack sender into a fake Web API: a reminder however many
times the tick runs, a lead's change or cancellation with the invite that replaces or
takes back the one people have, and a new event to the members who have not muted it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlmodel import col, select

from bot.conversation.inbound import PersonAddress, Platform
from bot.conversation.payloads import decode, encode
from bot.conversation.tick import Ticker
from bot.events import invite, places
from bot.events.payloads import OccurrenceRef
from storage.events import Occurrence
from tests.adapters.reminders import an_hour_before
from tests.adapters.slack.test_endpoint import Slack, delivered, serve
from tests.adapters.slack.test_events_leads import ANSWERS, LEAD, submitted
from tests.adapters.slack.test_networks import button, dm_from
from tests.adapters.slack.test_speakup_casework import open_modal, press
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
    occurrence, starts = await an_hour_before(runtime, NURSE)
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

    pressed = {**press("U123", "events.cancel", button["value"]), "channel": {"id": "D0NEWDM"}}
    assert (await slack.interaction(pressed)).status == 200  # "I can't make it" from the DM
    await slack.api.wait_for("chat.postMessage", 2)
    async with runtime.db.session(write=False) as session:
        mine = await places.signup_of(session, occurrence, NURSE)
    assert mine is not None and mine.status == "cancelled"


async def test_a_leads_cancellation_reaches_everyone_coming_with_a_cancelling_invite(
    slack: Slack,
) -> None:
    """The lead cancels one date through the real modal; the nurse going is told in their
    DM once, with the .ics that takes it out of their calendar; the one waiting is told
    without one."""
    view = await open_modal(slack, press(LEAD, "events.lead_new"))
    await slack.interaction(submitted(LEAD, view, **{**ANSWERS, "capacity": "1"}))
    async with slack.runtime.db.session(write=False) as session:
        query = select(Occurrence).order_by(col(Occurrence.slot))
        first = (await session.exec(query)).first()
    assert first is not None and first.id is not None
    waiting = PersonAddress(platform=Platform.SLACK, tenant="T1", user_id="U0WAITS01")
    async with slack.runtime.db.session() as session:
        for who in (NURSE, waiting):
            await places.sign_up(session, first.id, who, now=slack.runtime.clock.now())
    ref = encode(OccurrenceRef(occurrence=first.id))

    form = await open_modal(slack, press(LEAD, "events.lead_cancel_date", ref))
    for _ in range(2):  # a double tap on the modal's button
        done = await (await slack.interaction(submitted(LEAD, form, sure="=yes"))).json()
        assert done["response_action"] == "update"
    await delivered(slack.runtime)

    told = [p for p in slack.api.of("chat.postMessage") if "is cancelled" in p["text"]]
    assert [p["text"] for p in told] == ["Pride month planning is cancelled"] * 2
    assert [o["users"] for o in slack.api.of("conversations.open")][-2:] == [
        "U123",
        "U0WAITS01",
    ]
    (upload,) = slack.api.of("files.completeUploadExternal")
    assert upload["channel_id"] == "D0NEWDM"
    (sent,) = slack.api.uploaded.values()
    calendar = Calendar.from_ical(sent)
    (event,) = calendar.walk("VEVENT")
    assert (calendar["METHOD"], event["STATUS"]) == ("CANCEL", "CANCELLED")
    assert event["SEQUENCE"] > 0  # above the sign-up's invite, so it takes that one back


async def test_a_new_event_reaches_members_who_joined_and_not_those_who_muted(
    slack: Slack,
) -> None:
    """Two people join the LGBTQ+ network with the real Join button, one mutes it with the
    real Mute button; the lead creates an event through the real modal (twice, as a double
    tap): the other hears of it once, in their DM, with a button that opens its first date."""
    for user in (JOINER, MUTER):
        await press_in_networks(slack, user, "Join")
    await press_in_networks(slack, MUTER, "Mute")
    view = await open_modal(slack, press(LEAD, "events.lead_new"))
    for _ in range(2):
        await slack.interaction(submitted(LEAD, view, **ANSWERS))
    await delivered(slack.runtime)

    (told,) = [p for p in slack.api.of("chat.postMessage") if p["text"].startswith("New event")]
    assert told["text"] == "New event: Pride month planning"
    assert told["channel"] == f"D0{JOINER}"  # the DM they pressed Join in
    async with slack.runtime.db.session(write=False) as session:
        first = (await session.exec(select(Occurrence).order_by(col(Occurrence.slot)))).first()
    assert first is not None and first.id is not None
    (opening,) = [e for b in blocks(told) if b["type"] == "actions" for e in b["elements"]]
    assert opening["action_id"].startswith("events.open#")
    assert decode(OccurrenceRef, opening["value"]) == OccurrenceRef(occurrence=first.id)
    assert "“networks” to mute" in json.dumps(blocks(told), ensure_ascii=False)


JOINER, MUTER = "U0JOINER1", "U0MUTER22"


async def press_in_networks(slack: Slack, user: str, label: str) -> None:
    """`networks` in their DM, then the button `label` on the LGBTQ+ network."""
    before = len(slack.api.of("chat.postMessage"))
    sent = dm_from(user, f"D0{user}", "networks", f"Ev{user}{label}")
    assert (await slack.event(sent)).status == 200
    listed = (await slack.api.wait_for("chat.postMessage", before + 1))[-1]
    found = button(listed["blocks"], label, "lgbtq")
    pressed = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": user},
        "channel": {"id": f"D0{user}"},
        "trigger_id": f"trig-{user}-{label}",
        "response_url": f"{slack.api.base_url}response.{user}.{label}",
        "actions": [{**found, "block_id": "b"}],
    }
    assert (await slack.interaction(pressed)).status == 200
    await slack.api.wait_for(f"response.{user}.{label}")


async def test_a_moved_date_reaches_those_coming_with_an_invite_that_replaces_theirs(
    slack: Slack,
) -> None:
    """The lead moves one date through the real modal: the nurse going gets the new time
    and an invite with the same UID and a higher SEQUENCE; and the hour before the new
    time, the reminder comes for it."""
    view = await open_modal(slack, press(LEAD, "events.lead_new"))
    await slack.interaction(submitted(LEAD, view, **ANSWERS))
    async with slack.runtime.db.session(write=False) as session:
        first = (await session.exec(select(Occurrence).order_by(col(Occurrence.slot)))).first()
    assert first is not None and first.id is not None
    async with slack.runtime.db.session() as session:
        await places.sign_up(session, first.id, NURSE, now=slack.runtime.clock.now())
    ref = encode(OccurrenceRef(occurrence=first.id))

    form = await open_modal(slack, press(LEAD, "events.lead_move", ref))
    answers = {"start": "2026-12-04 15:00", "end": "2026-12-04 16:00", "place": "Room 9"}
    done = await (await slack.interaction(submitted(LEAD, form, **answers))).json()
    assert done["response_action"] == "update"
    await delivered(slack.runtime)

    (told,) = [p for p in slack.api.of("chat.postMessage") if "has changed" in p["text"]]
    assert told["text"] == "Pride month planning has changed" and told["channel"] == "D0NEWDM"
    moved = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert f"<!date^{int(moved.timestamp())}^" in json.dumps(blocks(told))
    assert "Room 9" in json.dumps(blocks(told))
    (sent,) = slack.api.uploaded.values()
    calendar = Calendar.from_ical(sent)
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST" and event["SEQUENCE"] > 0  # replaces the first
    assert event["UID"] == invite.uid(first.series_id, first.slot, invite.DOMAIN)
    assert event.decoded("DTSTART") == moved

    clock = slack.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.current = moved - timedelta(minutes=59)
    await Ticker(slack.runtime.db, slack.runtime.router.due_sources, clock).tick()
    await delivered(slack.runtime)
    reminded = [p for p in slack.api.of("chat.postMessage") if p["text"].startswith("Reminder")]
    assert [p["text"] for p in reminded] == ["Reminder: Pride month planning"]
