"""Slack rate-limiting and failing under the real worker and sender: nothing lost, nothing twice."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from adapters.slack.sender import SlackSender
from bot.conversation.inbound import Conversation, PersonAddress, Platform
from bot.conversation.outbox import DeliveryWorker, Outgoing, enqueue
from bot.conversation.replies import say
from storage import outbox as outbox_rows
from storage.engine import Database
from storage.outbox import OutboxRow, OutboxStatus
from tests.adapters.slack.fake_api import FakeSlackApi, fake_slack_api
from tests.fakes import FakeClock

GUARDIANS = Conversation(platform=Platform.SLACK, tenant="T1", channel_id="CGUARD")
ALERTS = [f"New speak-up case {n}" for n in range(10)]


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackApi]:
    async with fake_slack_api() as fake:
        yield fake


async def queue_alerts(db: Database, clock: FakeClock) -> None:
    async with db.session() as session:
        for n, text in enumerate(ALERTS):
            item = Outgoing(
                dedupe_key=f"alert:{n}", address=GUARDIANS, reply=say(text), due_at=clock.now()
            )
            await enqueue(session, item, now=clock.now())


async def deliver_for(
    db: Database, worker: DeliveryWorker, clock: FakeClock, span: timedelta
) -> None:
    """Run the worker as its loop would, moving the clock straight to each next due row."""
    end = clock.now() + span
    while clock.now() < end:
        await worker.run_once()
        async with db.session() as session:
            when = await outbox_rows.next_due(session, platforms=[Platform.SLACK])
        if when is None:
            return
        clock.current = max(when, clock.now() + timedelta(milliseconds=100))


async def sent_rows(db: Database) -> list[OutboxRow]:
    async with db.session() as session:
        return list((await session.exec(select(OutboxRow))).all())


def slack_worker(api: FakeSlackApi, db: Database, clock: FakeClock) -> DeliveryWorker:
    sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=api.base_url))
    return DeliveryWorker(db, {Platform.SLACK: sender}, clock)


def until(clock: FakeClock, recovery: datetime, answer: web.Response) -> web.Response | None:
    return answer if clock.now() < recovery else None


async def test_alerts_rate_limited_for_30_seconds_are_all_delivered_once_after(
    api: FakeSlackApi, sqlite_db: Database
) -> None:
    clock = FakeClock()
    recovery = clock.now() + timedelta(seconds=30)
    api.outage = lambda method: until(
        clock,
        recovery,
        web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
        ),
    )
    await queue_alerts(sqlite_db, clock)

    await deliver_for(sqlite_db, slack_worker(api, sqlite_db, clock), clock, timedelta(minutes=10))

    assert sorted(m["text"] for m in api.posted["CGUARD"]) == sorted(ALERTS)
    rows = await sent_rows(sqlite_db)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert all(r.sent_at is not None and r.sent_at <= recovery + timedelta(seconds=2) for r in rows)


async def test_alerts_held_up_by_a_20_second_outage_go_soon_after_it_ends(
    api: FakeSlackApi, sqlite_db: Database
) -> None:
    random.seed(20)  # the back-off's jitter, held still so the bound below is exact each run
    clock = FakeClock()
    recovery = clock.now() + timedelta(seconds=20)
    api.outage = lambda method: until(
        clock,
        recovery,
        web.json_response({"ok": False, "error": "service_unavailable"}, status=503),
    )
    await queue_alerts(sqlite_db, clock)

    await deliver_for(sqlite_db, slack_worker(api, sqlite_db, clock), clock, timedelta(minutes=10))

    assert sorted(m["text"] for m in api.posted["CGUARD"]) == sorted(ALERTS)
    rows = await sent_rows(sqlite_db)
    assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.SENT, 0)}
    latest = max(r.sent_at for r in rows if r.sent_at is not None)
    assert latest - recovery <= timedelta(seconds=30)  # at most one capped back-off late


async def test_a_message_posted_by_a_worker_that_died_is_not_posted_again(
    api: FakeSlackApi, sqlite_db: Database
) -> None:
    clock = FakeClock()
    reporter = PersonAddress(platform=Platform.SLACK, tenant="T1", user_id="U123")
    async with sqlite_db.session() as session:
        item = Outgoing(
            dedupe_key="notice:1", address=reporter, reply=say("A reply"), due_at=clock.now()
        )
        await enqueue(session, item, now=clock.now())
    async with sqlite_db.session() as session:  # a worker claims the row...
        (row,) = await outbox_rows.claim_due(
            session,
            now=clock.now(),
            platforms=[Platform.SLACK],
            limit=1,
            lease=timedelta(seconds=30),
        )
    sender = SlackSender(AsyncWebClient(token="xoxb-test", base_url=api.base_url))
    dm = await sender.resolve(reporter)
    await sender.send(dm, say("A reply"), key=row.dedupe_key)  # ...Slack takes the post...
    clock.advance(seconds=31)  # ...and the worker is killed before it records the outcome.

    await deliver_for(sqlite_db, slack_worker(api, sqlite_db, clock), clock, timedelta(minutes=5))

    assert [p["text"] for p in api.of("chat.postMessage")] == ["A reply"]
    (looked,) = api.of("conversations.history")
    assert looked["channel"] == "D0NEWDM"  # the person's DM, where the post went
    (after,) = await sent_rows(sqlite_db)
    assert (after.status, after.in_doubt) == (OutboxStatus.SENT, False)


async def test_a_message_in_doubt_that_never_arrived_is_sent_once(
    api: FakeSlackApi, sqlite_db: Database
) -> None:
    clock = FakeClock()
    await queue_alerts(sqlite_db, clock)
    async with sqlite_db.session() as session:  # claimed by a worker that died before sending
        await outbox_rows.claim_due(
            session,
            now=clock.now(),
            platforms=[Platform.SLACK],
            limit=3,
            lease=timedelta(seconds=30),
        )
    clock.advance(seconds=31)

    await deliver_for(sqlite_db, slack_worker(api, sqlite_db, clock), clock, timedelta(minutes=5))

    assert sorted(m["text"] for m in api.posted["CGUARD"]) == sorted(ALERTS)
    assert len(api.of("conversations.history")) == 3  # only the rows in doubt were looked for
    assert all(m["metadata"]["event_type"] == "peerbot_outbox" for m in api.posted["CGUARD"])
