"""The events feature's privacy promises, each proved through the real signed Slack endpoint
(the fake Web API shows everything peerbot sent, and to whom) and the raw database file.

Signing up for an LGBTQ+ or disabled staff network event can out someone, so:
(a) who signed up is shown to nobody but the network's leads: other staff see counts only;
(b) who joined a network is seen by nobody but that person (and the network's leads), and a
    new event is told to each member alone;
(c) an announcement in a network's channel never lists who signed up, however many did;
(d) access needs are sealed at rest: the words typed are nowhere in the database file.

Each test also shows what it looks for is really there to find (the lead sees the names,
the joiner sees their membership, the sealed words open to the typed ones): a check that
could never fail would prove nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from typing import Any

import pytest

from adapters.runtime import sqlite_path
from bot.conversation.payloads import encode
from bot.conversation.sealing import open_sealed
from bot.events.payloads import NetworkRef, OccurrenceRef
from tests.adapters.slack.fake_api import Call
from tests.adapters.slack.test_endpoint import Slack, command, delivered
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.adapters.slack.test_events_leads import ANSWERS, submitted
from tests.adapters.slack.test_networks import dm_from
from tests.adapters.slack.test_speakup_casework import open_modal, press
from tests.bot.events.places_fixtures import an_event
from tests.scenarios.test_speak_up import raw_file

LEAD = "U07LEAD003"  # Sam Doyle, who leads the LGBTQ+ Network in examples/org.yml
OTHER_LEAD = "U07LEAD001"  # Kwame Mensah, who leads the Race Equality Network
CHANNEL = "C07LGBTQ"  # the LGBTQ+ Network's channel in examples/org.yml
COMING = ("U0COMING1", "U0COMING2", "U0COMING3")
NOSY = "U0NOSY001"
NEEDS = "I lip-read, so please keep me a seat near the front with a clear view of whoever speaks"


def dm(user: str) -> str:
    """The DM channel test_speakup_casework.press gives each person."""
    return f"D0{user}"


def in_channel(user: str, action: str, value: str, answer_to: str) -> dict[str, Any]:
    """A button pressed on a message in the network's channel, as Slack sends it: with the
    response_url that answers the presser."""
    return {
        **press(user, action, value),
        "channel": {"id": CHANNEL},
        "response_url": f"{answer_to}response.{user}",
    }


def seen_by(slack: Slack, user: str) -> list[Call]:
    """Every call to the fake Web API that put something in front of `user` alone: their
    DM, an ephemeral message, their Home tab, an answer to their response_url."""
    return [
        c
        for c in slack.api.calls
        if c.params.get("channel") == dm(user)
        or c.params.get("user") == user
        or c.params.get("user_id") == user
        or c.method == f"response.{user}"
    ]


def public(slack: Slack) -> list[Call]:
    """What everyone in the network's channel sees: all sent there but ephemeral answers."""
    return [
        c
        for c in slack.api.calls
        if c.params.get("channel") == CHANNEL and c.method != "chat.postEphemeral"
    ]


def shown(calls: list[Call]) -> str:
    return json.dumps([c.params for c in calls])


async def said(slack: Slack, user: str, text: str, event_id: str) -> list[Call]:
    """`user` types `text` in their DM with peerbot; what peerbot posted back."""
    before = len(slack.api.of("chat.postMessage"))
    assert (await slack.event(dm_from(user, dm(user), text, event_id))).status == 200
    await slack.api.wait_for("chat.postMessage", before + 1)
    return [c for c in seen_by(slack, user) if c.method == "chat.postMessage"][-1:]


async def pressed(slack: Slack, user: str, action: str, value: str) -> Call:
    """`user` presses a button in their DM; peerbot's answer there."""
    before = len(seen_by(slack, user))
    assert (await slack.interaction(press(user, action, value))).status == 200
    async with asyncio.timeout(5), slack.api.changed:
        await slack.api.changed.wait_for(lambda: len(seen_by(slack, user)) > before)
    return seen_by(slack, user)[-1]


