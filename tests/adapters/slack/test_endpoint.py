"""Real signed Slack requests into the real aiohttp app, answered through a fake Web API."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from adapters.runtime import Runtime, open_runtime
from adapters.server import create_app
from bot.actions import ActionId
from bot.config import load_settings
from bot.events import Command, FormSubmitted
from bot.features import build_router
from bot.forms import check_form, refill
from bot.orgsync import apply_org_file
from bot.replies import ChoiceInput, Form, Notice, Option, Reply, TextInput
from bot.router import Feature, Router
from bot.services import Services
from storage.outbox import OutboxRow
from tests.adapters.slack.fake_api import FakeSlackApi, fake_slack_api
from tests.bot.features.test_directory_features import EXAMPLE
from tests.fakes import FakeClock

SECRET = "test-signing-secret"
ASK = ActionId("ask", "form")
ASK_FORM = Form(
    form=ASK,
    title="Ask a guardian",
    inputs=(
        TextInput(field="what", label="What happened?", multiline=True),
        ChoiceInput(
            field="how",
            label="How?",
            options=(
                Option(value="anonymous", label="Anonymously"),
                Option(value="open", label="Openly"),
            ),
        ),
    ),
)


async def open_form(_c: Command, _s: Services) -> list[Reply]:
    return [Reply(summary="Ask", blocks=(ASK_FORM,))]


async def submitted(form: FormSubmitted, _s: Services) -> list[Reply]:
    errors = check_form(ASK_FORM, form.values)
    if errors:
        return [Reply(summary="Fix", blocks=(refill(ASK_FORM, form.values, errors),))]
    return [Reply(summary="Thanks", blocks=(Notice(title="Thank you", text="We have it."),))]


def with_unlisted(name: str, *, commands: dict[str, Any], forms: dict[ActionId, Any]) -> Router:
    """The real features plus one of a test's own, reached by its command or form only."""
    base = build_router()
    extra = Feature(
        name=name,
        title=name.title(),
        summary="",
        commands=commands,
        forms=forms,
        listed=False,
    )
    return Router([*base.features, extra], fallback=base._fallback)


def router_with_form() -> Router:
    """The real features plus a form, as the speak-up issue will add."""
    return with_unlisted("ask", commands={"ask": open_form}, forms={ASK: submitted})


def signed(
    body: str | bytes, content_type: str, *, secret: str = SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Slack sends with `body`, signed as Slack signs it (now, unless told)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(
            timestamp=stamp, body=body
        ),
    }


@dataclass
class Slack:
    client: TestClient
    api: FakeSlackApi
    runtime: Runtime

    async def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None, **sign: Any
    ) -> Any:
        return await self.client.post(
            "/slack/events",
            data=body.encode(),
            headers={**signed(body, content_type, **sign), **(headers or {})},
        )

    async def event(self, payload: dict[str, Any], **kw: Any) -> Any:
        return await self.post(json.dumps(payload), "application/json", **kw)

    async def form(self, fields: dict[str, str], **kw: Any) -> Any:
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded", **kw)

    async def interaction(self, payload: dict[str, Any], **kw: Any) -> Any:
        return await self.form({"payload": json.dumps(payload)}, **kw)


@asynccontextmanager
async def serve(database_url: str, router: Router | None = None) -> AsyncIterator[Slack]:
    """The whole app on loopback: the real endpoint, a real database, a fake Slack Web API."""
    async with fake_slack_api() as api:
        settings = load_settings(
            database_url=database_url.replace("+aiosqlite", "").replace("+asyncpg", ""),
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=api.base_url,
        )
        runtime = await open_runtime(settings, clock=FakeClock())
        runtime.router = router or router_with_form()
        await apply_org_file(runtime.db, EXAMPLE)
        async with TestClient(TestServer(create_app(runtime))) as client:
            yield Slack(client=client, api=api, runtime=runtime)


@pytest.fixture
async def slack(sqlite_url: str) -> AsyncIterator[Slack]:
    async with serve(sqlite_url) as slack:
        yield slack


def command(name: str, text: str = "", **extra: str) -> dict[str, str]:
    return {
        "command": f"/{name}",
        "text": text,
        "team_id": "T1",
        "user_id": "U123",
        "channel_id": "C42",
        "trigger_id": "trig-1",
        "response_url": "",
        **extra,
    }


