"""Staff and events in Slack, through real signed requests into the real app and a fake Web
API: the list shows times as Slack date tokens, Sign up answers at once with the invite
in the person's DM, and a Sign up pressed in a channel is answered to the presser alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from icalendar import Calendar
from sqlmodel import select

from bot.conversation.payloads import encode
from bot.conversation.sealing import open_sealed
from bot.events.payloads import OccurrenceRef
from bot.events.signup import NEEDS_QUESTION
from storage.events import Signup
from tests.adapters.slack.test_endpoint import Slack, command, dm
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.bot.events.places_fixtures import STARTS, an_event
from tests.bot.events.staff_fixtures import change


def press(slack: Slack, action: str, occurrence: int, channel: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U123"},
        "channel": {"id": channel},
        "trigger_id": "trig-ev",
        "response_url": f"{slack.api.base_url}response.reply",
        "actions": [
            {
                "type": "button",
                "action_id": f"{action}#0",
                "value": encode(OccurrenceRef(occurrence=occurrence)),
                "block_id": "b",
            }
        ],
    }


def invite_of(slack: Slack) -> Calendar:
    (data,) = slack.api.uploaded.values()
    return Calendar.from_ical(data)


async def test_slash_events_lists_with_a_date_token_privately(slack: Slack) -> None:
    occurrence = await an_event(slack.runtime.db)
    fields = command("events", response_url=f"{slack.api.base_url}response.reply")
    assert (await slack.form(fields)).status == 200
    (answer,) = await slack.api.wait_for("response.reply")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "Upcoming events"
    blocks = str(answer["blocks"])
    assert f"<!date^{int(STARTS.timestamp())}^" in blocks
    assert "Lunch and learn · LGBTQ+ Network · 2 places left" in blocks
    buttons = [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in buttons] == [("events.open#0", str(occurrence))]


async def test_signing_up_in_a_dm_confirms_in_place_and_sends_the_invite_there(
    slack: Slack,
) -> None:
    occurrence = await an_event(slack.runtime.db)
    assert (await slack.interaction(press(slack, "events.signup", occurrence, "D1"))).status == 200
    (answer,) = await slack.api.wait_for("response.reply")
    assert answer["replace_original"] is True
    assert answer["text"] == "You're going to Lunch and learn. We've sent you a calendar invite."
    (done,) = await slack.api.wait_for("files.completeUploadExternal")
    assert done["channel_id"] == "D1"
    assert done["files"][0]["title"] == "lunch-and-learn-2026-12-08.ics"
    calendar = invite_of(slack)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == STARTS
    assert slack.api.of("chat.postMessage") == []


async def test_sign_up_pressed_in_a_channel_answers_only_the_presser(slack: Slack) -> None:
    occurrence = await an_event(slack.runtime.db)
    action = press(slack, "events.signup", occurrence, "C07LGBTQ")
    assert (await slack.interaction(action)).status == 200
    (answer,) = await slack.api.wait_for("response.reply")
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False  # the announcement everyone sees is untouched
    assert answer["text"].startswith("You're going to Lunch and learn.")
    (done,) = await slack.api.wait_for("files.completeUploadExternal")
    (opened,) = slack.api.of("conversations.open")
    assert opened["users"] == "U123"
    assert done["channel_id"] == "D0NEWDM"  # the invite goes to their DM, not the channel
    assert slack.api.of("chat.postMessage") == []
    assert slack.api.of("chat.update") == []
    assert str(invite_of(slack)["METHOD"]) == "REQUEST"


async def test_cancelling_in_slack_sends_the_calendar_cancellation(slack: Slack) -> None:
    occurrence = await an_event(slack.runtime.db)
    await slack.interaction(press(slack, "events.signup", occurrence, "D1"))
    await slack.api.wait_for("files.completeUploadExternal")
    await slack.interaction(press(slack, "events.cancel", occurrence, "D1"))
    answers = await slack.api.wait_for("response.reply", 2)
    assert answers[1]["text"].startswith("You've cancelled your place at Lunch and learn.")
    await slack.api.wait_for("files.completeUploadExternal", 2)
    methods = [str(Calendar.from_ical(d)["METHOD"]) for d in slack.api.uploaded.values()]
    assert methods == ["REQUEST", "CANCEL"]


async def test_a_full_list_fits_one_slack_message(slack: Slack) -> None:
    """Ten events, each with a room and a link, and the words after them: none cut off."""
    for day in range(12):
        occurrence = await an_event(slack.runtime.db, starts=STARTS + timedelta(days=day))
        await change(
            slack.runtime.db, occurrence, place="Room 2", online_url="https://meet.example/a"
        )
    assert (await slack.event(dm("events"))).status == 200
    (posted,) = await slack.api.wait_for("chat.postMessage")
    blocks = posted["blocks"]
    assert len(blocks) <= 50
    assert sum(b["type"] == "actions" for b in blocks) == 10
    assert "These are the next 10 of 12." in str(blocks[-2:])


async def test_access_needs_go_through_a_modal_and_are_sealed_in_the_file(
    slack: Slack, sqlite_url: str
) -> None:
    occurrence = await an_event(slack.runtime.db)
    await slack.interaction(press(slack, "events.signup", occurrence, "D1"))
    (signed_up,) = await slack.api.wait_for("response.reply")
    labels = [
        e["text"]["text"]
        for b in signed_up["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert labels == ["Cancel my place", "Tell the organisers about access needs"]

    await slack.interaction(press(slack, "events.needs", occurrence, "D1"))
    (opened,) = await slack.api.wait_for("views.open")
    view = opened["view"]
    assert view["callback_id"] == "events.needs"
    (question,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert question["label"]["text"] == NEEDS_QUESTION and question["optional"] is True
    words = "Please keep a seat free by the door for my wheelchair"
    submission = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U123"},
        "view": {
            "id": "V9",
            "type": "modal",
            "callback_id": "events.needs",
            "private_metadata": view["private_metadata"],
            "state": {"values": {"needs": {"needs": {"type": "plain_text_input", "value": words}}}},
        },
    }
    answer = await (await slack.interaction(submission)).json()
    assert answer["response_action"] == "update"
    assert "Only the LGBTQ+ Network's leads will see it." in str(answer["view"]["blocks"])
    assert words not in str(slack.api.calls)  # never posted anywhere
    await slack.runtime.db.dispose()  # everything written out to the file itself
    path = Path(sqlite_url.partition(":///")[2])
    stored = b"".join(p.read_bytes() for p in path.parent.glob(f"{path.name}*"))
    assert words.encode() not in stored
    async with slack.runtime.db.session(write=False) as session:
        (sealed,) = (await session.exec(select(Signup.access_needs))).all()
    assert sealed is not None and slack.runtime.sealer is not None
    assert open_sealed(slack.runtime.sealer, sealed) == {"text": words}
