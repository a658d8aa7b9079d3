"""Real signed Slack requests into the real aiohttp app, answered through a fake Web API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from adapters.runtime import Runtime, open_runtime
from adapters.server import create_app
from bot.conversation.actions import ActionId
from bot.conversation.forms import check_form, refill
from bot.conversation.inbound import ButtonPressed, Command, FormSubmitted
from bot.conversation.outbox import DeliveryWorker
from bot.conversation.replies import (
    Attachment,
    ChoiceInput,
    Form,
    Notice,
    Option,
    Reply,
    Text,
    TextInput,
)
from bot.conversation.router import Feature, Router
from bot.conversation.services import Services
from bot.organisation.config import load_settings
from bot.organisation.sync import apply_org_file
from storage.outbox import OutboxRow
from tests.adapters.slack.fake_api import FakeSlackApi, fake_slack_api
from tests.bot.organisation.test_directory_features import EXAMPLE
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


def unlisted(name: str, *, commands: dict[str, Any], forms: dict[ActionId, Any]) -> Feature:
    """A feature of a test's own, reached by its command or form only."""
    return Feature(
        name=name,
        title=name.title(),
        summary="",
        commands=commands,
        forms=forms,
        listed=False,
    )


ASKING = unlisted("ask", commands={"ask": open_form}, forms={ASK: submitted})
"""A form of the test's own beside the real features, as the speak-up issue added one."""


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
async def serve(
    database_url: str, extra: Feature = ASKING, **more_settings: str
) -> AsyncIterator[Slack]:
    """The whole app on loopback: the real endpoint, a real database, a fake Slack Web API."""
    async with fake_slack_api() as api:
        settings = load_settings(
            database_url=database_url.replace("+aiosqlite", "").replace("+asyncpg", ""),
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=api.base_url,
            **more_settings,
        )
        runtime = await open_runtime(settings, clock=FakeClock())
        real = runtime.router  # every real feature, built as `peerbot run` builds them
        runtime.router = Router([*real.features, extra], fallback=real._fallback)
        await apply_org_file(runtime.db, EXAMPLE)
        async with TestClient(TestServer(create_app(runtime))) as client:
            yield Slack(client=client, api=api, runtime=runtime)


@pytest.fixture
async def slack(sqlite_url: str) -> AsyncIterator[Slack]:
    async with serve(sqlite_url) as slack:
        yield slack


async def delivered(runtime: Runtime) -> None:
    """Everything queued so far, sent: the background worker (woken by each queued row)
    finishes what it holds, then one pass by hand sends whatever it had not yet taken."""
    assert runtime.worker is not None
    await runtime.worker.stop()
    await DeliveryWorker(
        runtime.db, runtime.senders, runtime.clock, sealer=runtime.sealer
    ).run_once()


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
        ("events", "", "There are no upcoming events just now."),
        ("networks", "", "Staff networks"),
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


async def test_guardians_contacts_are_links_in_slack(slack: Slack) -> None:
    fields = command("speakup", response_url=f"{slack.api.base_url}response.reply")
    assert (await slack.form(fields)).status == 200
    (answer,) = await slack.api.wait_for("response.reply")
    text = json.dumps(answer["blocks"])
    address = "amara.okafor@riverside.example.nhs.uk"
    assert f"<mailto:{address}|{address}>" in text
    assert "<tel:01615550142|0161 555 0142 (ext. 4142)>" in text


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
        "errors": {"how": "Please choose an answer to “How?”"},
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


async def queue_reminder_through_a_429(slack: Slack, wait: int) -> DeliveryWorker:
    """A reminder queued for a worker driven by hand, Slack set to refuse its first post
    with a 429 asking for `wait` seconds."""
    from bot.conversation.inbound import PersonAddress, Platform
    from bot.conversation.outbox import Outgoing, enqueue
    from bot.conversation.replies import say

    runtime = slack.runtime
    clock = runtime.clock
    assert runtime.worker is not None
    await runtime.worker.stop()  # it would take the row the moment it is queued
    worker = DeliveryWorker(runtime.db, runtime.senders, clock)  # driven by hand instead
    slack.api.fail_next(
        "chat.postMessage",
        web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(wait)}
        ),
    )
    async with runtime.db.session() as session:
        await enqueue(
            session,
            Outgoing(
                dedupe_key="remind:1",
                address=PersonAddress(platform=Platform.SLACK, tenant="T1", user_id="U123"),
                reply=say("Your event starts soon."),
                due_at=clock.now(),
            ),
            now=clock.now(),
        )
    return worker


