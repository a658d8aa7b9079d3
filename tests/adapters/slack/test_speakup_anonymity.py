"""An anonymous concern through the real Slack endpoint leaves the reporter's id nowhere."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from tests.adapters.slack.test_endpoint import Slack, command, delivered
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.scenarios.test_speak_up import CONCERN, raw_file, table_dump

REPORTER = "U0REPORTER7"
REPORTER_DM = "D0REPORTERDM"
START = {
    "type": "block_actions",
    "team": {"id": "T1"},
    "user": {"id": REPORTER},
    "channel": {"id": REPORTER_DM},
    "trigger_id": "trig-9",
    "actions": [{"type": "button", "action_id": "speakup.start#0", "value": ""}],
}
"""The reporter presses "Raise a concern" in their DM with peerbot."""


async def speak_up_form(slack: Slack) -> dict[str, Any]:
    """The speak-up modal Slack was asked to open after START."""
    assert (await slack.interaction(START)).status == 200
    (opened,) = await slack.api.wait_for("views.open")
    view: dict[str, Any] = opened["view"]
    return view


def submission(view: dict[str, Any], way: str, *, reviewed: bool = True) -> dict[str, Any]:
    """The speak-up modal sent; `reviewed`: as sent from the check-your-answers step, whose
    private_metadata says so (see test_speakup_casework for that step itself)."""
    meta = json.loads(view["private_metadata"] or "{}") | ({"=reviewed": "yes"} if reviewed else {})

    def text(value: str | None) -> dict[str, Any]:
        return {"type": "plain_text_input", "value": value}

    def pick(value: str | None) -> dict[str, Any]:
        return {"type": "static_select", "selected_option": {"value": value} if value else None}

    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": REPORTER},
        "view": {
            "id": "V9",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": json.dumps(meta),
            "state": {
                "values": {
                    "what": {"what": text(CONCERN)},
                    "where_when": {"where_when": text(None)},
                    "categories": {
                        "categories": {
                            "type": "checkboxes",
                            "selected_options": [{"value": "worker_safety"}],
                        }
                    },
                    "detriment": {"detriment": pick(None)},
                    "outcome": {"outcome": text(None)},
                    "way": {"way": pick(way)},
                }
            },
        },
    }


async def test_anonymous_submission_through_slack_keeps_no_trace_of_the_reporter(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    view = await speak_up_form(slack)
    assert view["callback_id"] == "speakup.raise"

    answer = await slack.interaction(submission(view, "anonymous"))
    body = await answer.json()
    assert body["response_action"] == "update"  # the receipt replaces the form
    receipt = json.dumps(body["view"])
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", receipt)
    assert code and "passphrase" in receipt

    runtime = slack.runtime
    await delivered(runtime)  # the guardian alerts, to the fake Web API

    stored = await table_dump(runtime)
    assert code.group(0) in stored
    for trace in (REPORTER, REPORTER_DM, CONCERN):
        assert trace not in stored
        assert trace not in caplog.text
    about_case = [c for c in slack.api.calls if code.group(0) in json.dumps(c.params)]
    assert about_case, "guardians were alerted"
    for call in about_case:
        assert REPORTER not in json.dumps(call.params)
        assert REPORTER_DM not in json.dumps(call.params)
    assert slack.api.of("chat.postMessage") == [
        c.params for c in about_case if c.method == "chat.postMessage"
    ]  # nothing with the code went into the reporter's chat

    assert code.group(0) not in await table_dump(runtime, only="outbox")  # sealed, keys hashed
    raw = await raw_file(runtime)
    assert REPORTER.encode() not in raw and CONCERN.encode() not in raw


async def test_a_form_sent_with_the_concern_missing_is_refused_with_the_field(slack: Slack) -> None:
    await slack.form(command("speakup"))
    empty = submission(await speak_up_form(slack), "")
    empty["view"]["state"]["values"]["what"]["what"]["value"] = "   "
    body = await (await slack.interaction(empty)).json()
    assert body == {
        "response_action": "errors",
        "errors": {
            "what": "Please fill in “What happened?”",
            "way": "Please choose an answer to “How do you want to speak up?”",
        },
    }
