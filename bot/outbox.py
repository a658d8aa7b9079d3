"""Proactive messages: queueing them, the port that sends them, and the worker that delivers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.codec import address_from_json, address_to_json, reply_from_json, reply_to_json
from bot.events import Conversation
from bot.replies import Reply
from storage import outbox as outbox_rows
from storage.engine import Database
from storage.outbox import OutboxRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outgoing:
    """A message to queue. The same `dedupe_key` is queued at most once, ever."""

    dedupe_key: str
    address: Conversation
    reply: Reply
    due_at: datetime


class Sender(Protocol):
    """One per platform, registered with the delivery worker by the composition root."""

    async def send(self, address: Conversation, reply: Reply) -> None:
        """Deliver or raise DeliveryFailed; any other exception counts as transient."""
        ...


class DeliveryFailed(Exception):
    """A send that did not go through.

    `permanent` (a deleted channel, a deactivated account) stops retries;
    `retry_after` is the platform's own wait in seconds (HTTP 429 `Retry-After`).
    """

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


async def enqueue(session: AsyncSession, item: Outgoing, *, now: datetime) -> bool:
    """Queue a message; False when its dedupe key was queued before (by anyone, ever)."""
    row = OutboxRow(
        dedupe_key=item.dedupe_key,
        platform=item.address.platform,
        address=address_to_json(item.address),
        reply=reply_to_json(item.reply),
        due_at=item.due_at,
        created_at=now,
    )
    return await outbox_rows.enqueue(session, row)


def backoff(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """The wait after the `attempts`-th failure: doubling from `base` up to `cap`, with
    jitter, so rows that failed together (a platform outage) do not retry together."""
    ceiling = min(cap, base * (1 << min(attempts - 1, 20)))
    return ceiling * (0.5 + random.random() / 2)


class DeliveryWorker:
    """Claims due rows, sends each through its platform's sender, records what happened.

    Rows are claimed with a lease in one short transaction, sent outside any
    transaction (a slow platform never holds a database lock), and the outcome is
    recorded in another, guarded by the lease. A send is cut off when its lease
    runs out, and a claimed row whose lease ran out before its turn is not sent,
    since another worker may hold it by then: that is what keeps two workers, or
    one slow and one fresh, from sending the same row. A worker that dies mid-send
    leaves rows another takes once the lease runs out; if the platform had already
    accepted that send, the person gets it twice, which is the one duplicate no
    table can rule out without the platform's help.

    A platform's `Retry-After` is obeyed exactly, not combined with our back-off:
    the platform knows its own limits, and waiting longer only delays the message.
    Every failed try, a 429 included, counts towards `max_attempts`.
    """

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        clock: Clock,
        *,
        batch_size: int = 20,
        lease: timedelta = timedelta(minutes=5),
        max_attempts: int = 8,
        poll_seconds: float = 5.0,
        backoff_base: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = timedelta(hours=1),
    ) -> None:
        self._db = db
        self._senders = dict(senders)
        self._platforms = sorted(self._senders)
        self._clock = clock
        self._batch_size = batch_size
        self._lease = lease
        self._max_attempts = max_attempts
        self._poll_seconds = poll_seconds
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """Deliver everything due now, batch by batch; returns how many rows were attempted.

        Once stop() has begun, rows claimed but not yet tried are handed back at once.
        """
        attempted = 0
        while not self._stopping and self._platforms:
            async with self._db.session() as session:
                rows = await outbox_rows.claim_due(
                    session,
                    now=self._clock.now(),
                    platforms=self._platforms,
                    limit=self._batch_size,
                    lease=self._lease,
                )
            for row in rows:
                if self._stopping:
                    await self._release(row)
                elif await self._deliver(row):
                    attempted += 1
            if len(rows) < self._batch_size:
                break
        return attempted

    async def _deliver(self, row: OutboxRow) -> bool:
        """Send one claimed row and record the outcome; False when its lease ran out first."""
        assert row.id is not None and row.leased_until is not None
        left = (row.leased_until - self._clock.now()).total_seconds()
        if left <= 0:
            logger.warning("outbox row %s: lease ran out before its turn; not sent", row.id)
            return False
        attempts = row.attempts + 1
        try:
            async with asyncio.timeout(left):
                await self._senders[row.platform].send(
                    address_from_json(row.address), reply_from_json(row.reply)
                )
        except DeliveryFailed as failure:
            await self._failed(row, attempts, failure)
        except Exception as exc:  # a network error, a timeout or a sender bug: retry
            # The exception's text may quote the address or the message: log its kind only.
            logger.warning("outbox row %s: sender raised %s", row.id, type(exc).__name__)
            await self._failed(row, attempts, DeliveryFailed(type(exc).__name__))
        else:
            async with self._db.session() as session:
                held = await outbox_rows.mark_sent(
                    session,
                    row.id,
                    lease=row.leased_until,
                    attempts=attempts,
                    now=self._clock.now(),
                )
            if held:
                logger.info("outbox row %s sent to %s (attempt %s)", row.id, row.platform, attempts)
            else:
                logger.warning("outbox row %s sent after its lease ran out", row.id)
        return True

    async def _failed(self, row: OutboxRow, attempts: int, failure: DeliveryFailed) -> None:
        assert row.id is not None and row.leased_until is not None
        give_up = failure.permanent or attempts >= self._max_attempts
        if failure.retry_after is not None:
            wait = timedelta(seconds=max(failure.retry_after, 0.0))
        else:
            wait = backoff(attempts, base=self._backoff_base, cap=self._backoff_cap)
        due = self._clock.now() + wait
        async with self._db.session() as session:
            if give_up:
                held = await outbox_rows.mark_failed(
                    session, row.id, lease=row.leased_until, attempts=attempts, error=failure.reason
                )
            else:
                held = await outbox_rows.mark_retry(
                    session,
                    row.id,
                    lease=row.leased_until,
                    attempts=attempts,
                    due_at=due,
                    error=failure.reason,
                )
        if not held:
            logger.warning("outbox row %s failed after its lease ran out", row.id)
        elif give_up:
            logger.warning(
                "outbox row %s to %s failed for good at attempt %s: %s",
                row.id,
                row.platform,
                attempts,
                failure.reason,
            )
        else:
            logger.info(
                "outbox row %s to %s: attempt %s failed (%s), next try at %s",
                row.id,
                row.platform,
                attempts,
                failure.reason,
                due.isoformat(),
            )

    async def _release(self, row: OutboxRow) -> None:
        assert row.id is not None and row.leased_until is not None
        async with self._db.session() as session:
            await outbox_rows.release(session, row.id, lease=row.leased_until)

    def start(self) -> None:
        """Loop in the background: deliver, then sleep until the next row falls due
        (at most `poll_seconds`, since another replica may queue rows we hear nothing of)."""
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="outbox-delivery")

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (bounds a drain)
        """Drain: claim nothing new, finish the send in flight, hand back the rest.

        `timeout` bounds the drain, it does not raise: after it the send is abandoned
        and its row is retried once its lease runs out.
        """
        self._stopping = True
        self._wake.set()
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
            # Cleared before looking, so a wake() during the pass is not lost.
            self._wake.clear()
            try:
                await self.run_once()
                pause = await self._pause()
            except Exception:  # the database may be briefly away: keep the worker alive
                logger.exception("outbox worker pass failed; trying again shortly")
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
