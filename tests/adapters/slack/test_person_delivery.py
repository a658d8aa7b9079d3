"""A message for a person reaches their DM through the stored reference, never a guess."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from adapters.slack.parse import conversation
from adapters.slack.sender import SlackSender
from bot.conversation.inbound import PersonAddress, Platform
from bot.conversation.outbox import DeliveryWorker, Outgoing, enqueue
from bot.conversation.references import keep
from bot.conversation.replies import say
from bot.conversation.sealing import generate_key, sealer
from storage.engine import Database
from storage.outbox import OutboxRow, OutboxStatus
from storage.references import ConversationReference
from tests.adapters.slack.fake_api import FakeSlackApi, fake_slack_api
from tests.fakes import FakeClock

NURSE = PersonAddress(platform=Platform.SLACK, tenant="", user_id="U123")
SEALER = sealer(generate_key())


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackApi]:
    async with fake_slack_api() as fake:
        yield fake


async def deliver(
    api: FakeSlackApi, db: Database, *messages: str, to: PersonAddress = NURSE, sealed: bool = False
) -> list[OutboxRow]:
    clock = FakeClock()
    async with db.session() as session:
        for text in messages:
            item = Outgoing(
                dedupe_key=text, address=to, reply=say(text), due_at=clock.now(), sealed=sealed
            )
            await enqueue(session, item, now=clock.now(), sealer=SEALER)
    sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=api.base_url))
    await DeliveryWorker(db, {Platform.SLACK: sender}, clock, sealer=SEALER).run_once()
    async with db.session(write=False) as session:
        return list((await session.exec(select(OutboxRow))).all())


async def stored(db: Database) -> list[tuple[str, str]]:
    async with db.session(write=False) as session:
        rows = (await session.exec(select(ConversationReference))).all()
    return [(r.user_id, r.reference["channel_id"]) for r in rows]


async def test_a_person_with_a_reference_is_reached_there_without_opening_a_dm(
    api: FakeSlackApi, sqlite_db: Database
) -> None:
    async with sqlite_db.session() as session:
        await keep(session, NURSE, conversation("T1", "D1", "U123"))
    await deliver(api, sqlite_db, "Your check-in is tomorrow.")
    assert api.of("conversations.open") == []
    assert [p["channel"] for p in api.of("chat.postMessage")] == ["D1"]


async def test_without_a_reference_the_dm_is_opened_once_and_kept(
    api: FakeSlackApi, sqlite_db: Database
) -> None:
    await deliver(api, sqlite_db, "First")
    await deliver(api, sqlite_db, "Second", "Third")
    assert api.of("conversations.open") == [{"users": "U123"}]
    assert [p["channel"] for p in api.of("chat.postMessage")] == ["D0NEWDM"] * 3
    assert await stored(sqlite_db) == [("U123", "D0NEWDM")]


async def test_a_dm_opened_for_a_sealed_message_is_not_kept(
    api: FakeSlackApi, sqlite_db: Database
) -> None:
    """It may be a notice to someone who spoke up: a reference made for it would say so."""
    await deliver(api, sqlite_db, "A guardian has replied to your case.", sealed=True)
    assert [p["channel"] for p in api.of("chat.postMessage")] == ["D0NEWDM"]
    assert await stored(sqlite_db) == []


async def test_a_person_slack_cannot_open_a_dm_with_fails_for_good_with_the_reason(
    api: FakeSlackApi, sqlite_db: Database
) -> None:
    api.fail_next("conversations.open", web.json_response({"ok": False, "error": "user_not_found"}))
    (row,) = await deliver(api, sqlite_db, "Hello")
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "user_not_found")
    assert api.of("chat.postMessage") == []
    assert await stored(sqlite_db) == []
