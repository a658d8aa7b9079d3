"""Work done after a platform's ack waits out a busy database instead of failing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.conversation.errors import described
from storage.engine import BUSY

logger = logging.getLogger(__name__)
T = TypeVar("T")


class GaveUp(Exception):
    """The database stayed busy past the deadline; the work was not done."""


async def patiently(
    work: Callable[[], Awaitable[T]],
    *,
    what: str,
    deadline: float = 300.0,
    first_wait: float = 0.5,
    longest_wait: float = 10.0,
) -> T:
    """`work()`, tried again while the database is locked or away (storage.engine.BUSY).

    The platform has its ack already, so nobody is waiting on this request; a person's
    message is done late rather than dropped. Each try must be its own transaction, so a
    failed one left nothing behind. Raises GaveUp after `deadline` seconds of trying.
    """
    until = time.monotonic() + deadline
    wait = first_wait
    while True:
        try:
            return await work()
        except BUSY as exc:
            if time.monotonic() + wait > until:
                logger.warning("%s: database still busy (%s); giving up", what, described(exc))
                raise GaveUp(what) from None
            logger.warning("%s: database busy (%s); trying again", what, described(exc))
        await asyncio.sleep(wait)
        wait = min(wait * 2, longest_wait)