def dm(text: str, event_id: str = "Ev1") -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": event_id,
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": "D1",
            "user": "U123",
            "text": text,
            "ts": "1.1",
        },
    }


async def test_url_verification_echoes_the_challenge(slack: Slack) -> None:
    response = await slack.event({"type": "url_verification", "challenge": "abc123", "token": "x"})
    assert response.status == 200
    assert (await response.json())["challenge"] == "abc123"


async def test_a_bad_signature_is_refused_and_nothing_happens(slack: Slack) -> None:
    response = await slack.event(dm("support"), secret="not-the-secret")
    assert response.status == 401
    assert slack.api.of("chat.postMessage") == []


async def test_a_stale_timestamp_is_refused(slack: Slack) -> None:
    response = await slack.event(dm("support"), timestamp=int(time.time()) - 6 * 60)
    assert response.status == 401


@pytest.mark.parametrize("body", ["", "not json at all {", "[1, 2, 3]", "payload=%7Bbroken"])
async def test_a_malformed_body_is_a_400_not_a_crash(slack: Slack, body: str) -> None:
    content_type = (
        "application/x-www-form-urlencoded" if body.startswith("payload") else "application/json"
    )
    response = await slack.post(body, content_type)
    assert response.status == 400
    assert (await slack.client.get("/healthz")).status == 200


async def test_a_direct_message_is_answered_in_the_dm(slack: Slack) -> None:
    response = await slack.event(dm("support"))
    assert response.status == 200
    (posted,) = await slack.api.wait_for("chat.postMessage")
    assert posted["channel"] == "D1"
    assert posted["text"] == "Support and crisis contacts"
    assert any("Samaritans" in json.dumps(b) for b in posted["blocks"])


async def test_a_retried_event_is_answered_once(slack: Slack) -> None:
    await slack.event(dm("support", event_id="EvRetry"))
    await slack.api.wait_for("chat.postMessage")
    retry = await slack.event(
        dm("support", event_id="EvRetry"),
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status == 200
    await slack.event(dm("help", event_id="EvNext"))
    posts = await slack.api.wait_for("chat.postMessage", 2)
    assert [p["text"] for p in posts] == [
        "Support and crisis contacts",
        "Hello. I'm peerbot. Here is what I can help with:",
    ]


async def test_a_mention_in_a_channel_is_answered_only_to_the_asker(slack: Slack) -> None:
    mention = {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": "EvMention",
        "event": {
            "type": "app_mention",
            "channel": "C42",
            "user": "U123",
            "text": "<@UBOT> support",
            "ts": "2.2",
        },
    }
    assert (await slack.event(mention)).status == 200
    (answer,) = await slack.api.wait_for("chat.postEphemeral")
    assert (answer["channel"], answer["user"], answer["text"]) == (
        "C42",
        "U123",
        "Support and crisis contacts",
    )
    assert slack.api.of("chat.postMessage") == []


async def test_the_bots_own_messages_are_ignored(slack: Slack) -> None:
    own = dm("support", event_id="EvBot")
    own["event"]["bot_id"] = "BBOT"
    assert (await slack.event(own)).status == 200
    await slack.event(dm("help", event_id="EvAfter"))
    posts = await slack.api.wait_for("chat.postMessage")
    assert [p["text"] for p in posts] == ["Hello. I'm peerbot. Here is what I can help with:"]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("speakup", "", "How to speak up"),
        ("events", "", "Staff networks"),
        ("mentoring", "", "Mentoring programmes"),
        ("support", "", "Support and crisis contacts"),
        ("peerbot", "", "Hello. I'm peerbot. Here is what I can help with:"),
        ("peerbot", "support", "Support and crisis contacts"),
    ],
)
async def test_each_slash_command_answers_privately(
    slack: Slack, name: str, text: str, expected: str
) -> None:
    fields = command(name, text, response_url=f"{slack.api.base_url}response.reply")
    response = await slack.form(fields)
    assert response.status == 200
    (answer,) = await slack.api.wait_for("response.reply")
    assert answer["text"] == expected
    assert answer["response_type"] == "ephemeral"


