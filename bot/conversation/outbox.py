"""Proactive messages: queueing them, the port that sends them, and the worker that delivers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from cryptography.fernet import InvalidToken
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.clock import Clock
from bot.conversation.codec import (
    address_from_json,
    address_to_json,
    reply_from_json,
    reply_to_json,
)
from bot.conversation.errors import described
from bot.conversation.inbound import Address, Conversation, PersonAddress
from bot.conversation.monitor import UNMONITORED, Delivery, Monitor
from bot.conversation.references import find_all, keep_all
from bot.conversation.replies import Reply
from bot.conversation.sealing import Sealer, open_sealed, seal
from storage import outbox as outbox_rows
from storage.engine import Database
from storage.outbox import OutboxRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outgoing:
    """A message to queue. The same `dedupe_key` is queued at most once, ever.

    `sealed`: the message concerns a speak-up case, so its address and words are
    sealed at rest and its dedupe key is stored only as a keyed hash.
    """

    dedupe_key: str
    address: Address
    reply: Reply
    due_at: datetime
    sealed: bool = False


class Sender(Protocol):
    """One per platform, registered with the delivery worker by the composition root."""

    async def resolve(self, person: PersonAddress) -> Conversation | None:
        """Open (or find) the person's direct conversation with peerbot, for someone with
        no stored reference; None when the platform cannot start one (Teams can only for
        someone peerbot is installed for, or who shares a team with it: else it refuses,
        and `send` raises). Raises DeliveryFailed as `send` does."""
        ...

    async def send(self, address: Conversation, reply: Reply, *, key: str) -> None:
        """Deliver, marked with `key` where the platform keeps such marks, or raise
        DeliveryFailed. Any other exception counts as the platform's (a dropped
        connection, a timeout) and leaves the send in doubt."""
        ...

    async def already_sent(self, address: Conversation, key: str) -> bool:
        """Whether a message marked with `key` is already there. Asked before sending a
        row whose earlier send may have happened; a platform that cannot tell says False."""
        ...


class DeliveryFailed(Exception):
    """A send that did not go through.

    `permanent` (a deleted channel, a deactivated account) stops retries;
    `retry_after` is the platform's own wait in seconds (HTTP 429 `Retry-After`);
    `transient` says the platform, not the message, is at fault (a 5xx, an outage).
    Neither a 429 nor a transient failure counts as an attempt of the message.
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        transient: bool = False,
    ):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.transient = transient or retry_after is not None


class Unsealable(Exception):
    """A speak-up message cannot be queued without a sealing key: it is never stored plain."""


async def enqueue(
    session: AsyncSession, item: Outgoing, *, now: datetime, sealer: Sealer | None = None
) -> bool:
    """Queue a message; False when its dedupe key was queued before (by anyone, ever)."""
    if not item.sealed:
        return await outbox_rows.enqueue(session, _plain(item, now))
    address, reply = address_to_json(item.address), reply_to_json(item.reply)
    if sealer is None:
        raise Unsealable("a speak-up message needs the sealing key to be queued")
    newest, *older = (f"sealed:{tag}" for tag in sealer.tags("outbox", item.dedupe_key))
    if older and await outbox_rows.any_queued(session, older):
        return False  # queued before the newest key was added
    row = OutboxRow(
        dedupe_key=newest,
        platform=item.address.platform,
        sealed=seal(sealer, {"address": address, "reply": reply}),
        due_at=item.due_at,
        created_at=now,
    )
    return await outbox_rows.enqueue(session, row)


async def enqueue_all(
    session: AsyncSession, items: Sequence[Outgoing], *, now: datetime, sealer: Sealer | None = None
) -> int:
    """Queue many messages as `enqueue` queues each, the plain ones a few hundred to a
    statement (a round of 20,000 check-ins); how many were new."""
    plain = [_plain(item, now) for item in items if not item.sealed]
    new = await outbox_rows.enqueue_all(session, plain)
    for item in items:
        if item.sealed:
            new += await enqueue(session, item, now=now, sealer=sealer)
    return new


