"""Properties of /slack/events under any correctly signed body: never a 5xx, never a traceback,
never half a write. Real app, real SQLite file, fake Slack Web API."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from adapters.slack.render import metadata, modal
from bot.conversation.codec import reply_to_json
from bot.conversation.inbound import Platform
from bot.conversation.outbox import contents
from bot.speakup.reporter import raise_form
from storage.outbox import OutboxRow
from storage.speakup.cases import Case
from tests.adapters.slack.test_endpoint import Slack, command, dm
from tests.adapters.slack.test_endpoint import slack as slack  # the fixture
from tests.adapters.slack.test_speakup_anonymity import REPORTER_DM, START, submission

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    # One app serves every example, as one server serves every request: what an example
    # leaves behind (rows, dedupe keys) is part of what the next one meets. The invariants
    # are checked after every example, so sharing the fixture hides nothing.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = st.sampled_from(
    ["", " ", "\x00", "x" * 300, "Ev\x00", "Ev" + "1" * 300, "https://attacker.example/x", "1e9"]
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON = st.recursive(
    SCALARS | NASTY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
"""Any JSON value (lone surrogates included: json.dumps escapes them as Slack could)."""


def speak_up_view() -> dict[str, Any]:
    return modal(
        raise_form(Platform.SLACK), private_metadata=metadata({"channel": REPORTER_DM})
    ) | {"callback_id": "speakup.raise"}


REAL_INTERACTIONS = [START, submission(speak_up_view(), "anonymous")]


def places(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path to every value inside a payload."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    found: list[tuple[Any, ...]] = []
    for key, inner in items:
        found += [(*at, key), *places(inner, (*at, key))]
    return found


def retyped(value: Any) -> st.SearchStrategy[Any]:
    """The same value as another JSON type: Slack's field, the wrong shape."""
    if isinstance(value, str):
        return st.sampled_from([[value], {"value": value}, 1, None, True])
    if isinstance(value, dict):
        return st.sampled_from([list(value.values()), json.dumps(value), None, 0])
    if isinstance(value, list):
        return st.sampled_from([dict(enumerate(value)), [], [[]], "[]", None])
    return st.sampled_from([str(value), [value], {}, None])


@st.composite
def mutated(draw: st.DrawFn, original: dict[str, Any]) -> dict[str, Any]:
    """A real payload with one to three fields removed, replaced, given another type or
    other text."""
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        paths = places(doc)
        if not paths:
            break
        *parents, key = draw(st.sampled_from(paths))
        parent = doc
        for step in parents:
            parent = parent[step]
        how = draw(st.sampled_from(["remove", "replace", "retype", "rewrite"]))
        if how == "remove":
            del parent[key]
        elif how == "replace":
            parent[key] = draw(JSON)
        elif how == "retype" or not isinstance(parent[key], str):
            parent[key] = draw(retyped(parent[key]))
        else:  # the right type, any content: what passes the shape check reaches a feature
            parent[key] = draw(st.text() | NASTY)
    return doc


async def unharmed(slack: Slack, caplog: pytest.LogCaptureFixture, status: int) -> None:
    assert status < 500
    trouble = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert trouble == [], [(r.name, r.getMessage()) for r in trouble]
    async with slack.runtime.db.session() as session:
        codes = (await session.exec(select(Case.code))).all()
        rows = (await session.exec(select(OutboxRow))).all()
    # speak-up's outbox rows are sealed: open them as the delivery worker does
    alerts = [json.dumps(reply_to_json(contents(r, slack.runtime.sealer)[1])) for r in rows]
    for code in codes:
        assert any(code in a for a in alerts), f"case {code} raised without its alerts"


def signed_test(strategy: st.SearchStrategy[Any]) -> Callable[..., Any]:
    """A property test posting each drawn body through `send` into the real endpoint."""

    def wrap(send: Callable[[Slack, Any], Any]) -> Callable[..., Any]:
        @EXAMPLES
        @given(body=strategy)
        async def test(slack: Slack, caplog: pytest.LogCaptureFixture, body: Any) -> None:
            caplog.set_level(logging.INFO)
            response = await send(slack, body)
            event(f"answered {response.status}")  # --hypothesis-show-statistics shows the mix
            await unharmed(slack, caplog, response.status)

        test.__name__ = send.__name__
        test.__doc__ = send.__doc__
        return test

    return wrap


@signed_test(JSON)
async def test_any_signed_json_body(slack: Slack, body: Any) -> Any:
    return await slack.post(json.dumps(body), "application/json")


@signed_test(
    st.dictionaries(
        st.sampled_from(["command", "text", "team_id", "user_id", "channel_id", "response_url"])
        | st.sampled_from(["trigger_id", "payload", "ssl_check"])
        | st.text(),
        st.text() | NASTY,
        max_size=8,
    )
)
async def test_any_signed_form_body(slack: Slack, body: Any) -> Any:
    return await slack.form(body)


@signed_test(JSON)
async def test_any_signed_interactive_payload(slack: Slack, body: Any) -> Any:
    return await slack.interaction(body)


@signed_test(st.sampled_from(REAL_INTERACTIONS).flatmap(mutated))
async def test_a_real_interaction_mutated(slack: Slack, body: Any) -> Any:
    return await slack.interaction(body)


@signed_test(mutated(dm("support", event_id="EvProp")))
async def test_a_real_direct_message_mutated(slack: Slack, body: Any) -> Any:
    return await slack.event(body)


@signed_test(mutated(command("support", "now", response_url="")))
async def test_a_real_slash_command_mutated(slack: Slack, body: Any) -> Any:
    return await slack.form(body)


async def test_the_real_payloads_themselves_pass(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    """The mutations start from payloads the endpoint accepts, or they would prove little."""
    for payload in REAL_INTERACTIONS:
        response = await slack.interaction(payload)
        assert response.status == 200
    assert (await slack.event(dm("support", event_id="EvReal"))).status == 200
    assert (await slack.form(command("support", "now"))).status == 200
    await unharmed(slack, caplog, 200)
    async with slack.runtime.db.session() as session:
        assert len((await session.exec(select(Case.code))).all()) == 1
