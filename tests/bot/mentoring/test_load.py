"""The scheduling guarantees under load, on SQLite and PostgreSQL: replicas ticking at the
same moment in separate OS processes queue each check-in and each reminder once, and
delivery stopped in the middle of a round, then resumed, loses nothing and sends nothing
twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlmodel import col, func, select

from bot.conversation.inbound import Conversation, Platform
from bot.conversation.outbox import DeliveryWorker
from bot.conversation.replies import Reply
from storage.due import DueWindow
from storage.engine import Database
from storage.outbox import OutboxRow, OutboxStatus
from tests.bot.mentoring.fixtures import OCTOBER, add_pairs, keys, organised, pair, tick
from tests.fakes import FakeClock, RecordingSender
from tests.replicas import tick_at_once

PAIRS = 150


async def test_two_processes_ticking_at_once_queue_each_check_in_and_reminder_once(
    db: Database,
) -> None:
    await organised(db)
    await add_pairs(db, *(pair(n) for n in range(PAIRS)))
    asked = await tick_at_once(db.url, OCTOBER, "mentoring")
    assert sum(asked) == 2 * PAIRS, asked
    reminded = await tick_at_once(db.url, OCTOBER + timedelta(days=3), "mentoring")
    assert sum(reminded) == 2 * PAIRS, reminded
    queued = Counter(k.split(":")[1] for k in await keys(db))
    assert queued == {"checkin": 2 * PAIRS, "remind": 2 * PAIRS}
    async with db.session(write=False) as session:
        windows = (await session.exec(select(func.count()).select_from(DueWindow))).one()
    assert windows == 0


class Hanging(RecordingSender):
    """A platform that stops answering after `answers` sends: the next send hangs, as a
    send does when a process is stopped in the middle of it."""

    def __init__(self, people: dict[str, Conversation], answers: int) -> None:
        super().__init__(people=people)
        self.answers = answers
        self.hung = asyncio.Event()

    async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
        if len(self.sent) >= self.answers:
            self.hung.set()
            await asyncio.Event().wait()
        await super().send(address, reply, key=key)


async def test_delivery_stopped_mid_round_then_resumed_loses_nothing_and_sends_nothing_twice(
    db: Database,
) -> None:
    await organised(db)
    await add_pairs(db, *(pair(n) for n in range(20)))
    people = {
        who: Conversation(platform=Platform.CONSOLE, tenant="", channel_id=who, user_id=who)
        for n in range(20)
        for who in (f"s{n}", f"f{n}")
    }
    clock = FakeClock(OCTOBER)
    assert await tick(db, OCTOBER) == 40
    first = Hanging(people, answers=15)
    worker = DeliveryWorker(db, {Platform.CONSOLE: first}, clock, batch_size=10)
    worker.start()
    await asyncio.wait_for(first.hung.wait(), 30)
    await worker.stop(timeout=0.2)  # stopped in the middle of a send, with rows claimed

    clock.advance(minutes=5)  # restarted, after every lease has run out
    assert await tick(db, clock.now()) == 0  # the round is not queued again
    second = RecordingSender(people=people)
    await DeliveryWorker(db, {Platform.CONSOLE: second}, clock, batch_size=10).run_once()

    delivered = Counter(first.keys + second.keys)
    assert len(delivered) == 40 and set(delivered.values()) == {1}
    async with db.session(write=False) as session:
        statuses = (await session.exec(select(OutboxRow.status).order_by(col(OutboxRow.id)))).all()
    assert set(statuses) == {OutboxStatus.SENT}