def _plain(item: Outgoing, now: datetime) -> OutboxRow:
    return OutboxRow(
        dedupe_key=item.dedupe_key,
        platform=item.address.platform,
        address=address_to_json(item.address),
        reply=reply_to_json(item.reply),
        due_at=item.due_at,
        created_at=now,
    )


def contents(row: OutboxRow, sealer: Sealer | None) -> tuple[Address, Reply]:
    """A row's address and message, unsealed when it is a speak-up row."""
    if row.sealed is None:
        assert row.address is not None and row.reply is not None
        return address_from_json(row.address), reply_from_json(row.reply)
    if sealer is None:
        raise DeliveryFailed("no sealing key to open it")
    try:
        opened = open_sealed(sealer, row.sealed)
    except InvalidToken:
        raise DeliveryFailed("sealed under a key no longer listed", permanent=True) from None
    address, reply = opened["address"], opened["reply"]
    assert isinstance(address, dict) and isinstance(reply, dict)
    return address_from_json(address), reply_from_json(reply)


def backoff(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """The wait after the `attempts`-th failure: doubling from `base` up to `cap`, with
    jitter, so rows that failed together (a platform outage) do not retry together."""
    ceiling = min(cap, base * (1 << min(attempts - 1, 20)))
    return ceiling * (0.5 + random.random() / 2)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What happened to one claimed row, written with the rest of its batch's.

    `sent` rows are marked sent together in one statement; any other outcome is written
    by `write` (given the session and the lease); `report` logs and monitors it once
    written, told whether the row was still held.
    """

    row_id: int
    sent: bool
    write: Callable[[AsyncSession, datetime], Awaitable[bool]] | None
    report: Callable[[bool], None]


@dataclass(slots=True)
class _Batch:
    """Rows claimed together and the lease they share, renewed together while worked.

    `lock` orders renewals and the settlement: the outcomes are recorded under the
    lease value in force, never one a renewal is replacing at that moment.
    """

    held: set[int]
    until: datetime
    lost: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    in_flight: set[asyncio.Timeout] = field(default_factory=set)
    outcomes: list[_Outcome] = field(default_factory=list)
    known: dict[PersonAddress, Conversation | None] = field(default_factory=dict)
    """The conversations of the people the batch is for, looked up together."""
    opened: set[PersonAddress] = field(default_factory=set)
    """Those of them whose conversation the platform opened for the batch, to be stored."""
    drawn: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once every row of the batch is under way (or the batch is over): the next
    batch may be claimed."""


class _Pauses:
    """Per platform, until when its sends wait after a 429, in this process: every send
    to a platform waits out its `Retry-After` rather than meeting the limit again. Like
    Teams' Pacer (adapters.teams.pacing), a wait kept in one process; replicas each
    learn of the limit from a 429 of their own."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}

    def hold(self, platform: str, until: datetime) -> None:
        if platform not in self._until or self._until[platform] < until:
            self._until[platform] = until

    def left(self, platform: str, now: datetime) -> float:
        """Seconds until the platform's sends may go again (0 when they may now)."""
        if platform not in self._until:
            return 0.0
        return max((self._until[platform] - now).total_seconds(), 0.0)


class DeliveryWorker:
    """Claims due rows, sends each through its platform's sender, records what happened.

    Rows are claimed with a short lease in one short transaction, sent outside any
    transaction (a slow platform never holds a database lock), `concurrency` at a
    time, and the batch's outcomes are recorded together when it is done, in one
    transaction guarded by the lease (the people's stored conversations are read in
    one before). While a batch is worked its lease is renewed in the background, so a
    slow send keeps its rows and a dead worker's rows are free again within one short
    lease. If a renewal finds the lease run out, the sends in flight are cut off and
    nothing more of the batch is sent: another worker may hold those rows by then.

    A row whose earlier send may have happened (its worker died before recording the
    batch, or the connection dropped mid-request) is not simply sent again: the
    platform is asked first whether a message carrying the row's key is there.

    The platform's troubles are not the message's: a 429 waits exactly its
    `Retry-After`, a 5xx or a dropped connection backs off briefly (capped low,
    so a recovery is used at once), and neither counts towards `max_attempts`. A
    429 whose wait is short beside the lease (at most a third of it) pauses every
    send to that platform in this process, and the row is tried again after the
    pause, still held: no write per 429, and no send meets the limit meanwhile. A
    longer wait, or a second 429 for the same row, puts the row back in the queue,
    due when the wait is over.
    A row gives up for good on a permanent error, after `max_attempts` faults of
    its own, or when it is still unsent `give_up_after` its creation.

    Each try's outcome is told to `monitor` (by platform and kind, nothing else).
    `batch_size` unset claims four rounds of `concurrency` sends at a time (20 at
    least), so a batch's last slow send idles few of the others.
    """

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        clock: Clock,
        *,
        sealer: Sealer | None = None,
        batch_size: int | None = None,
        concurrency: int = 1,
        lease: timedelta = timedelta(seconds=30),
        send_timeout: timedelta = timedelta(seconds=60),
        max_attempts: int = 8,
        give_up_after: timedelta = timedelta(hours=24),
        poll_seconds: float = 5.0,
        backoff_base: timedelta = timedelta(seconds=2),
        backoff_cap: timedelta = timedelta(seconds=30),
        monitor: Monitor = UNMONITORED,
    ) -> None:
        self._db = db
        self._senders = dict(senders)
        self._platforms = sorted(self._senders)
        self._clock = clock
        self._sealer = sealer
        self._concurrency = concurrency
        self._batch_size = batch_size or max(20, 4 * concurrency)
        self._lease = lease
        self._send_timeout = send_timeout.total_seconds()
        self._max_attempts = max_attempts
        self._give_up_after = give_up_after
        self._poll_seconds = poll_seconds
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._monitor = monitor
        self._pauses = _Pauses()
        self._wake = asyncio.Event()
        # Set by stop(): claim nothing more, and cut short any wait for a platform's pause.
        self._halt = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unlisten: Callable[[], None] | None = None

    @property
    def _stopping(self) -> bool:
        return self._halt.is_set()

    async def run_once(self) -> int:
        """Deliver everything due now, batch by batch; returns how many rows were attempted.

        One batch is claimed ahead, its people's conversations looked up, while the one
        before is sent; its sends take the slots that batch's last sends free: claiming
        and recording between batches never leaves a platform's rate limit unused. Once
        stop() has begun, rows claimed but not yet tried are handed back at once.
        """
        slots = asyncio.Semaphore(self._concurrency)
        worked: list[asyncio.Task[int]] = []
        ahead: _Batch | None = None
        async with asyncio.TaskGroup() as batches:
            while not self._stopping and self._platforms:
                async with self._db.session() as session:
                    rows = await outbox_rows.claim_due(
                        session,
                        now=self._clock.now(),
                        platforms=self._platforms,
                        limit=self._batch_size,
                        lease=self._lease,
                    )
                if not rows:
                    break
                lease = rows[0].leased_until  # one claim, one lease for the whole batch
                assert lease is not None
                batch = _Batch(held={r.id for r in rows if r.id is not None}, until=lease)
                worked.append(batches.create_task(self._batch(rows, batch, slots)))
                if len(rows) < self._batch_size:
                    break
                if ahead is not None:
                    await ahead.drawn.wait()
                ahead = batch
        return sum(task.result() for task in worked)

    async def _batch(self, rows: list[OutboxRow], batch: _Batch, slots: asyncio.Semaphore) -> int:
        async with self._renewing(batch):
            return await self._work(rows, batch, slots)

    async def _work(self, rows: list[OutboxRow], batch: _Batch, slots: asyncio.Semaphore) -> int:
        """The batch's rows in turn, each send taking one of the `concurrency` slots; how
        many were tried."""
        waiting = iter(rows)
        tried = 0

        async def lane() -> None:
            nonlocal tried
            for row in waiting:
                async with slots:
                    if await self._deliver(row, batch):
                        tried += 1
            batch.drawn.set()

        try:
            batch.known = await self._conversations(rows)
            async with asyncio.TaskGroup() as lanes:
                for _ in range(min(self._concurrency, len(rows))):
                    lanes.create_task(lane())
        finally:
            batch.drawn.set()
            await self._settled(batch)
        return tried

    async def _settled(self, batch: _Batch) -> None:
        """The batch's outcomes written even when the worker is cut short (stopped in the
        middle of a send that hangs): what was sent is recorded, so never sent again."""
        recording = asyncio.ensure_future(self._settle(batch))
        try:
            await asyncio.shield(recording)
        except asyncio.CancelledError:
            await recording
            raise

    async def _conversations(
        self, rows: list[OutboxRow]
    ) -> dict[PersonAddress, Conversation | None]:
        """The stored conversations of the people these rows are for, in one query."""
        people: dict[PersonAddress, None] = {}
        for row in rows:
            with contextlib.suppress(DeliveryFailed):  # said again when the row is sent
                address, _ = contents(row, self._sealer)
                if isinstance(address, PersonAddress):
                    people[address] = None
        if not people:
            return {}
        async with self._db.session(write=False) as session:
            return await find_all(session, people)

    @contextlib.asynccontextmanager
    async def _renewing(self, batch: _Batch) -> AsyncIterator[None]:
        """Renew the batch's lease every third of it until the batch is done."""
        done = asyncio.Event()
        keeper = asyncio.create_task(self._keep(batch, done), name="outbox-lease")
        try:
            yield
        finally:
            done.set()
            await keeper  # lets a renewal in progress finish, so its lease value is known

    async def _keep(self, batch: _Batch, done: asyncio.Event) -> None:
        every = self._lease.total_seconds() / 3
        while not batch.lost:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), every)
                return
            async with batch.lock:
                if not batch.held:
                    continue
                now = self._clock.now()
                until = now + self._lease
                try:
                    async with self._db.session() as session:
                        renewed = await outbox_rows.renew(
                            session, batch.held, lease=batch.until, until=until, now=now
                        )
                except Exception as exc:  # the database may be briefly away: try again
                    logger.warning("outbox lease renewal failed: %s", type(exc).__name__)
                    continue
                if renewed == len(batch.held):
                    batch.until = until
                    continue
                logger.warning("outbox lease ran out before it was renewed; batch dropped")
                batch.lost = True
                for send in batch.in_flight:  # cut the sends off: the rows are not ours now
                    send.reschedule(asyncio.get_running_loop().time())

    async def _deliver(self, row: OutboxRow, batch: _Batch) -> bool:
        """Send one claimed row and record the outcome; False when it was not tried (its
        lease ran out first, or the worker is stopping and handed it back)."""
        assert row.id is not None
        sender = self._senders[row.platform]
        in_doubt = row.in_doubt
        key = row.dedupe_key
        held = False  # waited out one pause already: a second 429 puts the row back
        while True:
            await self._paused(row.platform)
            if self._stopping:
                batch.outcomes.append(self._released(row))
                return False
            if batch.lost or batch.until <= self._clock.now():
                logger.warning("outbox row %s: lease ran out before its turn; not sent", row.id)
                return False
            try:
                address, reply = contents(row, self._sealer)
                async with asyncio.timeout(self._send_timeout) as bound:
                    batch.in_flight.add(bound)
                    try:
                        where = await self._reach(
                            sender, address, batch, sealed=row.sealed is not None
                        )
                        there = in_doubt and await sender.already_sent(where, key)
                        if there:
                            logger.info(
                                "outbox row %s was delivered before; not sent again", row.id
                            )
                        else:
                            in_doubt = False  # the platform said it is not there
                            await sender.send(where, reply, key=key)
                    finally:
                        batch.in_flight.discard(bound)  # a finished bound cannot be cut short
            except DeliveryFailed as failure:
                if not held and self._held_for(row, failure):
                    held = True
                    continue
                batch.outcomes.append(self._failed(row, failure, in_doubt=in_doubt))
            except Exception as exc:  # a network error, a timeout or a sender bug: retry
                # The exception's text may quote the address or the message: log its kind only.
                logger.warning("outbox row %s: sender raised %s", row.id, type(exc).__name__)
                dropped = DeliveryFailed(type(exc).__name__, transient=True)
                batch.outcomes.append(self._failed(row, dropped, in_doubt=True))
            else:
                batch.outcomes.append(self._sent(row, there=there))
            return True

    def _held_for(self, row: OutboxRow, failure: DeliveryFailed) -> bool:
        """A 429 with a short wait pauses the row's platform, and the row waits it out
        held; True when it does (and is to be tried again)."""
        wait = failure.retry_after
        if wait is None or wait > self._lease.total_seconds() / 3 or self._stopping:
            return False
        self._pauses.hold(row.platform, self._clock.now() + timedelta(seconds=max(wait, 0.0)))
        self._monitor.delivered(row.platform, Delivery.RATE_LIMITED)
        logger.info(
            "outbox: %s asked for a %ss pause; row %s waits it out", row.platform, wait, row.id
        )
        return True

    async def _paused(self, platform: str) -> None:
        """Until the platform's pause is over on the worker's clock, or the worker stops."""
        while (left := self._pauses.left(platform, self._clock.now())) > 0:
            if self._stopping:
                return
            waited = asyncio.ensure_future(self._clock.sleep(left))
            halted = asyncio.ensure_future(self._halt.wait())
            try:
                await asyncio.wait((waited, halted), return_when=asyncio.FIRST_COMPLETED)
            finally:
                waited.cancel()
                halted.cancel()

    async def _settle(self, batch: _Batch) -> None:
        """Write the batch's outcomes, and the conversations opened for it, in one
        transaction under the lease in force."""
        async with batch.lock:
            async with self._db.session() as session:
                held = await outbox_rows.mark_sent(
                    session,
                    [o.row_id for o in batch.outcomes if o.sent],
                    lease=batch.until,
                    now=self._clock.now(),
                )
                for o in batch.outcomes:
                    if o.write is not None and await o.write(session, batch.until):
                        held.add(o.row_id)
                opened = {p: c for p, c in batch.known.items() if p in batch.opened and c}
                await keep_all(session, opened)
            batch.held.difference_update(o.row_id for o in batch.outcomes)
        for o in batch.outcomes:
            o.report(o.row_id in held)

    def _sent(self, row: OutboxRow, *, there: bool) -> _Outcome:
        assert row.id is not None
        row_id, platform = row.id, row.platform

        def report(held: bool) -> None:
            self._monitor.delivered(platform, Delivery.ALREADY_SENT if there else Delivery.SENT)
            if held:
                logger.info("outbox row %s sent to %s", row_id, platform)
            else:
                logger.warning("outbox row %s sent after its lease ran out", row_id)

        return _Outcome(row_id=row_id, sent=True, write=None, report=report)

    def _released(self, row: OutboxRow) -> _Outcome:
        """Handed back untried, free at once for another worker."""
        assert row.id is not None
        row_id = row.id

        async def write(session: AsyncSession, lease: datetime) -> bool:
            return await outbox_rows.release(session, row_id, lease=lease)

        return _Outcome(row_id=row_id, sent=False, write=write, report=lambda held: None)

    async def _reach(
        self, sender: Sender, address: Address, batch: _Batch, *, sealed: bool
    ) -> Conversation:
        """A person is reached through their stored reference, else through a conversation
        their platform opens, which is then stored; never through a guess from their id.

        Not stored for a sealed row: it may be a notice to someone who spoke up, and a
        reference made for it would say that they had.
        """
        if isinstance(address, Conversation):
            return address
        if (known := batch.known.get(address)) is not None:
            return known
        opened = await sender.resolve(address)
        if opened is None:
            raise DeliveryFailed("no conversation with this person yet", permanent=True)
        if not sealed:
            batch.known[address] = opened
            batch.opened.add(address)
        return opened

    def _failed(self, row: OutboxRow, failure: DeliveryFailed, *, in_doubt: bool) -> _Outcome:
        assert row.id is not None
        row_id, platform = row.id, row.platform
        now = self._clock.now()
        attempts, retries = row.attempts, row.retries
        if failure.transient:
            retries += 1
        else:
            attempts += 1
        give_up = (
            failure.permanent
            or attempts >= self._max_attempts
            or now >= row.created_at + self._give_up_after
        )
        if failure.retry_after is not None:
            wait = timedelta(seconds=max(failure.retry_after, 0.0))
        else:
            wait = backoff(attempts + retries, base=self._backoff_base, cap=self._backoff_cap)
        due = now + wait

        async def write(session: AsyncSession, lease: datetime) -> bool:
            return await outbox_rows.mark_unsent(
                session,
                row_id,
                lease=lease,
                attempts=attempts,
                retries=retries,
                error=failure.reason,
                in_doubt=in_doubt,
                retry_at=None if give_up else due,
            )

        def report(held: bool) -> None:
            waited = Delivery.RATE_LIMITED if failure.retry_after is not None else Delivery.RETRYING
            self._monitor.delivered(platform, Delivery.FAILED if give_up else waited)
            if not held:
                logger.warning("outbox row %s failed after its lease ran out", row_id)
            elif give_up:
                logger.warning(
                    "outbox row %s to %s failed for good (%s; %s faults, %s platform retries); "
                    "`peerbot outbox retry %s` sends it again",
                    row_id,
                    platform,
                    failure.reason,
                    attempts,
                    retries,
                    row_id,
                )
            else:
                logger.info(
                    "outbox row %s to %s failed (%s), next try at %s",
                    row_id,
                    platform,
                    failure.reason,
                    due.isoformat(),
                )

        return _Outcome(row_id=row_id, sent=False, write=write, report=report)

    def start(self) -> None:
        """Loop in the background: deliver, then sleep until the next row falls due (at
        most `poll_seconds`, since another replica may queue rows we hear nothing of).

        A row queued here wakes the loop as soon as its transaction commits (the
        database's doorbell, see `_heard`), so a message due at once leaves at once;
        nothing that queues has to remember to wake the worker.
        """
        self._halt.clear()
        self._unlisten = self._db.on_commit(self._heard)
        self._task = asyncio.create_task(self._loop(), name="outbox-delivery")

    def _heard(self, info: Mapping[str, object]) -> None:
        if info.get(outbox_rows.QUEUED):
            self._wake.set()

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (bounds a drain)
        """Drain: claim nothing new, finish the sends in flight, hand back the rest (rows
        waiting out a platform's pause too).

        `timeout` bounds the drain, it does not raise: after it the send is abandoned
        and its row is retried once its lease runs out.
        """
        self._halt.set()
        self._wake.set()
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            logger.warning("outbox worker did not drain in %ss; its leases will run out", timeout)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while not self._stopping:
            # Cleared before looking, so a row queued during the pass is not missed.
            self._wake.clear()
            try:
                await self.run_once()
                pause = await self._pause()
            except Exception as exc:  # the database may be briefly away: keep the worker alive
                logger.error("outbox worker pass failed (%s); trying again shortly", described(exc))
                pause = self._poll_seconds
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    async def _pause(self) -> float:
        """Seconds until the next row falls due or lease runs out, capped by the poll."""
        async with self._db.session() as session:
            when = await outbox_rows.next_due(session, platforms=self._platforms)
        if when is None:
            return self._poll_seconds
        wait = (when - self._clock.now()).total_seconds()
        return min(self._poll_seconds, max(wait, 0.05))
