"""Messages for a person go through their conversation reference, or fail saying why."""

from __future__ import annotations

import asyncio

from sqlalchemy import event
from sqlmodel import select

from bot.conversation.inbound import Actor, Conversation, PersonAddress, Platform, TextMessage
from bot.conversation.outbox import DeliveryWorker, Outgoing, enqueue
from bot.conversation.references import References, keep
from bot.conversation.replies import say
from storage.engine import Database
from storage.outbox import OutboxRow, OutboxStatus
from storage.references import ConversationReference
from tests.fakes import FakeClock, RecordingSender

NURSE = PersonAddress(platform=Platform.CONSOLE, tenant="local", user_id="nurse")
THEIR_CONSOLE = Conversation(
    platform=Platform.CONSOLE, tenant="local", channel_id="console", user_id="nurse"
)


async def deliver(db: Database, sender: RecordingSender, *rows: OutboxRow) -> list[OutboxRow]:
    clock = FakeClock()
    async with db.session() as session:
        for row in rows:
            session.add(row)
    await DeliveryWorker(db, {Platform.CONSOLE: sender}, clock).run_once()
    async with db.session(write=False) as session:
        return list((await session.exec(select(OutboxRow))).all())


async def queue(db: Database, text: str) -> None:
    clock = FakeClock()
    item = Outgoing(dedupe_key=text, address=NURSE, reply=say(text), due_at=clock.now())
    async with db.session() as session:
        await enqueue(session, item, now=clock.now())


async def test_a_person_is_reached_through_their_recorded_conversation(db: Database) -> None:
    async with db.session() as session:
        await keep(session, NURSE, THEIR_CONSOLE)
    await queue(db, "Your check-in is tomorrow.")
    sender = RecordingSender()
    await deliver(db, sender)
    assert sender.sent == [(THEIR_CONSOLE, say("Your check-in is tomorrow."))]


async def test_a_person_nobody_can_reach_fails_for_good_saying_so(db: Database) -> None:
    await queue(db, "Hello")
    sender = RecordingSender()  # opens no conversation with anyone
    (row,) = await deliver(db, sender)
    assert sender.attempts == 0
    assert (row.status, row.last_error) == (
        OutboxStatus.FAILED,
        "no conversation with this person yet",
    )


async def test_a_row_queued_before_person_addresses_is_still_delivered(db: Database) -> None:
    clock = FakeClock()
    old = OutboxRow(
        dedupe_key="old",
        platform="console",
        address={"platform": "console", "tenant": "local", "channel_id": "console"},
        reply={"summary": "Queued last week", "blocks": []},
        due_at=clock.now(),
        created_at=clock.now(),
    )
    sender = RecordingSender()
    (row,) = await deliver(db, sender, old)
    assert row.status == OutboxStatus.SENT
    assert sender.sent[0][0] == Conversation(
        platform=Platform.CONSOLE, tenant="local", channel_id="console"
    )


async def test_a_burst_of_first_messages_is_recorded_in_a_few_transactions(db: Database) -> None:
    """Each first message from someone records where they are; a burst of them shares
    commits instead of queueing one by one on the write lock."""
    commits = 0

    def counted(_connection: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine.sync_engine, "commit", counted)
    people = [f"nurse-{n}" for n in range(20)]
    messages = [
        TextMessage(
            actor=Actor(platform=Platform.CONSOLE, tenant="local", user_id=person),
            conversation=Conversation(
                platform=Platform.CONSOLE, tenant="local", channel_id=f"D-{person}", user_id=person
            ),
            at=FakeClock().now(),
            text="help",
        )
        for person in people
    ]
    references = References()
    await asyncio.gather(*(references.noticed(m, db, confidential=False) for m in messages))
    async with db.session(write=False) as session:
        stored = (await session.exec(select(ConversationReference))).all()
    assert sorted(r.user_id for r in stored) == sorted(people)
    assert commits <= 3
