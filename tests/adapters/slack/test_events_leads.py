"""A lead creates an event in Slack: the real signed endpoint, the modal, the view submission."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select

from bot.conversation.inbound import PersonAddress, Platform
from bot.conversation.payloads import encode
from bot.events import places
from bot.events.payloads import OccurrenceRef
from storage.events import EventAudit, EventSeries, Occurrence, Signup
from tests.adapters.slack.test_endpoint import Slack, delivered
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.adapters.slack.test_speakup_casework import open_modal, press
from tests.scenarios.test_speak_up import table_dump

LEAD = "U07LEAD003"  # Sam Doyle, who leads the LGBTQ+ network in examples/org.yml
NURSE = "U0NURSE01"


def submitted(user: str, view: dict[str, Any], **answers: str | tuple[str, ...]) -> dict[str, Any]:
    """The modal sent back as Slack sends it: text, one pick, or ticks."""

    def element(value: str | tuple[str, ...]) -> dict[str, Any]:
        if isinstance(value, tuple):
            return {"type": "checkboxes", "selected_options": [{"value": v} for v in value]}
        if value.startswith("="):
            return {"type": "static_select", "selected_option": {"value": value[1:]}}
        return {"type": "plain_text_input", "value": value or None}

    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": user},
        "view": {
            "id": "V-new-event",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {"values": {k: {k: element(v)} for k, v in answers.items()}},
        },
    }


ANSWERS: dict[str, str | tuple[str, ...]] = {
    "title": "Pride month planning",
    "description": "",
    "start": "2026-12-03 12:30",
    "end": "2026-12-03 13:30",
    "place": "Room 4",
    "link": "",
    "capacity": "12",
    "waitlist": "=yes",
    "closes": "",
    "reminders": ("1440", "60"),
    "accessibility": "",
    "repeats": "=fortnightly",
    "until": "2027-01-31",
    "count": "",
}


async def stored(slack: Slack) -> tuple[list[EventSeries], list[Occurrence]]:
    async with slack.runtime.db.session(write=False) as session:
        series = list((await session.exec(select(EventSeries))).all())
        dates = list((await session.exec(select(Occurrence).order_by(col(Occurrence.slot)))).all())
    return series, dates


async def test_a_lead_creates_an_event_from_the_modal(slack: Slack) -> None:
    view = await open_modal(slack, press(LEAD, "events.lead_new"))
    assert view["callback_id"] == "events.lead_form"
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"][:3] == [
        "title",
        "description",
        "start",
    ]  # one network led: not asked

    wrong = submitted(LEAD, view, **{**ANSWERS, "end": "2026-12-03 11:00"})
    refused = await (await slack.interaction(wrong)).json()
    assert refused["response_action"] == "errors"
    assert refused["errors"] == {"end": "The end must be after the start."}
    assert await stored(slack) == ([], [])

    done = await (await slack.interaction(submitted(LEAD, view, **ANSWERS))).json()
    assert done["response_action"] == "update"
    assert "is saved" in json.dumps(done["view"])
    (series,), dates = await stored(slack)
    assert (series.network, series.title, series.capacity) == ("lgbtq", "Pride month planning", 12)
    assert series.rule.startswith("FREQ=WEEKLY;INTERVAL=2;UNTIL=")
    assert [d.starts_at.day for d in dates] == [3, 17, 31, 14, 28]


async def test_a_non_lead_pressing_new_event_is_refused_and_audited(slack: Slack) -> None:
    assert (await slack.interaction(press(NURSE, "events.lead_new"))).status == 200
    (said,) = await slack.api.wait_for("chat.postEphemeral")
    assert "Only the network's leads can do that." in json.dumps(said)
    assert slack.api.of("views.open") == []
    async with slack.runtime.db.session(write=False) as session:
        (audit,) = (await session.exec(select(EventAudit))).all()
    assert (audit.user_id, audit.action, audit.refused, audit.network) == (NURSE, "new", True, "")


async def test_an_announcement_in_the_channel_never_names_who_signed_up(slack: Slack) -> None:
    view = await open_modal(slack, press(LEAD, "events.lead_new"))
    await slack.interaction(submitted(LEAD, view, **ANSWERS))
    first = (await stored(slack))[1][0]
    assert first.id is not None
    coming = [
        PersonAddress(platform=Platform.SLACK, tenant="T1", user_id=f"U0COMING{n}")
        for n in range(3)
    ]
    async with slack.runtime.db.session() as session:
        for who in coming:
            await places.sign_up(session, first.id, who, now=slack.runtime.clock.now())
    ref = encode(OccurrenceRef(occurrence=first.id))

    snooping = press(NURSE, "events.lead_attendees", ref)
    assert (await slack.interaction(snooping)).status == 200
    (refused,) = await slack.api.wait_for("chat.postEphemeral")
    assert "U0COMING" not in json.dumps(refused)
    audit = await table_dump(slack.runtime, only="event_audit")
    assert f"'{NURSE}', 'attendees', '', None, 1" in audit  # no network, no date: nothing seen

    assert (await slack.interaction(press(LEAD, "events.lead_announce", ref))).status == 200
    await slack.api.wait_for("chat.postEphemeral", 2)
    await delivered(slack.runtime)
    (posted,) = [p for p in slack.api.of("chat.postMessage") if p["channel"] == "C07LGBTQ"]
    shown = json.dumps(posted)
    assert "Pride month planning" in shown and '"action_id": "events.signup#0"' in shown
    assert f'"value": "{ref}"' in shown
    assert "U0COMING" not in shown and "3" not in posted["text"]


async def test_a_lead_marks_who_came_and_downloads_the_attendance_in_their_dm(
    slack: Slack,
) -> None:
    """The modal ticks who came; the CSV goes to the lead's own DM, never the channel the
    list was opened in, and holds no access needs."""
    view = await open_modal(slack, press(LEAD, "events.lead_new"))
    await slack.interaction(submitted(LEAD, view, **ANSWERS))
    first = (await stored(slack))[1][0]
    assert first.id is not None
    coming = [
        PersonAddress(platform=Platform.SLACK, tenant="T1", user_id=f"U0COMING{n}")
        for n in range(2)
    ]
    async with slack.runtime.db.session() as session:
        for who in coming:
            await places.sign_up(session, first.id, who, now=slack.runtime.clock.now())
    ref = encode(OccurrenceRef(occurrence=first.id))

    mark = await open_modal(slack, press(LEAD, "events.lead_mark", ref))
    assert mark["callback_id"] == "events.lead_mark_form"
    (ticks,) = [b for b in mark["blocks"] if b["type"] == "input"]
    assert len(ticks["element"]["options"]) == 2
    ticked = ticks["element"]["options"][0]["value"]
    done = await (await slack.interaction(submitted(LEAD, mark, attended=(ticked,)))).json()
    assert done["response_action"] == "update"
    assert "Saved: 1 of 2 came." in json.dumps(done["view"])
    async with slack.runtime.db.session(write=False) as session:
        signups = (await session.exec(select(Signup).order_by(col(Signup.id)))).all()
    assert [s.attended for s in signups] == [True, False]

    in_channel = {**press(LEAD, "events.lead_export", ref), "channel": {"id": "C07LGBTQ"}}
    assert (await slack.interaction(in_channel)).status == 200
    (upload,) = await slack.api.wait_for("files.completeUploadExternal")
    assert upload["channel_id"] == "D0NEWDM"  # the lead's DM, opened for them
    assert [o["users"] for o in slack.api.of("conversations.open")] == [LEAD]
    (data,) = slack.api.uploaded.values()
    lines = data.decode().splitlines()
    assert len(lines) == 3 and "U0COMING0" in lines[1] and "U0COMING1" in lines[2]
    assert "needs" not in lines[0].lower()
