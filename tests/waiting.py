"""Waiting for what background work does (the outbox worker, the tick, a listener after its
ack): it offers nothing to await, so the test looks again until it is there."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(look: Callable[[], Awaitable[T | None]], *, within: float = 10.0) -> T:
    """`look()`'s first answer that is not None; TimeoutError after `within` seconds."""
    async with asyncio.timeout(within):
        for _ in itertools.count():
            if (found := await look()) is not None:
                return found
            await asyncio.sleep(0.05)
    raise AssertionError("unreachable: the loop ends only by returning or timing out")
