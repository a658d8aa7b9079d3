"""What peerbot sends on its own reaches Teams through the outbox and stored conversation
references (continue_conversation): a reminder once, however often the tick runs; a 429 or
a Microsoft outage waited out as Retry-After asks; a 403 marks the person unreachable; a
call Microsoft leaves hanging holds up nothing else and is tried again; an answer that
failed is delivered later; an anonymous reporter is never messaged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from adapters.teams import hosting
from bot.conversation.inbound import PersonAddress, Platform
from bot.conversation.outbox import DeliveryWorker, Outgoing, enqueue
from bot.conversation.replies import say
from storage.outbox import OutboxRow
from tests.adapters.reminders import an_hour_before
from tests.adapters.teams.activities import PERSONAL_CHAT, TENANT, USER, installed, said
from tests.adapters.teams.cards import button, texts, valid_cards
from tests.adapters.teams.harness import Teams, serve
from tests.adapters.teams.test_speakup import guardian_replies, raise_concern
from tests.waiting import eventually

NURSE = PersonAddress(platform=Platform.TEAMS, tenant=TENANT, user_id=USER)
OTHER, OTHER_CHAT = "c3000000-0000-4000-8000-000000000003", "a:1anotherPERSONALchat"
"""Someone else, writing to peerbot in their own chat."""


@pytest.fixture
async def teams(sqlite_url: str) -> AsyncIterator[Teams]:
    async with serve(sqlite_url) as teams:
        await teams.post(installed(teams.url))  # peerbot added: the reference it keeps
        await teams.connector.wait_for("send")
        yield teams


def by_hand(teams: Teams) -> DeliveryWorker:
    return DeliveryWorker(teams.runtime.db, teams.runtime.senders, teams.runtime.clock)


async def queue(teams: Teams, text: str = "Your event starts soon.") -> None:
    runtime = teams.runtime
    assert runtime.worker is not None
    await runtime.worker.stop()  # it would take the row the moment it is queued
    async with runtime.db.session() as session:
        item = Outgoing(
            dedupe_key="remind:1", address=NURSE, reply=say(text), due_at=runtime.clock.now()
        )
        await enqueue(session, item, now=runtime.clock.now())


async def row(teams: Teams) -> OutboxRow:
    async with teams.runtime.db.session() as session:
        return (await session.exec(select(OutboxRow))).one()


async def test_a_reminder_reaches_the_stored_chat_once_though_the_tick_runs_thrice(
    teams: Teams,
) -> None:
    await an_hour_before(teams.runtime, NURSE)
    await teams.delivered()

    _greeting, reminder = teams.connector.of("send", PERSONAL_CHAT)
    assert teams.connector.of("create") == []  # the chat peerbot was added to, not a new one
    assert reminder.body["summary"] == "Reminder: Lunch and learn"
    (card,) = valid_cards(reminder.body)
    assert "Cancel my place" in texts(card)
    assert button(card, "Cancel my place")["peerbot"]["action"] == "events.cancel"


async def test_a_429_waits_as_long_as_retry_after_asks_then_delivers(teams: Teams) -> None:
    await queue(teams)
    teams.connector.fail_next("send", 429, **{"Retry-After": "20"})  # long: the row goes back
    worker = by_hand(teams)
    assert await worker.run_once() == 1
    waiting = await row(teams)
    assert (waiting.status, waiting.last_error, waiting.attempts, waiting.retries) == (
        "pending",
        "http_429",
        0,  # Teams' limit is not the message's fault: no attempt spent
        1,
    )
    assert (waiting.due_at - teams.runtime.clock.now()).total_seconds() == 20
    teams.runtime.clock.advance(seconds=21)  # type: ignore[attr-defined]
    assert await worker.run_once() == 1
    assert (await row(teams)).status == "sent"
    told = teams.connector.of("send", PERSONAL_CHAT)
    assert [c.body["summary"] for c in told][-1] == "Your event starts soon."


@pytest.mark.parametrize("status", [412, 502, 504])
async def test_microsofts_own_troubles_are_retried_without_counting_against_the_message(
    teams: Teams, status: int
) -> None:
    await queue(teams)
    teams.connector.fail_next("send", status)
    assert await by_hand(teams).run_once() == 1
    waiting = await row(teams)
    assert (waiting.status, waiting.attempts, waiting.retries) == ("pending", 0, 1)
    assert waiting.last_error == f"http_{status}"


async def test_a_403_marks_the_person_unreachable_and_stops(teams: Teams) -> None:
    await queue(teams)
    teams.connector.fail_next("send", 403)
    assert await by_hand(teams).run_once() == 1
    failed = await row(teams)
    assert (failed.status, failed.last_error) == ("failed", "unreachable (http_403)")
    teams.runtime.clock.advance(hours=1)  # type: ignore[attr-defined]
    assert await by_hand(teams).run_once() == 0


async def test_an_answer_teams_could_not_take_is_delivered_later_once(teams: Teams) -> None:
    teams.connector.fail_next("send", 429, **{"Retry-After": "3"})
    await teams.post(said(teams.url, "support", number=2))
    await teams.connector.wait_for("send", 3)  # the greeting, the refused answer, the retry
    await teams.delivered()
    answers = [c for c in teams.connector.of("send") if c.body["summary"].startswith("Support")]
    assert len(answers) == 2  # refused once, then delivered
    assert (await row(teams)).status == "sent"


async def test_an_anonymous_reporter_is_never_messaged(teams: Teams) -> None:
    code, _receipt = await raise_concern(teams, "anonymous")
    before = len(teams.connector.messages(PERSONAL_CHAT))
    await guardian_replies(teams, code, "Thank you for telling us.")
    await teams.delivered()
    assert len(teams.connector.messages(PERSONAL_CHAT)) == before
    assert teams.connector.of("create") == []
    assert code not in json.dumps([c.body for c in teams.connector.messages(PERSONAL_CHAT)])


async def test_a_microsoft_call_that_hangs_holds_up_nothing_and_is_retried_later(
    teams: Teams, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Microsoft keeps a proactive send waiting past peerbot's bound on its calls. Meanwhile
    the server answers its health check and another person's message; then the send is
    given up, recorded as Microsoft's fault to try again (not the message's, not lost), and
    the next try delivers it once."""
    monkeypatch.setattr(hosting, "CALL_WITHIN", 1.5)  # seconds, not the production 15
    runtime = teams.runtime
    teams.connector.hang_next("send")
    async with runtime.db.session() as session:  # the runtime's own worker takes it at once
        item = Outgoing(
            dedupe_key="remind:hang",
            address=NURSE,
            reply=say("Your event starts soon."),
            due_at=runtime.clock.now(),
        )
        await enqueue(session, item, now=runtime.clock.now())
    await teams.connector.wait_for("send", 2)  # the greeting, then the send kept waiting
    assert teams.connector.hanging == 1

    health = await teams.client.get("/healthz")
    assert health.status == 200 and (await health.json())["status"] == "ok"
    other = {"user": OTHER, "conversation": OTHER_CHAT, "number": 7}
    assert (await teams.post(said(teams.url, "support", **other))).status == 200
    (answer,) = await teams.connector.wait_for("send", 1, OTHER_CHAT)
    assert answer.body["summary"] == "Support and crisis contacts"
    in_flight = await row(teams)
    assert (in_flight.status, in_flight.last_error) == ("sending", None)  # still waiting

    async def given_up() -> OutboxRow | None:
        found = await row(teams)
        return found if found.last_error is not None else None

    waiting = await eventually(given_up, within=10)
    assert (waiting.status, waiting.last_error) == ("pending", "no answer")
    assert (waiting.attempts, waiting.retries) == (0, 1)  # Microsoft's fault, not the message's
    assert waiting.due_at > runtime.clock.now()  # tried again after a short wait
    assert runtime.worker is not None
    await runtime.worker.stop()
    teams.connector.release()
    runtime.clock.advance(minutes=1)  # type: ignore[attr-defined]
    assert await by_hand(teams).run_once() == 1
    assert (await row(teams)).status == "sent"
    sent = [c.body["summary"] for c in teams.connector.of("send", PERSONAL_CHAT)]
    assert sent.count("Your event starts soon.") == 2  # the one given up on, and the retry
