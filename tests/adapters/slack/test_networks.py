"""Joining a staff network through the real Slack endpoint: the answer is the joiner's
alone, another person's list never shows who joined, and the database keeps the joiner's
Slack ids and nothing else about them."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from adapters.runtime import sqlite_path
from tests.adapters.slack.test_endpoint import Slack, dm
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture

JOINER, JOINER_DM = "U0JOINER1", "D0JOINER1"
OTHER, OTHER_DM = "U0OTHER22", "D0OTHER22"


def dm_from(user: str, channel: str, text: str, event_id: str) -> dict[str, Any]:
    event = dm(text, event_id)
    event["event"] |= {"user": user, "channel": channel}
    return event


def button(blocks: list[dict[str, Any]], label: str, value: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == label and e["value"] == value
    )
    return found


async def test_joining_a_network_is_private_to_the_joiner(slack: Slack) -> None:
    assert (await slack.event(dm_from(JOINER, JOINER_DM, "networks", "EvN1"))).status == 200
    (listed,) = await slack.api.wait_for("chat.postMessage")
    assert listed["channel"] == JOINER_DM
    join = button(listed["blocks"], "Join", "lgbtq")
    assert join["action_id"].startswith("events.join#")

    press = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": JOINER},
        "channel": {"id": JOINER_DM},
        "trigger_id": "trig-n",
        "response_url": f"{slack.api.base_url}response.joined",
        "actions": [{**join, "block_id": "b"}],
    }
    assert (await slack.interaction(press)).status == 200
    (joined,) = await slack.api.wait_for("response.joined")
    assert joined["replace_original"] is True  # the list, up to date, where it was
    assert joined["text"].startswith(
        "You'll get a message when the LGBTQ+ Network posts a new event. "
        "Only you and the network's leads can see that you joined."
    )
    assert button(joined["blocks"], "Leave", "lgbtq")

    assert (await slack.event(dm_from(OTHER, OTHER_DM, "networks", "EvN2"))).status == 200
    _, theirs = await slack.api.wait_for("chat.postMessage", 2)
    assert theirs["channel"] == OTHER_DM
    seen = json.dumps(theirs)
    assert JOINER not in seen and "member" not in seen
    assert button(theirs["blocks"], "Join", "lgbtq")
    # peerbot never looked the joiner up: it keeps no name to leak
    assert not [c for c in slack.api.calls if c.method.startswith("users.")]

    runtime = slack.runtime
    await runtime.db.dispose()  # the file as it is on disk
    path = sqlite_path(runtime.settings.database_url)
    assert path is not None
    with sqlite3.connect(path) as raw:
        cursor = raw.execute("SELECT * FROM network_member")
        columns = [d[0] for d in cursor.description]
        stored = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    assert [{k: v for k, v in row.items() if k not in ("id", "joined_at")} for row in stored] == [
        {"network": "lgbtq", "platform": "slack", "tenant": "T1", "user_id": JOINER, "muted": 0}
    ]
    assert set(columns) == {"id", "network", "platform", "tenant", "user_id", "muted", "joined_at"}


LEAD, LEAD_DM = "U07LEAD003", "D07LEAD003"  # leads the LGBTQ+ Network in examples/org.yml


def pressing(user: str, channel: str, action: dict[str, Any], reply_to: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": user},
        "channel": {"id": channel},
        "trigger_id": "trig-m",
        "response_url": reply_to,
        "actions": [{**action, "block_id": "b"}],
    }


async def test_a_lead_sees_who_joined_their_network_privately(slack: Slack) -> None:
    await slack.event(dm_from(JOINER, JOINER_DM, "networks", "EvM1"))
    (listed,) = await slack.api.wait_for("chat.postMessage")
    join = button(listed["blocks"], "Join", "lgbtq")
    joined = f"{slack.api.base_url}response.joined"
    assert (await slack.interaction(pressing(JOINER, JOINER_DM, join, joined))).status == 200
    await slack.api.wait_for("response.joined")

    await slack.event(dm_from(LEAD, LEAD_DM, "networks", "EvM2"))
    _, theirs = await slack.api.wait_for("chat.postMessage", 2)
    assert theirs["channel"] == LEAD_DM
    assert "You lead this network. 1 person has joined." in json.dumps(theirs)
    see = button(theirs["blocks"], "See members", "lgbtq")
    members = f"{slack.api.base_url}response.members"
    assert (await slack.interaction(pressing(LEAD, LEAD_DM, see, members))).status == 200
    (shown,) = await slack.api.wait_for("response.members")
    assert shown["blocks"][0]["text"]["text"] == (
        f"*Members of the LGBTQ+ Network: 1*\n<@{JOINER}>"
    )
    # Slack names the member to the lead; peerbot looked nobody up and keeps no name
    assert not [c for c in slack.api.calls if c.method.startswith("users.")]
