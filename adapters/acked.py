"""Work a platform has its ack for and that is still under way, finished before shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

logger = logging.getLogger(__name__)
Listener = TypeVar("Listener", bound=Callable[..., Awaitable[None]])

DRAIN_WITHIN = 10.0
"""Seconds shutdown waits for acked work. A reply normally takes well under a second and a
busy database is retried within this; it stays well inside the 30 s a container platform
allows between SIGTERM and SIGKILL, leaving the outbox worker time to drain after it."""

MOST_UNDER_WAY = 500
"""Acked pieces of work under way at most before a new request waits for one to finish.
Without a bound, requests coming faster than they are answered piled up in memory (20 s
of overload took `peerbot run` from 117 MB to over 200 MB: bench/memory.py), and more than
could be finished within DRAIN_WITHIN at shutdown. A burst up to it is acked at once."""

ROOM_WITHIN = 1.0
"""Seconds a request waits for room at most, then goes on: a third of the 3 s Slack allows
for an ack. Waiting until room came, a 1,000-person sign-up rush had acks 4 s late at p99
(bench/events_rush.py), and Slack shows a person an error past 3 s; a bounded wait still
slows a sender that keeps 50 requests in flight to 50 a second, below the answers' pace."""


@dataclass(frozen=True, kw_only=True, slots=True)
class AckedWork:
    """The platform was told we received these, so the person expects an answer: shutdown
    waits for them before the database and the outbox close ("nothing lost")."""

    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    most: int = MOST_UNDER_WAY
    freed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    """Set when a piece of work finishes below `most`: what a request waiting for room
    waits on."""

    def track(self, task: asyncio.Task[Any]) -> None:
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if len(self.tasks) < self.most:
            self.freed.set()

    async def room(self, within: float = ROOM_WITHIN) -> None:
        """Wait while `most` pieces of acked work are under way, before taking on more, but
        no longer than `within`: under sustained overload acks slow towards the pace of
        answers, rather than memory growing with everything acked and not yet answered,
        and never so much that the platform gives up on the ack."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while len(self.tasks) >= self.most:
                    self.freed.clear()
                    await self.freed.wait()

    def tracked(self, listener: Listener) -> Listener:
        """`listener`, its run kept track of: bolt runs each listener as a task of its own,
        which nothing else holds once the ack has gone."""

        @functools.wraps(listener)
        async def run(*args: Any, **kwargs: Any) -> None:
            task = asyncio.current_task()
            assert task is not None  # a coroutine function always runs in a task
            self.track(task)
            await listener(*args, **kwargs)

        return cast(Listener, run)

    async def drain(self, within: float = DRAIN_WITHIN) -> None:
        """Wait for the acked work, including any it starts meanwhile; what is left after
        `within` seconds is cancelled, and only counted in the log."""
        if self.tasks:
            logger.info("shutdown: finishing %s acked pieces of work", len(self.tasks))
        try:
            async with asyncio.timeout(within):
                while self.tasks:
                    await asyncio.wait(set(self.tasks))
        except TimeoutError:
            left = set(self.tasks)
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
            logger.warning(
                "shutdown: %s acked pieces of work cancelled after %ss", len(left), within
            )