async def signed_up_in_dms(slack: Slack, occurrence: int) -> str:
    ref = encode(OccurrenceRef(occurrence=occurrence))
    for user in COMING:
        answer = await pressed(slack, user, "events.signup", ref)
        assert "going" in shown([answer]) or "waitlist" in shown([answer])
    return ref


async def test_other_staff_see_how_many_places_are_taken_never_who_took_them(
    slack: Slack,
) -> None:
    occurrence = await an_event(slack.runtime.db, capacity=2, network="lgbtq")
    ref = await signed_up_in_dms(slack, occurrence)  # two going, one waiting
    for user in COMING:  # each sees their own place, and nobody else's
        others = [u for u in COMING if u != user]
        assert not [u for u in others if u in shown(seen_by(slack, user))]

    before = len(slack.api.calls)
    for n, text in enumerate(("events", "events lgbtq", "events mine")):
        await said(slack, NOSY, text, f"EvNosy{n}")
    card = await pressed(slack, NOSY, "events.open", ref)
    assert "Full" in shown([card]) and "join the waitlist" in shown([card]).lower()
    home = {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": "EvNosyHome",
        "event": {"type": "app_home_opened", "user": NOSY, "tab": "home"},
    }
    assert (await slack.event(home)).status == 200
    await slack.api.wait_for("views.publish")
    await pressed(slack, OTHER_LEAD, "events.open", ref)  # a lead, of another network
    refused = await pressed(slack, OTHER_LEAD, "events.lead_attendees", ref)
    assert "Only the network's leads can do that." in shown([refused])
    looked = slack.api.calls[before:]
    assert len(looked) >= 7
    assert not [u for u in COMING if u in shown(looked)]

    listed = await pressed(slack, LEAD, "events.lead_attendees", ref)
    assert all(u in shown([listed]) for u in COMING)  # what the others never saw is real


async def test_membership_is_seen_by_the_member_alone(slack: Slack) -> None:
    joiner, shy = COMING[0], COMING[1]
    lgbtq = encode(NetworkRef(network="lgbtq"))
    answer = await pressed(slack, joiner, "events.join", lgbtq)
    assert "Only you and the network's leads can see that you joined." in shown([answer])
    # joining from a button others can see (in the network's channel) answers the joiner alone
    url = slack.api.base_url
    joined = in_channel(shy, "events.join", encode(NetworkRef(network="disabled-staff")), url)
    assert (await slack.interaction(joined)).status == 200
    (private,) = await slack.api.wait_for(f"response.{shy}")
    assert private["response_type"] == "ephemeral" and not private.get("replace_original")

    mine = await said(slack, joiner, "networks", "EvJoiner")
    assert "You're a member" in shown(mine)  # it is there to see, for them
    before = len(slack.api.calls)
    await said(slack, NOSY, "networks", "EvNosy")
    await said(slack, OTHER_LEAD, "networks", "EvOtherLead")
    in_the_channel = command("peerbot", "networks", user_id=NOSY, channel_id=CHANNEL)
    assert (await slack.form(in_the_channel)).status == 200
    await slack.api.wait_for("chat.postEphemeral")
    looked = slack.api.calls[before:]
    assert not [u for u in (joiner, shy) if u in shown(looked)]
    assert "You're a member" not in shown(looked)
    assert not public(slack)  # the channel's own messages: none
    assert not [c for c in slack.api.calls if c.method.startswith("users.")]  # no names looked up

    path = sqlite_path(slack.runtime.settings.database_url)
    assert path is not None
    await slack.runtime.db.dispose()
    with sqlite3.connect(path) as raw:
        stored = raw.execute("SELECT network, platform, user_id FROM network_member").fetchall()
    assert sorted(stored) == [("disabled-staff", "slack", shy), ("lgbtq", "slack", joiner)]


