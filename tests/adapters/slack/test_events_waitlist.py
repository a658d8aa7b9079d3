"""The waitlist, a double press and the Home tab in Slack, through real signed requests
into the real app and the fake Web API: a freed place is offered in the next person's DM
and taken with its button; pressing Sign up twice gives one place; the Home tab shows a
person their next events and a lead their tools."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from icalendar import Calendar
from sqlmodel import col, select

from bot.conversation.payloads import encode
from bot.events.payloads import OccurrenceRef
from storage.events import Occurrence, Signup, SignupStatus
from tests.adapters.slack.test_endpoint import Slack, delivered
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.adapters.slack.test_speakup_casework import press
from tests.bot.events.places_fixtures import an_event

FIRST, NEXT = "U0AAA0001", "U0BBB0002"
LEAD = "U07LEAD003"  # Sam Doyle, who leads the LGBTQ+ network in examples/org.yml


def buttons(posted: dict[str, Any]) -> list[tuple[str, str]]:
    blocks = posted["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return [
        (e["text"]["text"], e["action_id"])
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]


async def statuses(slack: Slack) -> dict[str, str]:
    async with slack.runtime.db.session(write=False) as session:
        rows = (await session.exec(select(Signup).order_by(col(Signup.id)))).all()
    return {row.user_id: row.status for row in rows}


async def taken(slack: Slack, occurrence: int) -> int:
    async with slack.runtime.db.session(write=False) as session:
        found = await session.get(Occurrence, occurrence)
        assert found is not None
        return found.taken


async def test_a_freed_place_is_offered_in_the_next_persons_dm_and_taken_there(
    slack: Slack,
) -> None:
    occurrence = await an_event(slack.runtime.db, capacity=1)
    ref = encode(OccurrenceRef(occurrence=occurrence))
    for n, user in enumerate((FIRST, NEXT), start=1):
        await slack.interaction(press(user, "events.signup", ref))
        await slack.api.wait_for("chat.postMessage", n)  # each answered in their DM
    assert await statuses(slack) == {FIRST: SignupStatus.GOING, NEXT: SignupStatus.WAITING}

    await slack.interaction(press(FIRST, "events.cancel", ref))
    await slack.api.wait_for("chat.postMessage", 3)  # "You've cancelled your place"
    await delivered(slack.runtime)
    (offer,) = [p for p in slack.api.of("chat.postMessage") if "place has come up" in p["text"]]
    assert offer["channel"] == f"D0{NEXT}"  # their own DM, where they pressed Sign up
    assert [action for _, action in buttons(offer)] == ["events.claim#0", "events.decline#1"]
    assert await statuses(slack) == {FIRST: SignupStatus.CANCELLED, NEXT: SignupStatus.OFFERED}

    uploads = len(slack.api.of("files.completeUploadExternal"))
    assert (await slack.interaction(press(NEXT, "events.claim", ref))).status == 200
    done = await slack.api.wait_for("files.completeUploadExternal", uploads + 1)
    assert done[-1]["channel_id"] == f"D0{NEXT}"
    assert await statuses(slack) == {FIRST: SignupStatus.CANCELLED, NEXT: SignupStatus.GOING}
    assert await taken(slack, occurrence) == 1
    (sent,) = [d for d in slack.api.uploaded.values() if b"METHOD:REQUEST" in d][-1:]
    assert str(Calendar.from_ical(sent)["METHOD"]) == "REQUEST"


async def test_sign_up_pressed_twice_at_once_gives_one_place(slack: Slack) -> None:
    occurrence = await an_event(slack.runtime.db, capacity=5)
    ref = encode(OccurrenceRef(occurrence=occurrence))
    twice = [slack.interaction(press(FIRST, "events.signup", ref)) for _ in range(2)]
    assert [r.status for r in await asyncio.gather(*twice)] == [200, 200]
    await slack.api.wait_for("files.completeUploadExternal")
    await delivered(slack.runtime)
    await asyncio.sleep(0.3)  # any second invite would be on its way by now
    assert await statuses(slack) == {FIRST: SignupStatus.GOING}
    assert await taken(slack, occurrence) == 1
    assert len(slack.api.of("files.completeUploadExternal")) == 1  # one invite, not two


async def home(slack: Slack, user: str, n: int) -> str:
    event = {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": f"EvHome{n}",
        "event": {"type": "app_home_opened", "user": user, "tab": "home"},
    }
    assert (await slack.event(event)).status == 200
    published = await slack.api.wait_for("views.publish", n)
    assert published[-1]["user_id"] == user
    return json.dumps(published[-1]["view"]["blocks"])


async def test_the_home_tab_shows_my_next_events_and_a_lead_their_tools(slack: Slack) -> None:
    occurrence = await an_event(slack.runtime.db, capacity=5)
    await slack.interaction(
        press(FIRST, "events.signup", encode(OccurrenceRef(occurrence=occurrence)))
    )
    await slack.api.wait_for("chat.postMessage")
    nurse = await home(slack, FIRST, 1)
    assert "Your next events" in nurse and "Lunch and learn" in nurse
    assert "events.lead_new" not in nurse and "events.lead_manage" not in nurse
    lead = await home(slack, LEAD, 2)
    assert "events.lead_new" in lead and "events.lead_manage" in lead
    assert FIRST not in lead  # a lead's home names nobody: who is coming is asked for
