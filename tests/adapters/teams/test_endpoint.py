"""Real Activity JSON into the real /api/messages, answered through a fake Bot Framework
connector: messages, channels, installs, what is not an activity, and a turn that fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.conversation.actions import ActionId
from bot.conversation.inbound import (
    ButtonPressed,
    Command,
    Conversation,
    FormSubmitted,
    PersonAddress,
    Platform,
)
from bot.conversation.references import find_all
from bot.conversation.replies import Form, Notice, Reply, TextInput
from bot.conversation.router import Feature
from bot.conversation.services import Services
from tests.adapters.teams.activities import (
    PERSONAL_CHAT,
    TENANT,
    USER,
    activity,
    fetch,
    installed,
    invoke,
    mentioned,
    said,
    submit,
)
from tests.adapters.teams.cards import dialog_card, filled, texts, valid_cards
from tests.adapters.teams.harness import Teams, serve


@pytest.fixture
async def teams(sqlite_url: str) -> AsyncIterator[Teams]:
    async with serve(sqlite_url) as teams:
        yield teams


def said_in(call: Any) -> list[str]:
    """What a sent message's card says, the card checked against the schema first."""
    (card,) = valid_cards(call.body)
    return texts(card)


async def test_a_personal_message_is_answered_in_the_personal_chat(teams: Teams) -> None:
    response = await teams.post(said(teams.url, "support"))
    assert response.status == 200
    (sent,) = await teams.connector.wait_for("send")
    assert sent.conversation == PERSONAL_CHAT
    assert sent.body["summary"] == "Support and crisis contacts"
    assert any("Samaritans" in line for line in said_in(sent))
    assert sent.authorization == ""  # authentication is off: nothing to sign with


async def kept_for_the_person(teams: Teams) -> Conversation | None:
    """The conversation peerbot keeps to reach the person later."""
    person = PersonAddress(platform=Platform.TEAMS, tenant=TENANT, user_id=USER)
    async with teams.runtime.db.session() as session:
        return (await find_all(session, {person: None}))[person]


async def test_the_person_is_reachable_later_from_their_own_chat(teams: Teams) -> None:
    await teams.post(said(teams.url, "help"))
    await teams.connector.wait_for("send")
    where = await kept_for_the_person(teams)
    assert where is not None and where.channel_id == PERSONAL_CHAT
    assert where.extra == {"service_url": teams.url, "type": "personal"}


HELLO = "Hello. I'm peerbot. Here is what I can help with:"


async def summaries_sent(teams: Teams, count: int) -> list[str]:
    """What the messages sent say, in order of their words (answers to activities sent at
    once may arrive in any order), once `count` have come and no more seem to."""
    await teams.connector.wait_for("send", count)
    await asyncio.sleep(0.2)
    return sorted(c.body["summary"] for c in teams.connector.of("send"))


async def test_a_message_delivered_twice_is_answered_once(teams: Teams) -> None:
    await teams.post(said(teams.url, "support", number=5))
    await teams.post(said(teams.url, "support", number=5))
    await teams.post(said(teams.url, "help", number=6))
    assert await summaries_sent(teams, 2) == [HELLO, "Support and crisis contacts"]


async def test_a_mention_in_a_channel_is_answered_in_the_askers_own_chat(teams: Teams) -> None:
    assert (await teams.post(mentioned(teams.url, "support"))).status == 200
    (created,) = await teams.connector.wait_for("create")
    assert created.body["members"] == [{"id": USER}]
    assert created.body["channelData"] == {"tenant": {"id": TENANT}}
    (sent,) = await teams.connector.wait_for("send")
    assert sent.conversation == f"a:opened-{USER}"
    assert sent.body["summary"] == "Support and crisis contacts"
    assert teams.connector.messages("19:lgbtqnetwork@thread.tacv2") == []


async def test_an_install_greets_once_and_keeps_the_reference(teams: Teams) -> None:
    assert (await teams.post(installed(teams.url, number=1))).status == 200
    (greeting,) = await teams.connector.wait_for("send")
    assert greeting.body["summary"] == HELLO
    where = await kept_for_the_person(teams)
    assert where is not None and where.channel_id == PERSONAL_CHAT
    await teams.post(installed(teams.url, number=2))  # Teams tells of it again
    await teams.post(said(teams.url, "support", number=3))
    assert await summaries_sent(teams, 2) == [HELLO, "Support and crisis contacts"]


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "typing"},
        {"type": "messageReaction", "reactionsAdded": [{"type": "like"}]},
        {"type": "conversationUpdate", "membersAdded": [{"id": "29:someone-else"}]},
        {"type": "installationUpdate", "action": "add"},
        {"value": {"from another app": True}},
    ],
)
async def test_activities_peerbot_does_not_answer_get_200_and_nothing(
    teams: Teams, changes: dict[str, Any]
) -> None:
    assert (await teams.post(activity(teams.url, **changes))).status == 200
    await asyncio.sleep(0.2)
    assert teams.connector.calls == []


