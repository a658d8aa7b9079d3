"""Answering on any chat platform: the core asked patiently, the reply plan carried out step
by step, and a post the platform could not take just now queued in the outbox instead."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from adapters.acked import AckedWork
from adapters.patience import GaveUp, patiently
from adapters.runtime import Runtime
from bot.conversation.errors import described
from bot.conversation.inbound import Address, InboundEvent
from bot.conversation.outbox import Outgoing, Unsealable, enqueue
from bot.conversation.plan import Post, Step
from bot.conversation.replies import Reply, say
from storage.engine import BUSY, in_doubt
from storage.seen import SeenKeys

logger = logging.getLogger(__name__)

SENDING_AT_ONCE = 16
"""Answers being worked out at once, and answers being rendered and sent at once; more wait
their turn (see `replies` and `carry_out`)."""
TRY_LATER = "Sorry, I can't do that right now. Please try again in a minute."

StepRunner = Callable[[int, Step], Awaitable[None]]
"""Carries out step number n of the plan on the platform, or raises what its sends raise."""


@dataclass(frozen=True, kw_only=True)
class Answering:
    """One per platform. `errors` are what its sends raise when they fail; `for_later`
    says which of those are worth trying again later (an outage, a rate limit, a dropped
    connection) rather than a refusal that would fail the same way again. `acked` is the
    work the platform has its ack for, finished before shutdown."""

    runtime: Runtime
    platform: str
    errors: tuple[type[Exception], ...]
    for_later: Callable[[Exception], bool]
    acked: AckedWork = field(default_factory=AckedWork)
    turns: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(SENDING_AT_ONCE))
    seen: SeenKeys = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "seen", SeenKeys(self.runtime.db, self.runtime.clock.now))

    async def first_delivery(self, key: str) -> bool:
        """A platform retries a delivery whose ack was late or lost; the first one wins.

        Checked after the ack, so the ack never waits for the database; the checks of
        concurrent deliveries are committed together (storage.seen.SeenKeys).

        A try whose link to the database dropped as it committed may have recorded the key
        without hearing so; the next try then finds it recorded. That delivery is answered
        rather than taken for a retry: silence would lose it, while a second answer needs
        the platform's own retry to land in that same moment.
        """
        platform = self.platform
        doubted = False

        async def record() -> bool:
            nonlocal doubted
            try:
                return await self.seen.first_time(f"{platform}:{key}")
            except BUSY as exc:
                doubted = doubted or in_doubt(exc)
                raise

        try:
            if await patiently(record, what=f"{platform}: recording a delivery"):
                return True
        except GaveUp:
            return True  # answer (with an apology, most likely) rather than stay silent
        if doubted:
            logger.warning(
                "%s: %s may have been recorded as the link dropped; answered", platform, key
            )
            return True
        logger.info("%s: %s already handled; retry ignored", platform, key)
        return False

    async def within(self, event: InboundEvent, seconds: float) -> list[Reply] | None:
        """The core's answer within the platform's deadline for a form or a dialog, or None
        when it could not give one (the database busy, or the answer late).

        Work still running at the deadline is left to finish, never cut off half-way: a
        speak-up form it saves keeps its receipt, so sending it again gets the same case
        rather than a second one.
        """
        runtime, platform = self.runtime, self.platform
        task = asyncio.create_task(runtime.router.handle(event, runtime.services))
        done, _ = await asyncio.wait({task}, timeout=seconds)
        if not done:
            logger.warning("%s: an answer took over %ss; asked to send again", platform, seconds)
            self.acked.track(task)
            task.add_done_callback(self._finished)
            return None
        try:
            return task.result()
        except BUSY as exc:
            logger.warning("%s: a form met a busy database (%s)", platform, described(exc))
            return None

    def _finished(self, task: asyncio.Task[list[Reply]]) -> None:
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.warning("%s: a late answer finished with %s", self.platform, described(exc))

    async def replies(self, event: InboundEvent) -> list[Reply]:
        """The core's answer, after the platform's ack: a busy database is waited out, and
        one that stays busy gets the person an apology rather than silence.

        Answers are worked out in turns, as they are sent: in a burst, a thousand answers
        under way at once would each wait for one of the database pool's connections (past
        its timeout, into "busy"), hold their rows in memory meanwhile, and crowd the event
        loop ahead of the acks of new requests.
        """
        runtime = self.runtime
        try:
            async with self.turns:
                return await patiently(
                    lambda: runtime.router.handle(event, runtime.services),
                    what=f"{self.platform}: answering",
                )
        except GaveUp:
            return [say(TRY_LATER, ephemeral=True)]

    async def carry_out(
        self, steps: Sequence[Step], event: InboundEvent, run: StepRunner, *, origin: str | None
    ) -> None:
        """Each step of the reply plan (bot.conversation.plan) in turn.

        A message the platform could not take just now goes to the outbox instead, keyed
        by `origin`, the platform's own id for what the person did, so the same delivery
        twice queues it once; a view (a form, a dialog) cannot be shown later.

        Answers take turns: in a burst, events already acknowledged wait here rather than
        crowd the event loop, so the acks of new ones are not held up behind them.
        """
        async with self.turns:
            for index, step in enumerate(steps):
                try:
                    await run(index, step)
                except self.errors as exc:
                    if not self.for_later(exc):
                        raise
                    await self._instead(index, step, event, exc, origin)

    async def _instead(
        self, index: int, step: Step, event: InboundEvent, exc: Exception, origin: str | None
    ) -> None:
        platform = self.platform
        if not isinstance(step, Post):
            logger.warning(
                "%s: a view failed (%s); it cannot be shown later", platform, described(exc)
            )
            return
        if origin is None:  # the platforms always send one: without it, no key
            logger.warning(
                "%s: a reply failed (%s); with no id from the platform it is not queued",
                platform,
                described(exc),
            )
            return
        item = self.later(f"{platform}-reply:{origin}:{index}", step.later, step.reply, event)
        await self.queue(item, f"a reply failed ({described(exc)})")

    def later(self, key: str, address: Address, reply: Reply, event: InboundEvent) -> Outgoing:
        """A reply to `event` for the outbox, due now: speak-up words wait there only sealed."""
        return Outgoing(
            dedupe_key=key,
            address=address,
            reply=reply,
            due_at=self.runtime.clock.now(),
            sealed=self.runtime.router.confidential(event),
        )

    async def queue(self, item: Outgoing, why: str, *, level: int = logging.WARNING) -> None:
        """Into the outbox, patiently; `why` says what it stands for (a failed send, said by
        the error's kind alone), logged at `level`."""
        runtime, platform = self.runtime, self.platform

        async def put() -> None:
            async with runtime.db.session() as session:
                await enqueue(session, item, now=runtime.clock.now(), sealer=runtime.sealer)

        try:
            await patiently(put, what=f"{platform}: queueing a reply")
        except (GaveUp, Unsealable) as cause:
            logger.error("%s: %s and could not be queued (%s)", platform, why, described(cause))
            return
        logger.log(level, "%s: %s; queued for the outbox as %s", platform, why, item.dedupe_key)