async def test_a_new_event_is_told_to_each_member_alone(slack: Slack) -> None:
    """Members hear of a new event one by one, each in their own DM: no message, and nothing
    in the network's channel, says who else is a member."""
    lgbtq = encode(NetworkRef(network="lgbtq"))
    for user in COMING:
        await pressed(slack, user, "events.join", lgbtq)
    view = await open_modal(slack, press(LEAD, "events.lead_new"))
    await slack.interaction(submitted(LEAD, view, **ANSWERS))
    await delivered(slack.runtime)

    told = [p for p in slack.api.of("chat.postMessage") if p["text"].startswith("New event")]
    assert sorted(p["channel"] for p in told) == [dm(u) for u in COMING]  # each in their DM
    for message in told:  # the message's own key names its reader; nobody else is named
        others = [u for u in COMING if dm(u) != message["channel"]]
        assert not [u for u in others if u in json.dumps(message)]
    assert not public(slack)


async def test_the_channel_never_learns_who_signed_up(slack: Slack) -> None:
    occurrence = await an_event(slack.runtime.db, capacity=2, network="lgbtq")
    ref = encode(OccurrenceRef(occurrence=occurrence))
    await pressed(slack, LEAD, "events.lead_announce", ref)
    await delivered(slack.runtime)
    (announced,) = [p for p in slack.api.of("chat.postMessage") if p["channel"] == CHANNEL]
    sign_up = next(e for b in announced["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert sign_up["action_id"].startswith("events.signup") and sign_up["value"] == ref

    for user in COMING:  # two places, then the waitlist: each presses in the channel
        url = slack.api.base_url
        assert (await slack.interaction(in_channel(user, "events.signup", ref, url))).status == 200
        (answer,) = await slack.api.wait_for(f"response.{user}")
        assert answer["response_type"] == "ephemeral" and not answer.get("replace_original")
    assert "You're going" in json.dumps(slack.api.of(f"response.{COMING[0]}"))

    await pressed(slack, LEAD, "events.lead_announce", ref)  # once more, after the sign-ups
    await delivered(slack.runtime)
    everyone = public(slack)
    assert everyone and all(c.method == "chat.postMessage" for c in everyone)
    assert not [u for u in COMING if u in shown(everyone)]
    assert not [c for c in slack.api.calls if c.method == "chat.update"]


async def test_access_needs_are_sealed_at_rest_and_read_by_the_lead_alone(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    nurse = COMING[0]
    occurrence = await an_event(slack.runtime.db, capacity=5, network="lgbtq")
    ref = encode(OccurrenceRef(occurrence=occurrence))
    await pressed(slack, nurse, "events.signup", ref)
    view = await open_modal(slack, press(nurse, "events.needs", ref))
    asked = json.dumps(view)
    assert "Is there anything we can do to make this event work for you?" in asked
    submitted = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": nurse},
        "view": {
            "id": "V-needs",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {"values": {"needs": {"needs": {"type": "plain_text_input", "value": NEEDS}}}},
        },
    }
    done = await (await slack.interaction(submitted)).json()
    assert "Only the LGBTQ+ Network's leads will see it." in json.dumps(done)

    sealer = slack.runtime.sealer
    assert sealer is not None
    path = sqlite_path(slack.runtime.settings.database_url)
    assert path is not None
    stored = await raw_file(slack.runtime)  # every page of the file and its log (then reopened)
    for words in (NEEDS, "lip-read", "clear view of whoever speaks"):
        assert words.encode() not in stored
        assert words.encode("utf-16-le") not in stored
    with sqlite3.connect(path) as raw:
        (sealed,) = raw.execute("SELECT access_needs FROM event_signup").fetchone()
    assert sealed and "lip-read" not in sealed
    assert NEEDS in open_sealed(sealer, sealed).values()

    refused = await pressed(slack, NOSY, "events.lead_attendees", ref)
    assert NEEDS not in shown([refused])
    listed = await pressed(slack, LEAD, "events.lead_attendees", ref)
    assert NEEDS in shown([listed])  # the lead reads them: they were kept, and can be opened
    assert [c for c in slack.api.calls if NEEDS in json.dumps(c.params)] == [listed]
    assert NEEDS not in caplog.text and "lip-read" not in caplog.text