async def test_an_invoke_peerbot_does_not_use_gets_200_and_no_body(teams: Teams) -> None:
    response = await teams.post(invoke(teams.url, "composeExtension/query", {"x": 1}))
    assert response.status == 200
    assert await response.read() == b""


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"not json {", "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b'{"no": "type"}', "application/json", 400),
        (b'{"type": "message"}', "", 415),
        (b'{"type": "message"}', "text/plain", 415),
    ],
)
async def test_what_is_not_an_activity_is_refused_never_a_500(
    teams: Teams, body: bytes, content_type: str, status: int
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await teams.client.post("/api/messages", data=body, headers=headers)
    assert response.status == status
    assert (await teams.client.get("/healthz")).status == 200


async def test_health_says_authentication_is_off(teams: Teams) -> None:
    health = await (await teams.client.get("/healthz")).json()
    assert health == {
        "status": "ok",
        "database": "ok",
        "teams": "authentication off: for trying peerbot locally only",
    }


SECRET = "a word that must never reach a log"
SORRY = "Sorry, something went wrong on our side. Please try again in a minute."


async def explode(_event: Command | ButtonPressed, _services: Services) -> list[Reply]:
    raise RuntimeError(SECRET)


BROKEN = Feature(
    name="broken",
    title="Broken",
    summary="",
    commands={"broken": explode},
    actions={ActionId("broken", "press"): explode},
    listed=False,
)
"""A command and a button whose handlers fail with words no log may carry."""


async def test_a_failing_turn_or_dialog_says_sorry_kindly_and_logs_only_its_kind(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with serve(sqlite_url, extra=BROKEN) as teams:
        assert (await teams.post(said(teams.url, "broken"))).status == 200
        (sent,) = await teams.connector.wait_for("send")
        data = {"msteams": {"type": "task/fetch"}, "peerbot": {"action": "broken.press"}}
        answer = await teams.invoke(fetch(teams.url, data))
    assert said_in(sent) == [SORRY]
    assert answer == {"task": {"type": "message", "value": SORRY}}
    assert "teams: a turn failed (RuntimeError at test_endpoint.py" in caplog.text
    assert "teams: a dialog failed (RuntimeError at test_endpoint.py" in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("speakup", "How to speak up"),
        ("events", "There are no upcoming events just now."),
        ("networks", "Staff networks"),
        ("mentoring", "Mentoring programmes"),
        ("support", "Support and crisis contacts"),
        ("help", "Hello. I'm peerbot. Here is what I can help with:"),
        ("what is this", "Sorry, I didn't understand that."),
    ],
)
async def test_each_command_is_answered_with_a_valid_card(
    teams: Teams, text: str, summary: str
) -> None:
    await teams.post(said(teams.url, text))
    (sent,) = await teams.connector.wait_for("send")
    assert sent.body["summary"].startswith(summary)
    said_in(sent)


async def test_a_universal_action_is_answered_in_its_response_and_posts_what_it_posts(
    teams: Teams,
) -> None:
    def executed(action: str, value: str) -> dict[str, Any]:
        data = {"peerbot": {"action": action, "value": value}}
        body = {"action": {"type": "Action.Execute", "verb": "x", "data": data}}
        return invoke(teams.url, "adaptiveCard/action", body, replyToId="9")

    answer = await teams.invoke(executed("help.open", "support"))
    assert answer == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.activity.message",
        "value": "Support and crisis contacts",
    }
    (sent,) = await teams.connector.wait_for("send")
    assert "Support for you" in said_in(sent)
    answer = await teams.invoke(executed("nothing.here", ""))
    assert answer["statusCode"] == 200  # unknown: help, never an error


SLOW = ActionId("slow", "form")
SLOW_FORM = Form(
    form=SLOW,
    title="Tell us",
    inputs=(TextInput(field="what", label="What happened?", multiline=True),),
)


async def open_slow(_press: ButtonPressed, _services: Services) -> list[Reply]:
    return [Reply(summary="Tell us", blocks=(SLOW_FORM,))]


async def slow_to_save(_form: FormSubmitted, _services: Services) -> list[Reply]:
    await asyncio.sleep(4.0)
    return [Reply(summary="Saved", blocks=(Notice(title="Saved", text="Thank you."),))]


async def test_a_dialog_answered_too_late_gives_the_form_back_as_typed(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # long enough for a busy machine to open the dialog, far shorter than the save
    monkeypatch.setattr("adapters.teams.app.DIALOG_DEADLINE", 1.5)
    slow = Feature(
        name="slow",
        title="Slow",
        summary="",
        commands={},
        actions={ActionId("slow", "open"): open_slow},
        forms={SLOW: slow_to_save},
        listed=False,
    )
    async with serve(sqlite_url, extra=slow) as teams:
        data = {"msteams": {"type": "task/fetch"}, "peerbot": {"action": "slow.open"}}
        form = dialog_card(await teams.invoke(fetch(teams.url, data)))
        words = "Nobody came to help on nights"
        back = dialog_card(await teams.invoke(submit(teams.url, filled(form, what=words))))
    inputs = {b["id"]: b for b in back["body"] if b["type"].startswith("Input.")}
    assert inputs["what"]["value"] == words
    assert "We couldn't save this just now. Please send it again in a minute." in texts(back)