async def test_a_button_press_reaches_its_feature(slack: Slack) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U123"},
        "channel": {"id": "D1"},
        "trigger_id": "trig-2",
        "actions": [
            {"type": "button", "action_id": "help.open#3", "value": "support", "block_id": "b"}
        ],
    }
    assert (await slack.interaction(payload)).status == 200
    (posted,) = await slack.api.wait_for("chat.postMessage")
    assert posted["text"] == "Support and crisis contacts" and posted["channel"] == "D1"


async def test_a_form_opens_as_a_modal_refuses_gaps_and_confirms_in_place(slack: Slack) -> None:
    await slack.form(command("ask"))
    (opened,) = await slack.api.wait_for("views.open")
    view = opened["view"]
    assert opened["trigger_id"] == "trig-1"
    assert view["callback_id"] == "ask.form"
    assert [b["block_id"] for b in view["blocks"]] == ["what", "how"]

    def submission(what: str | None) -> dict[str, Any]:
        return {
            "type": "view_submission",
            "team": {"id": "T1"},
            "user": {"id": "U123"},
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "ask.form",
                "private_metadata": view["private_metadata"],
                "state": {
                    "values": {
                        "what": {"what": {"type": "plain_text_input", "value": what}},
                        "how": {"how": {"type": "static_select", "selected_option": None}},
                    }
                },
            },
        }

    refused = await slack.interaction(submission("A fall on ward 7"))
    assert refused.status == 200
    assert await refused.json() == {
        "response_action": "errors",
        "errors": {"how": "Please fill this in."},
    }

    complete = submission("A fall on ward 7")
    complete["view"]["state"]["values"]["how"]["how"]["selected_option"] = {"value": "open"}
    confirmed = await (await slack.interaction(complete)).json()
    assert confirmed["response_action"] == "update"
    assert confirmed["view"]["blocks"][0]["text"]["text"] == "Thank you"
    assert slack.api.of("chat.postMessage") == []  # nothing about it in the chat history


async def test_app_home_is_published_when_opened(slack: Slack) -> None:
    event = {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": "EvHome",
        "event": {"type": "app_home_opened", "user": "U123", "tab": "home"},
    }
    assert (await slack.event(event)).status == 200
    (published,) = await slack.api.wait_for("views.publish")
    assert published["user_id"] == "U123"
    assert published["view"]["type"] == "home"
    text = json.dumps(published["view"]["blocks"])
    assert "Your peerbot" in text and "Samaritans" in text
    first_buttons = next(b for b in published["view"]["blocks"] if b["type"] == "actions")
    assert first_buttons["elements"][0]["value"] == "speakup"
    assert first_buttons["elements"][0]["style"] == "primary"


async def test_the_outbox_delivers_to_slack_through_a_429(slack: Slack) -> None:
    from aiohttp import web

    from adapters.slack.parse import conversation
    from bot.outbox import Outgoing, enqueue
    from bot.replies import say

    runtime = slack.runtime
    clock = runtime.clock
    slack.api.fail_next(
        "chat.postMessage",
        web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "7"}
        ),
    )
    async with runtime.db.session() as session:
        await enqueue(
            session,
            Outgoing(
                dedupe_key="remind:1",
                address=conversation("T1", "U123", "U123"),
                reply=say("Your event starts soon."),
                due_at=clock.now(),
            ),
            now=clock.now(),
        )
    assert runtime.worker is not None
    assert await runtime.worker.run_once() == 1
    async with runtime.db.session() as session:
        row = (await session.exec(select(OutboxRow))).one()
    assert (row.status, row.last_error, row.attempts, row.retries) == (
        "pending",
        "ratelimited",
        0,  # Slack's limit is not the message's fault: no attempt spent
        1,
    )
    assert (row.due_at - clock.now()).total_seconds() == 7

    clock.advance(seconds=8)  # type: ignore[attr-defined]
    assert await runtime.worker.run_once() == 1
    posts = slack.api.of("chat.postMessage")
    assert [p["channel"] for p in posts] == ["D0NEWDM", "D0NEWDM"]
    async with runtime.db.session() as session:
        row = (await session.exec(select(OutboxRow))).one()
    assert row.status == "sent"
