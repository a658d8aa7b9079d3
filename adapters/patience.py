"""Work done after a platform's ack waits out a busy database instead of failing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.conversation.errors import described
from storage.engine import BUSY, unreachable

logger = logging.getLogger(__name__)
T = TypeVar("T")


class GaveUp(Exception):
    """The database stayed busy past the deadline; the work was not done."""


AWAY_FOR = 5.0
"""Seconds a database that cannot be reached at all is waited for: a dropped link or a
pool reconnecting is over by then, and a real outage is not, so the person hears "try
again in a minute" within seconds rather than waiting out the locked-database deadline."""


async def patiently(
    work: Callable[[], Awaitable[T]],
    *,
    what: str,
    deadline: float = 300.0,
    away_for: float = AWAY_FOR,
    first_wait: float = 0.5,
    longest_wait: float = 10.0,
) -> T:
    """`work()`, tried again while the database is locked or away (storage.engine.BUSY).

    The platform has its ack already, so nobody is waiting on this request; a person's
    message is done late rather than dropped. Each try must be its own transaction, so a
    failed one left nothing behind. Raises GaveUp after `deadline` seconds of trying, or
    `away_for` seconds when the database cannot be reached at all (storage.engine.
    unreachable): a lock passes, an outage may not, and the person should hear so.
    """
    began = time.monotonic()
    wait = first_wait
    while True:
        try:
            return await work()
        except BUSY as exc:
            until = began + (away_for if unreachable(exc) else deadline)
            if time.monotonic() + wait > until:
                logger.warning("%s: database still busy (%s); giving up", what, described(exc))
                raise GaveUp(what) from None
            logger.warning("%s: database busy (%s); trying again", what, described(exc))
        await asyncio.sleep(wait)
        wait = min(wait * 2, longest_wait)
