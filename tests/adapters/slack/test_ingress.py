"""What happens to a request at /slack/events before a listener runs: hostile, broken or late."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote_plus

import pytest

from bot.conversation.actions import ActionId
from bot.conversation.inbound import Command, FormSubmitted
from bot.conversation.replies import Reply
from bot.conversation.services import Services
from tests.adapters.slack.test_endpoint import Slack, command, dm, serve, unlisted
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.adapters.slack.test_speakup_anonymity import REPORTER, speak_up_form, submission
from tests.scenarios.test_speak_up import CONCERN


@pytest.fixture
async def loud_slack(sqlite_url: str, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Slack]:
    """Every logger at DEBUG from before the app exists, as an operator chasing a fault would
    run it: libraries take their level when they are built."""
    caplog.set_level(logging.DEBUG)
    async with serve(sqlite_url) as slack:
        yield slack


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything any logger wrote: messages, their arguments and any traceback."""
    return "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''} {r.exc_info or ''}"
        for r in caplog.records
    )


def no_trouble_logged(caplog: pytest.LogCaptureFixture) -> None:
    trouble = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert trouble == [], [(r.name, r.getMessage()) for r in trouble]


# --- anonymity: nothing about a refused request reaches the log ------------------------------


async def test_a_late_speak_up_submission_leaves_no_trace_in_the_log(
    loud_slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    view = await speak_up_form(loud_slack)
    late = await loud_slack.interaction(
        submission(view, "anonymous"), timestamp=int(time.time()) - 6 * 60
    )
    assert late.status == 401
    text = logged(caplog)
    assert "slack: request refused" in text  # the capture works: the refusal itself is logged
    for trace in (CONCERN, quote_plus(CONCERN), json.dumps(CONCERN), REPORTER):
        assert trace not in text


async def test_an_unsigned_megabyte_writes_almost_nothing_to_the_log(
    loud_slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    for body in ("x" * 1_000_000, json.dumps({"type": "event_callback", "x": "y" * 1_000_000})):
        response = await loud_slack.post(body, "application/json", secret="not-the-secret")
        assert response.status in {401, 413}
    about_requests = [r for r in caplog.records if not r.name.startswith("aiosqlite")]
    assert len("".join(r.getMessage() for r in about_requests)) < 1024


# --- bad input without a valid signature: refused before anything parses it -----------------

DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (DEEP, {}),
        (
            '{"type": "url_verification", "challenge": "x"}',
            {"Content-Type": "application/json; charset=x-bogus"},
        ),
        (json.dumps(dm("help")), {"X-Slack-Request-Timestamp": "abc"}),
        (json.dumps(dm("help")), {"X-Slack-Request-Timestamp": ""}),
        (json.dumps(dm("help")), {"X-Slack-Request-Timestamp": "1e9"}),
        (json.dumps(dm("help")), {"X-Slack-Request-Timestamp": "١٢٣"}),
        (json.dumps(dm("help")), {"X-Slack-Signature": "v0=é"}),
        (json.dumps(dm("help")), {"X-Slack-Signature": ""}),
    ],
    ids=[
        "deep",
        "bogus-charset",
        "ts-abc",
        "ts-empty",
        "ts-1e9",
        "ts-arabic",
        "sig-utf8",
        "sig-empty",
    ],
)
async def test_unsigned_bad_input_is_refused_without_a_traceback(
    slack: Slack, caplog: pytest.LogCaptureFixture, body: str, headers: dict[str, str]
) -> None:
    response = await slack.post(body, "application/json", secret="not-the-secret", headers=headers)
    assert response.status in {400, 401}
    no_trouble_logged(caplog)
    assert slack.api.calls == []


async def test_slacks_signed_certificate_check_is_answered(slack: Slack) -> None:
    assert (await slack.form({"ssl_check": "1", "token": "x"})).status == 200
    assert (await slack.form({"ssl_check": "yes"})).status == 400


async def test_a_request_without_slack_headers_is_refused(slack: Slack) -> None:
    response = await slack.client.post("/slack/events", data=json.dumps(dm("help")).encode())
    assert response.status == 401


# --- bad input with a valid signature: typed payloads, one place, 400 ------------------------


def nested(depth: int) -> str:
    return '{"a": ' * depth + '{"type": "block_actions"}' + "}" * depth


def with_event(event: Any) -> dict[str, Any]:
    return {**dm("help"), "event": event}


PRESS = {
    "type": "block_actions",
    "team": {"id": "T1"},
    "user": {"id": "U123"},
    "channel": {"id": "D1"},
    "actions": [{"type": "static_select", "action_id": "help.open", "selected_option": [1]}],
}
SUBMIT = {
    "type": "view_submission",
    "team": {"id": "T1"},
    "user": {"id": "U123"},
    "view": {"id": "V1", "type": "modal", "callback_id": "ask.form", "state": {"values": {}}},
}


def without(payload: dict[str, Any], *path: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(payload))
    target = copy
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy


SIGNED_EVENTS = {
    "event-string": with_event("message"),
    "event-list": with_event([1, 2]),
    "event-int": with_event(7),
    "event-null": with_event(None),
    "event-id-surrogate": '{"type": "event_callback", "team_id": "T1", "event_id": "\\ud800",'
    ' "event": {"type": "message", "channel": "D1", "user": "U1", "text": "hi"}}',
    "event-id-int": {**dm("help"), "event_id": 5},
    "user-dict": with_event({**dm("help")["event"], "user": {"id": 5}}),
    "text-list": with_event({**dm("help")["event"], "text": ["help"]}),
    "no-type": {"token": "x", "event": {"type": "message"}},
    "unknown-type": {"type": "app_rate_limited", "team_id": "T1"},
}
SIGNED_INTERACTIONS = {
    "nested-1000": nested(1000),
    "selected-option-list": PRESS,
    "actions-empty": {**PRESS, "actions": []},
    "actions-dict": {**PRESS, "actions": {"0": {}}},
    "submission-without-state": without(SUBMIT, "view", "state"),
    "submission-without-user": without(SUBMIT, "user"),
    "submission-values-list": {**SUBMIT, "view": {**SUBMIT["view"], "state": {"values": []}}},
    "team-string": {**SUBMIT, "team": "T1"},
}


