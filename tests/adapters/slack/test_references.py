"""People's conversation references, taken from their own Slack traffic through the real app."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from storage.references import ConversationReference
from tests.adapters.slack.test_endpoint import Slack, delivered, dm
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.adapters.slack.test_speakup_anonymity import (
    REPORTER,
    REPORTER_DM,
    speak_up_form,
    submission,
)


async def references(slack: Slack) -> list[tuple[str, str, str, dict[str, Any]]]:
    async with slack.runtime.db.session(write=False) as session:
        rows = (await session.exec(select(ConversationReference))).all()
    return [(r.platform, r.tenant, r.user_id, r.reference) for r in rows]


async def test_a_dm_asking_for_help_records_where_that_person_is_reached(slack: Slack) -> None:
    assert (await slack.event(dm("help"))).status == 200
    await slack.api.wait_for("chat.postMessage")
    ((platform, tenant, user, reference),) = await references(slack)
    assert (platform, tenant, user) == ("slack", "T1", "U123")
    assert reference["kind"] == "conversation"
    assert (reference["channel_id"], reference["user_id"]) == ("D1", "U123")


async def test_a_message_in_a_channel_records_nothing(slack: Slack) -> None:
    mention = dm("help")
    mention["event"] |= {"type": "app_mention", "channel_type": "channel", "channel": "C42"}
    assert (await slack.event(mention)).status == 200
    await slack.api.wait_for("chat.postEphemeral")
    assert await references(slack) == []


async def test_speaking_up_anonymously_in_a_dm_records_nothing(slack: Slack) -> None:
    speakup = dm("speakup")
    speakup["event"] |= {"user": REPORTER, "channel": REPORTER_DM}
    assert (await slack.event(speakup)).status == 200
    await slack.api.wait_for("chat.postMessage")
    view = await speak_up_form(slack)
    answer = await slack.interaction(submission(view, "anonymous"))
    assert "SU-" in json.dumps(await answer.json())
    await delivered(slack.runtime)
    assert await references(slack) == []
