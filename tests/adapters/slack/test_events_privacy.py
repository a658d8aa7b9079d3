"""The events feature's privacy promises, each proved through the real signed Slack endpoint
(the fake Web API shows everything peerbot sent, and to whom) and the raw database file.

Joining an LGBTQ+ or disabled staff network can out someone, so who joined a network is
seen by nobody but that person (and the network's leads).

Each test also shows what it looks for is really there to find (the joiner sees their
membership, the rows hold it): a check that could never fail would prove nothing.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

from adapters.runtime import sqlite_path
from bot.conversation.payloads import encode
from bot.events.payloads import NetworkRef
from tests.adapters.slack.fake_api import Call
from tests.adapters.slack.test_endpoint import Slack, command
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.adapters.slack.test_networks import dm_from
from tests.adapters.slack.test_speakup_casework import press

OTHER_LEAD = "U07LEAD001"  # Kwame Mensah, who leads the Race Equality Network
CHANNEL = "C07LGBTQ"  # the LGBTQ+ Network's channel in examples/org.yml
COMING = ("U0COMING1", "U0COMING2", "U0COMING3")
NOSY = "U0NOSY001"


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
    assert (await slack.form(command("networks", user_id=NOSY, channel_id=CHANNEL))).status == 200
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