@pytest.mark.parametrize("payload", SIGNED_EVENTS.values(), ids=SIGNED_EVENTS.keys())
async def test_a_signed_event_not_shaped_like_slacks_is_a_400(
    slack: Slack, caplog: pytest.LogCaptureFixture, payload: Any
) -> None:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    response = await slack.post(body, "application/json")
    assert response.status == 400
    no_trouble_logged(caplog)
    assert (await slack.event(dm("support", event_id="EvAfter"))).status == 200


@pytest.mark.parametrize("payload", SIGNED_INTERACTIONS.values(), ids=SIGNED_INTERACTIONS.keys())
async def test_a_signed_interaction_not_shaped_like_slacks_is_a_400(
    slack: Slack, caplog: pytest.LogCaptureFixture, payload: Any
) -> None:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    response = await slack.form({"payload": body})
    assert response.status == 400
    no_trouble_logged(caplog)


@pytest.mark.parametrize(
    "fields",
    [
        {"text": "help"},
        without(command("support"), "user_id"),
        {**command("support"), "user_id": "../etc"},
        {**command("support"), "command": "support"},
        {"payload": "[" * 1000},
        {"payload": "{}", "command": "/support"},
    ],
    ids=["no-command", "no-user", "odd-user", "no-slash", "deep-payload", "empty-payload"],
)
async def test_a_signed_form_not_shaped_like_slacks_is_a_400(
    slack: Slack, caplog: pytest.LogCaptureFixture, fields: dict[str, str]
) -> None:
    assert (await slack.form(fields)).status == 400
    no_trouble_logged(caplog)


async def test_a_signed_body_of_another_content_type_is_a_400(slack: Slack) -> None:
    assert (await slack.post(json.dumps(dm("help")), "text/plain")).status == 400
    assert (
        await slack.post(
            "\udcff".encode(errors="surrogateescape").decode("latin-1"), "application/json"
        )
    ).status == 400


@pytest.mark.parametrize("event_id", ["Ev" + "1" * 300, "Ev1\x00", "Ev1\u00e9", "1234"])
async def test_an_event_id_that_is_not_slacks_is_refused_on_either_database(
    database_url: str, caplog: pytest.LogCaptureFixture, event_id: str
) -> None:
    async with serve(database_url) as slack:
        response = await slack.event(dm("support", event_id=event_id))
        assert response.status == 400
        no_trouble_logged(caplog)
        assert (await slack.event(dm("support", event_id="EvFine"))).status == 200
        await slack.api.wait_for("chat.postMessage")


async def test_the_speak_up_form_with_the_way_sent_as_checkboxes_gets_a_kind_answer(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    view = await speak_up_form(slack)
    odd = submission(view, "anonymous")
    odd["view"]["state"]["values"]["way"]["way"] = {
        "type": "checkboxes",
        "selected_options": [{"value": "anonymous"}],
    }
    response = await slack.interaction(odd)
    assert response.status == 200
    assert await response.json() == {
        "response_action": "errors",
        "errors": {"way": "Please pick one of the options for “How do you want to speak up?”"},
    }
    no_trouble_logged(caplog)


# --- a listener that fails never turns into a 404 or a 500 for Slack ------------------------

BOOM = ActionId("boom", "form")


async def fails(_event: Command | FormSubmitted, _services: Services) -> list[Reply]:
    raise RuntimeError("a feature failed on U123's words")


@pytest.fixture
async def failing_slack(sqlite_url: str) -> AsyncIterator[Slack]:
    failing = unlisted("boom", commands={"boom": fails}, forms={BOOM: fails})
    async with serve(sqlite_url, failing) as slack:
        yield slack


async def test_a_command_that_fails_after_its_ack_is_still_acknowledged(
    failing_slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.monotonic()
    response = await failing_slack.form(command("boom"))
    assert response.status == 200
    assert time.monotonic() - started < 2.5  # not bolt's 3 s wait for an ack it forgot
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage().split(" at ")[0] for r in failures] == [
        "slack: a listener failed (RuntimeError"
    ]
    assert "U123" not in logged(caplog)


async def test_a_form_whose_feature_fails_stays_open_with_a_kind_word(
    failing_slack: Slack,
) -> None:
    submit = {
        **SUBMIT,
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "boom.form",
            "state": {"values": {"what": {"what": {"type": "plain_text_input", "value": "x"}}}},
        },
    }
    response = await failing_slack.interaction(submit)
    assert response.status == 200
    answer = await response.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["what"]  # beside a field, so what they typed stays


@pytest.mark.parametrize(
    "response_url",
    ["", "not a url", "ftp://hooks.slack.com/x", "https://attacker.example/hook", "http://[::1"],
)
async def test_a_command_without_a_usable_response_url_is_answered_through_the_api(
    slack: Slack, caplog: pytest.LogCaptureFixture, response_url: str
) -> None:
    started = time.monotonic()
    response = await slack.form(command("support", response_url=response_url))
    assert response.status == 200
    assert time.monotonic() - started < 2.5
    (answer,) = await slack.api.wait_for("chat.postEphemeral")
    assert (answer["channel"], answer["user"], answer["text"]) == (
        "C42",
        "U123",
        "Support and crisis contacts",
    )
    no_trouble_logged(caplog)