async def test_the_outbox_delivers_to_slack_through_a_long_429_written_back(
    slack: Slack,
) -> None:
    """A wait long beside the lease puts the row back in the queue, due when it is over."""
    runtime = slack.runtime
    clock = runtime.clock
    worker = await queue_reminder_through_a_429(slack, 20)
    assert await worker.run_once() == 1
    async with runtime.db.session() as session:
        row = (await session.exec(select(OutboxRow))).one()
    assert (row.status, row.last_error, row.attempts, row.retries) == (
        "pending",
        "ratelimited",
        0,  # Slack's limit is not the message's fault: no attempt spent
        1,
    )
    assert (row.due_at - clock.now()).total_seconds() == 20

    clock.advance(seconds=21)  # type: ignore[attr-defined]
    assert await worker.run_once() == 1
    posts = slack.api.of("chat.postMessage")
    assert [p["channel"] for p in posts] == ["D0NEWDM", "D0NEWDM"]
    async with runtime.db.session() as session:
        row = (await session.exec(select(OutboxRow))).one()
    assert row.status == "sent"


async def test_the_outbox_waits_out_a_short_429_holding_the_row(slack: Slack) -> None:
    """A short wait is waited out on the worker's clock, the row kept: no write for the 429."""
    clock = slack.runtime.clock
    queued = clock.now()
    worker = await queue_reminder_through_a_429(slack, 7)
    assert await worker.run_once() == 1
    posts = slack.api.of("chat.postMessage")
    assert [p["channel"] for p in posts] == ["D0NEWDM", "D0NEWDM"]
    async with slack.runtime.db.session() as session:
        row = (await session.exec(select(OutboxRow))).one()
    assert (row.status, row.last_error, row.retries) == ("sent", None, 0)
    assert row.sent_at is not None and row.sent_at - queued >= timedelta(seconds=7)


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        ("guardian.ack#0", "' OR 1=1 --"),
        ("guardian.assign#4", "SU-2222-22:extra"),
        ("speakup.add#0", "su-2222-22"),
        ("help.open#0", "Support\u202e"),
    ],
)
async def test_a_garbled_button_value_gets_help_not_an_error(
    slack: Slack, action_id: str, value: str
) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U123"},
        "channel": {"id": "D1"},
        "trigger_id": "trig-3",
        "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b"}],
    }
    assert (await slack.interaction(payload)).status == 200
    (posted,) = await slack.api.wait_for("chat.postMessage")
    assert posted["text"].startswith("Sorry, I didn't understand that.")


INVITE = Attachment(
    name="invite.ics", media_type="text/calendar", data=b"BEGIN:VCALENDAR\r\n\x00\xff"
)


async def invite(_c: Command, _s: Services) -> list[Reply]:
    return [Reply(summary="Your invite", blocks=(Text(text="Your invite"),), files=(INVITE,))]


INVITING = Feature(
    name="invite", title="Invite", summary="", commands={"invite": invite}, listed=False
)


async def test_a_file_is_uploaded_into_the_conversation_after_its_message(
    sqlite_url: str,
) -> None:
    async with serve(sqlite_url, INVITING) as slack:
        assert (await slack.event(dm("invite"))).status == 200
        (done,) = await slack.api.wait_for("files.completeUploadExternal")
    (asked,) = slack.api.of("files.getUploadURLExternal")
    assert asked["filename"] == "invite.ics" and int(asked["length"]) == len(INVITE.data)
    assert done["channel_id"] == "D1" and done["files"][0]["title"] == "invite.ics"
    assert slack.api.uploaded == {"F1": INVITE.data}
    assert [c.method for c in slack.api.calls][-3:] == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


async def test_a_failed_upload_leaves_its_message_alone(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with serve(sqlite_url, INVITING) as slack:
        slack.api.fail_next(
            "files.getUploadURLExternal", web.json_response({"ok": False}, status=503)
        )
        assert (await slack.event(dm("invite"))).status == 200
        async with asyncio.timeout(5):  # the listener's last word is a log line
            while "a file could not be shared (SlackApiError" not in caplog.text:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        async with slack.runtime.db.session() as session:
            queued = (await session.exec(select(OutboxRow))).all()
    assert len(slack.api.of("chat.postMessage")) == 1
    assert queued == []


CHOSE = ActionId("ask", "chose")


async def chose(_press: ButtonPressed, _s: Services) -> list[Reply]:
    return [Reply(summary="You chose tea", blocks=(Text(text="You chose tea"),), in_place=True)]


async def test_a_reply_in_place_replaces_the_pressed_message(sqlite_url: str) -> None:
    extra = Feature(name="ask", title="Ask", summary="", commands={}, actions={CHOSE: chose})
    async with serve(sqlite_url, extra) as slack:
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": "U123"},
            "channel": {"id": "D1"},
            "trigger_id": "trig-4",
            "response_url": f"{slack.api.base_url}response.reply",
            "actions": [{"type": "button", "action_id": "ask.chose#0", "value": "tea"}],
        }
        assert (await slack.interaction(payload)).status == 200
        (answer,) = await slack.api.wait_for("response.reply")
    assert answer["text"] == "You chose tea"
    assert answer["replace_original"] is True
    assert not slack.api.of("chat.postMessage")
