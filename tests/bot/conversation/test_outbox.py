"""The delivery worker: each row sent once, failures retried on time, nothing lost on stop."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.conversation.clock import Clock, SystemClock
from bot.conversation.inbound import Conversation, Platform
from bot.conversation.monitor import Delivery
from bot.conversation.outbox import (
    DeliveryFailed,
    DeliveryWorker,
    Outgoing,
    Unsealable,
    backoff,
    contents,
    enqueue,
)
from bot.conversation.replies import Reply, say
from bot.conversation.sealing import generate_key, sealer
from storage.engine import Database
from storage.outbox import QUEUED, OutboxRow, OutboxStatus, claim_due
from tests.fakes import FakeClock, RecordingMonitor, RecordingSender

CONSOLE = Conversation(
    platform=Platform.CONSOLE, tenant="local", channel_id="console", user_id="you"
)
SLACK = Conversation(platform=Platform.SLACK, tenant="T1", channel_id="D1")


async def queue(db: Database, clock: FakeClock, key: str, *, to: Conversation = CONSOLE) -> bool:
    item = Outgoing(dedupe_key=key, address=to, reply=say(key), due_at=clock.now())
    async with db.session() as session:
        return await enqueue(session, item, now=clock.now())


async def rows(db: Database) -> list[OutboxRow]:
    async with db.session() as session:
        return list((await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all())


def worker(
    db: Database, sender: RecordingSender, clock: FakeClock, **options: object
) -> DeliveryWorker:
    return DeliveryWorker(db, {Platform.CONSOLE: sender}, clock, **options)  # type: ignore[arg-type]


async def test_the_same_dedupe_key_is_queued_once(db: Database) -> None:
    clock = FakeClock()
    assert await queue(db, clock, "nudge:pair-1:2026-W45") is True
    assert await queue(db, clock, "nudge:pair-1:2026-W45") is False
    assert len(await rows(db)) == 1


async def test_due_rows_are_delivered_once_with_the_reply_intact(db: Database) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await queue(db, clock, "a")
    await queue(db, clock, "b")
    delivery = worker(db, sender, clock)
    assert await delivery.run_once() == 2
    assert await delivery.run_once() == 0
    assert [(a, r) for a, r in sender.sent] == [(CONSOLE, say("a")), (CONSOLE, say("b"))]
    assert {r.status for r in await rows(db)} == {OutboxStatus.SENT}


async def test_rows_not_yet_due_wait(db: Database) -> None:
    clock, sender = FakeClock(), RecordingSender()
    later = Outgoing(
        dedupe_key="later",
        address=CONSOLE,
        reply=say("later"),
        due_at=clock.now() + timedelta(hours=1),
    )
    async with db.session() as session:
        await enqueue(session, later, now=clock.now())
    delivery = worker(db, sender, clock)
    assert await delivery.run_once() == 0
    clock.advance(hours=1)
    assert await delivery.run_once() == 1


async def test_retry_after_is_obeyed_without_spending_an_attempt(db: Database) -> None:
    clock = FakeClock()
    sender = RecordingSender(failures=[DeliveryFailed("rate limited", retry_after=30)])
    await queue(db, clock, "hello")
    delivery = worker(db, sender, clock)

    assert await delivery.run_once() == 1
    (row,) = await rows(db)
    assert (row.status, row.attempts, row.retries, row.last_error) == (
        OutboxStatus.PENDING,
        0,
        1,
        "rate limited",
    )
    assert row.due_at == clock.now() + timedelta(seconds=30)

    clock.advance(seconds=10)
    assert await delivery.run_once() == 0
    clock.advance(seconds=21)
    assert await delivery.run_once() == 1
    assert [r for _, r in sender.sent] == [say("hello")]
    (row,) = await rows(db)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 0, None)


async def test_transient_errors_back_off_exponentially_then_succeed(db: Database) -> None:
    clock = FakeClock()
    sender = RecordingSender(failures=[ConnectionError("reset"), DeliveryFailed("502")])
    await queue(db, clock, "hello")
    delivery = worker(
        db, sender, clock, backoff_base=timedelta(seconds=10), backoff_cap=timedelta(minutes=5)
    )

    await delivery.run_once()
    (row,) = await rows(db)
    first_wait = row.due_at - clock.now()
    assert timedelta(seconds=5) <= first_wait <= timedelta(seconds=10)
    assert row.last_error == "ConnectionError"

    clock.advance(seconds=10)
    await delivery.run_once()
    (row,) = await rows(db)
    second_wait = row.due_at - clock.now()
    assert timedelta(seconds=10) <= second_wait <= timedelta(seconds=20)

    clock.advance(seconds=20)
    await delivery.run_once()
    assert len(sender.sent) == 1 and sender.attempts == 3


async def test_a_permanent_failure_is_recorded_and_not_retried(db: Database) -> None:
    clock = FakeClock()
    sender = RecordingSender(failures=[DeliveryFailed("account_inactive", permanent=True)])
    await queue(db, clock, "hello")
    delivery = worker(db, sender, clock)
    await delivery.run_once()
    clock.advance(days=1)
    assert await delivery.run_once() == 0
    (row,) = await rows(db)
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.FAILED,
        1,
        "account_inactive",
    )


async def test_attempts_run_out(db: Database) -> None:
    clock = FakeClock()
    sender = RecordingSender(failures=[DeliveryFailed("503")] * 3)
    await queue(db, clock, "hello")
    delivery = worker(db, sender, clock, max_attempts=3)
    for _ in range(5):
        await delivery.run_once()
        clock.advance(hours=2)
    (row,) = await rows(db)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.FAILED, 3, "503")
    assert sender.attempts == 3


async def test_each_try_is_told_to_monitoring_by_platform_and_outcome(db: Database) -> None:
    clock, monitor = FakeClock(), RecordingMonitor()
    sender = RecordingSender(
        failures=[
            DeliveryFailed("ratelimited", retry_after=30),  # long: the row is put back
            ConnectionError("reset"),  # the send is in doubt
            DeliveryFailed("account_inactive", permanent=True),
        ]
    )
    for key in ("limited", "dropped", "gone"):
        await queue(db, clock, key)
    delivery = worker(db, sender, clock, monitor=monitor)
    await delivery.run_once()
    assert monitor.deliveries == [
        (Platform.CONSOLE, Delivery.RATE_LIMITED),
        (Platform.CONSOLE, Delivery.RETRYING),
        (Platform.CONSOLE, Delivery.FAILED),
    ]
    sender.keys.append("dropped")  # the dropped send had arrived after all
    clock.advance(minutes=1)
    await delivery.run_once()
    assert sorted(monitor.deliveries[3:]) == [
        (Platform.CONSOLE, Delivery.ALREADY_SENT),
        (Platform.CONSOLE, Delivery.SENT),
    ]


async def test_rows_for_a_platform_without_a_sender_wait_for_it(db: Database) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await queue(db, clock, "for-slack", to=SLACK)
    assert await worker(db, sender, clock).run_once() == 0
    (row,) = await rows(db)
    assert row.status == OutboxStatus.PENDING


async def test_a_lease_left_by_a_dead_worker_is_taken_over_when_it_runs_out(db: Database) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await queue(db, clock, "hello")
    async with db.session() as session:  # a worker that claimed and then died
        await claim_due(
            session, now=clock.now(), platforms=["console"], limit=10, lease=timedelta(minutes=5)
        )
    delivery = worker(db, sender, clock)
    assert await delivery.run_once() == 0
    clock.advance(minutes=6)
    assert await delivery.run_once() == 1
    assert len(sender.sent) == 1


async def test_two_workers_side_by_side_send_each_row_exactly_once(database_url: str) -> None:
    clock = FakeClock()
    first_db, second_db = Database(database_url), Database(database_url)
    try:
        for n in range(200):
            await queue(first_db, clock, f"row-{n}")

        class Slowish(RecordingSender):
            async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
                await asyncio.sleep(0.001)
                await super().send(address, reply, key=key)

        one, two = Slowish(), Slowish()
        await asyncio.gather(
            worker(first_db, one, clock, batch_size=5).run_once(),
            worker(second_db, two, clock, batch_size=5).run_once(),
        )
        summaries = [r.summary for _, r in one.sent + two.sent]
        assert sorted(summaries) == sorted(f"row-{n}" for n in range(200))
        assert one.sent and two.sent  # both really worked, side by side
        assert {r.status for r in await rows(first_db)} == {OutboxStatus.SENT}
    finally:
        await first_db.dispose()
        await second_db.dispose()


async def test_a_started_worker_delivers_what_is_queued_at_once(sqlite_db: Database) -> None:
    """Committing the row rings the worker: nobody waits for the next poll, and nothing
    that queues has to wake the worker by hand."""
    clock, sender = FakeClock(), RecordingSender()
    delivery = worker(sqlite_db, sender, clock, poll_seconds=60)
    delivery.start()
    try:
        await asyncio.sleep(0.05)
        await queue(sqlite_db, clock, "hello")
        await asyncio.wait_for(sender.arrived.wait(), 5)
    finally:
        await delivery.stop()
    assert [r for _, r in sender.sent] == [say("hello")]


async def test_only_a_committed_row_rings_and_only_after_its_commit(sqlite_db: Database) -> None:
    """A worker woken before the commit would find nothing to claim and sleep a poll."""
    clock, heard = FakeClock(), list[dict[str, object]]()
    stop = sqlite_db.on_commit(lambda info: heard.append(dict(info)))
    item = Outgoing(dedupe_key="rolled-back", address=CONSOLE, reply=say("x"), due_at=clock.now())
    with pytest.raises(RuntimeError):
        async with sqlite_db.session() as session:
            assert await enqueue(session, item, now=clock.now())
            assert heard == []  # not yet: the row is not there for a worker to claim
            raise RuntimeError("the rest of the transaction failed")
    assert heard == [] and await rows(sqlite_db) == []
    assert await queue(sqlite_db, clock, "hello")
    assert not await queue(sqlite_db, clock, "hello")  # deduped: nothing new to ring for
    assert heard == [{QUEUED: True}]
    stop()


async def test_stop_drains_the_send_in_flight_and_claims_nothing_after(sqlite_db: Database) -> None:
    clock = FakeClock()
    started, release = asyncio.Event(), asyncio.Event()

    class Held(RecordingSender):
        async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
            started.set()
            await release.wait()
            await super().send(address, reply, key=key)

    sender = Held()
    await queue(sqlite_db, clock, "first")
    await queue(sqlite_db, clock, "claimed-with-it")
    delivery = worker(sqlite_db, sender, clock, batch_size=2)
    delivery.start()
    await asyncio.wait_for(started.wait(), 5)
    await queue(sqlite_db, clock, "queued-later")
    stopping = asyncio.create_task(delivery.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waiting for the send in flight
    release.set()
    await asyncio.wait_for(stopping, 5)

    assert sender.attempts == 1
    after = {r.dedupe_key: (r.status, r.attempts, r.leased_until) for r in await rows(sqlite_db)}
    assert after == {
        "first": (OutboxStatus.SENT, 0, None),
        "claimed-with-it": (OutboxStatus.PENDING, 0, None),  # handed back, free for a replica
        "queued-later": (OutboxStatus.PENDING, 0, None),
    }
    assert await delivery.run_once() == 0  # a stopped worker claims nothing


async def test_a_row_whose_lease_ran_out_before_its_turn_is_not_sent(db: Database) -> None:
    clock = FakeClock()

    class Slow(RecordingSender):
        """Each send takes six minutes: longer than the lease on the batch."""

        async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
            await super().send(address, reply, key=key)
            clock.advance(minutes=6)

    sender = Slow()
    await queue(db, clock, "a")
    await queue(db, clock, "b")
    delivery = worker(db, sender, clock, lease=timedelta(minutes=5))
    assert await delivery.run_once() == 1
    assert [r.summary for _, r in sender.sent] == ["a"]
    assert [r.status for r in await rows(db)] == [OutboxStatus.SENT, OutboxStatus.SENDING]

    assert await delivery.run_once() == 1  # claimed afresh, under a new lease
    assert [r.summary for _, r in sender.sent] == ["a", "b"]


async def test_a_hung_send_is_cut_off_and_left_in_doubt(sqlite_db: Database) -> None:
    clock = FakeClock()

    class Hung(RecordingSender):
        async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
            await asyncio.sleep(30)

    await queue(sqlite_db, clock, "hello")
    delivery = worker(sqlite_db, Hung(), clock, send_timeout=timedelta(seconds=0.2))
    assert await asyncio.wait_for(delivery.run_once(), 5) == 1
    (row,) = await rows(sqlite_db)
    assert (row.status, row.attempts, row.retries, row.last_error, row.in_doubt) == (
        OutboxStatus.PENDING,
        0,
        1,
        "TimeoutError",
        True,  # it may have gone through: the platform is asked before it is sent again
    )


@pytest.mark.parametrize(("attempts", "low", "high"), [(1, 15, 30), (3, 60, 120), (20, 1800, 3600)])
def test_back_off_doubles_with_jitter_up_to_the_cap(attempts: int, low: int, high: int) -> None:
    waits = {
        backoff(attempts, base=timedelta(seconds=30), cap=timedelta(hours=1)).total_seconds()
        for _ in range(50)
    }
    assert all(low <= w <= high for w in waits)
    assert len(waits) > 1  # jittered, so many rows failing together do not retry together


async def test_platform_troubles_give_up_only_at_the_deadline_and_say_so(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    outage = [DeliveryFailed("service_unavailable", transient=True) for _ in range(500)]
    sender = RecordingSender(failures=list(outage))
    await queue(db, clock, "hello")
    delivery = worker(db, sender, clock, give_up_after=timedelta(hours=1))
    start = clock.now()
    while clock.now() < start + timedelta(hours=2):
        await delivery.run_once()
        (row,) = await rows(db)
        if row.status == OutboxStatus.FAILED:
            break
        assert row.attempts == 0  # not the message's fault: no attempt spent
        clock.current = max(row.due_at, clock.now())
    assert row.status == OutboxStatus.FAILED
    assert start + timedelta(hours=1) <= clock.now() <= start + timedelta(hours=1, seconds=30)
    assert row.retries > 8  # far more tries than the old eight, spread over the hour
    assert "failed for good" in caplog.text and "outbox retry" in caplog.text


async def test_a_send_longer_than_the_lease_keeps_its_row(sqlite_db: Database) -> None:
    clock, lease = SystemClock(), timedelta(seconds=1)
    taken_meanwhile: list[OutboxRow] = []

    class Slow(RecordingSender):
        async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
            await asyncio.sleep(2.5 * lease.total_seconds())  # a slow platform, not a wait for us
            async with sqlite_db.session() as session:  # another worker looks for work
                taken_meanwhile.extend(
                    await claim_due(
                        session, now=clock.now(), platforms=["console"], limit=1, lease=lease
                    )
                )
            await super().send(address, reply, key=key)

    sender = Slow()
    await queue(sqlite_db, FakeClock(current=clock.now()), "hello")
    delivery = DeliveryWorker(sqlite_db, {Platform.CONSOLE: sender}, clock, lease=lease)
    assert await asyncio.wait_for(delivery.run_once(), 10) == 1
    assert taken_meanwhile == []  # the lease was renewed while the send went on
    assert [r.summary for _, r in sender.sent] == ["hello"]
    (row,) = await rows(sqlite_db)
    assert (row.status, row.retries, row.last_error) == (OutboxStatus.SENT, 0, None)


async def test_a_send_whose_lease_is_lost_is_cut_off_and_left_in_doubt(sqlite_db: Database) -> None:
    clock = FakeClock()
    never = asyncio.Event()

    class Stalled(RecordingSender):
        """The platform stalls while the clock runs past the lease (a frozen database, say)."""

        async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
            clock.advance(seconds=1)
            await never.wait()

    await queue(sqlite_db, clock, "hello")
    delivery = worker(sqlite_db, Stalled(), clock, lease=timedelta(seconds=0.3))
    assert await asyncio.wait_for(delivery.run_once(), 5) == 1  # not the 60 s send bound
    (row,) = await rows(sqlite_db)
    assert (row.status, row.last_error, row.in_doubt) == (
        OutboxStatus.PENDING,
        "TimeoutError",
        True,
    )


async def test_a_sealed_message_is_stored_opaque_and_a_key_rotation_queues_it_no_second_time(
    db: Database,
) -> None:
    clock, old, new = FakeClock(), generate_key(), generate_key()
    item = Outgoing(
        dedupe_key="speakup:new:SU-7K3M-Q9:slack:U07GUARD01",
        address=SLACK,
        reply=say("New speak-up case SU-7K3M-Q9"),
        due_at=clock.now(),
        sealed=True,
    )
    async with db.session() as session:
        assert await enqueue(session, item, now=clock.now(), sealer=sealer(old))
    async with db.session() as session:  # the same message, after the new key was put first
        assert not await enqueue(session, item, now=clock.now(), sealer=sealer(f"{new},{old}"))
    (row,) = await rows(db)
    stored = repr(row.model_dump())
    assert "SU-7K3M-Q9" not in stored and "U07GUARD01" not in stored
    assert contents(row, sealer(f"{new},{old}")) == (SLACK, say("New speak-up case SU-7K3M-Q9"))
    async with db.session() as session:
        with pytest.raises(Unsealable):  # never stored plain for want of a key
            await enqueue(session, item, now=clock.now())


class Limited(RecordingSender):
    """A platform that refuses the `refuse`-th send with a 429 asking for `wait` seconds,
    and notes when each send came (by `clock`, the worker's) and how many were in flight
    at once."""

    def __init__(
        self, *, clock: Clock, refuse: int = 0, wait: float = 0.0, takes: float = 0.0
    ) -> None:
        super().__init__()
        self.clock, self.refuse, self.wait, self.takes = clock, refuse, wait, takes
        self.tried: list[tuple[float, str]] = []
        self.refused_at: float | None = None
        self.refused = asyncio.Event()
        self.in_flight = self.most_in_flight = 0

    async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
        now = self.clock.now().timestamp()
        self.tried.append((now, key))
        if len(self.tried) == self.refuse:
            self.refused_at = now
            self.refused.set()
            raise DeliveryFailed("ratelimited", retry_after=self.wait)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.takes)
        finally:
            self.in_flight -= 1
        await super().send(address, reply, key=key)


async def test_a_429_pauses_the_platform_and_the_same_row_goes_after_the_wait(
    db: Database,
) -> None:
    """The pause is waited on the worker's clock: a moved clock moves it (here at once)."""
    clock, monitor = FakeClock(), RecordingMonitor()
    sender = Limited(clock=clock, refuse=2, wait=0.5)
    for key in ("a", "b", "c", "d"):
        await queue(db, clock, key)
    delivery = worker(db, sender, clock, monitor=monitor)
    began = asyncio.get_running_loop().time()
    assert await delivery.run_once() == 4
    assert asyncio.get_running_loop().time() - began < 0.5
    assert sender.refused_at is not None
    after = [(at, key) for at, key in sender.tried if at > sender.refused_at]
    assert [key for _, key in after] == ["b", "c", "d"]  # the refused row first, then the rest
    assert all(at >= sender.refused_at + 0.5 for at, _ in after)  # none before Retry-After
    assert sender.keys == ["a", "b", "c", "d"]
    assert monitor.deliveries.count((Platform.CONSOLE, Delivery.RATE_LIMITED)) == 1
    # Held in process: no write for the 429, so the row shows only its delivery.
    assert {(r.status, r.retries, r.last_error) for r in await rows(db)} == {
        (OutboxStatus.SENT, 0, None)
    }


async def test_sends_in_flight_together_send_each_row_once_across_two_workers(
    database_url: str,
) -> None:
    clock = FakeClock()
    first_db, second_db = Database(database_url), Database(database_url)
    try:
        for n in range(120):
            await queue(first_db, clock, f"row-{n}")
        one, two = Limited(clock=clock, takes=0.01), Limited(clock=clock, takes=0.01)
        await asyncio.gather(
            worker(first_db, one, clock, concurrency=8, batch_size=16).run_once(),
            worker(second_db, two, clock, concurrency=8, batch_size=16).run_once(),
        )
        assert sorted(one.keys + two.keys) == sorted(f"row-{n}" for n in range(120))
        assert 1 < max(one.most_in_flight, two.most_in_flight) <= 8
        assert {r.status for r in await rows(first_db)} == {OutboxStatus.SENT}
    finally:
        await first_db.dispose()
        await second_db.dispose()


async def test_outcomes_recorded_together_refuse_a_lease_lost_meanwhile(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Both rows are sent, but before their outcomes are written the lease runs out and
    another worker takes them: the late outcomes change nothing, and the other worker,
    finding the rows in doubt, asks the platform and sends neither again."""
    clock, lease = FakeClock(), timedelta(minutes=5)
    taken: list[OutboxRow] = []

    class Stalled(RecordingSender):
        async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
            await super().send(address, reply, key=key)
            if key == "b":  # the last of the batch: the worker stalls past its lease
                clock.advance(minutes=6)
                async with db.session() as session:
                    taken.extend(
                        await claim_due(
                            session, now=clock.now(), platforms=["console"], limit=5, lease=lease
                        )
                    )

    sender = Stalled()
    await queue(db, clock, "a")
    await queue(db, clock, "b")
    assert await worker(db, sender, clock, lease=lease).run_once() == 2
    assert [r.in_doubt for r in taken] == [True, True]
    after = await rows(db)
    assert [(r.status, r.leased_until) for r in after] == [
        (OutboxStatus.SENDING, taken[0].leased_until)
    ] * 2  # as the other worker claimed them, not marked sent under a lost lease
    assert caplog.text.count("sent after its lease ran out") == 2

    clock.advance(minutes=6)  # the other worker died too; a third takes over
    assert await worker(db, sender, clock, lease=lease).run_once() == 2
    assert sender.keys == ["a", "b"]  # found there, not sent twice
    assert {r.status for r in await rows(db)} == {OutboxStatus.SENT}


async def test_stop_hands_back_rows_waiting_out_a_pause_at_once(sqlite_db: Database) -> None:
    clock = SystemClock()  # a pause that really waits
    sender = Limited(clock=clock, refuse=1, wait=8)
    for key in ("a", "b"):
        await queue(sqlite_db, FakeClock(), key)  # due since a while ago
    delivery = DeliveryWorker(sqlite_db, {Platform.CONSOLE: sender}, clock, concurrency=2)
    delivery.start()
    await asyncio.wait_for(sender.refused.wait(), 5)
    began = asyncio.get_running_loop().time()
    await delivery.stop()
    assert asyncio.get_running_loop().time() - began < 2  # not the 8 s pause
    after = [(r.status, r.leased_until, r.retries) for r in await rows(sqlite_db)]
    assert after == [(OutboxStatus.PENDING, None, 0)] * 2  # handed back, free at once
    assert [key for _, key in sender.tried] == ["a"]  # b waited for the pause, unsent


async def test_a_stalled_send_holds_up_only_its_own_slot_not_the_next_batch(
    db: Database,
) -> None:
    """The next batch is claimed while the one before is sent: a send that stalls keeps
    its slot, and the other slot goes on through the rows after it."""
    clock = FakeClock()
    release = asyncio.Event()

    class Stalls(RecordingSender):
        async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
            if key == "a":
                await release.wait()
            await super().send(address, reply, key=key)
            if key == "f":
                release.set()

    sender = Stalls()
    for key in "abcdef":
        await queue(db, clock, key)
    delivery = worker(db, sender, clock, concurrency=2, batch_size=2)
    assert await asyncio.wait_for(delivery.run_once(), 5) == 6
    assert sender.keys == ["b", "c", "d", "e", "f", "a"]
    assert {r.status for r in await rows(db)} == {OutboxStatus.SENT}
