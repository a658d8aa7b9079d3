"""Teams' rate limits, kept before Microsoft has to enforce them with a 429."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    seconds: float


PER_CONVERSATION = (Limit(7, 1.0), Limit(60, 30.0))
"""What Teams allows a bot in one conversation (it also counts 1,800 an hour, which these
two already keep below)."""
PER_TENANT = (Limit(30, 1.0),)
"""About what Teams allows a bot across one organisation."""
REMEMBERED = 10_000
"""Conversations whose recent sends are kept; older ones are forgotten once quiet."""


class Pacer:
    """Sliding windows per conversation and per tenant: `turn` waits until one more
    message fits every window, then counts it. In one process; replicas each keep their
    own, and a 429 that still comes is honoured through the outbox (Retry-After)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[tuple[str, str], deque[float]] = {}

    async def turn(self, conversation: str, tenant: str) -> None:
        keys = (
            (("conversation", conversation), PER_CONVERSATION),
            (("tenant", tenant), PER_TENANT),
        )
        while True:
            now = self._clock()
            wait = max(self._wait(key, limits, now) for key, limits in keys)
            if wait <= 0:  # nothing awaited since the windows were read: counted at once
                for key, limits in keys:
                    self._count(key, limits, now)
                return
            await self._sleep(wait)

    def _wait(self, key: tuple[str, str], limits: tuple[Limit, ...], now: float) -> float:
        sent = self._sent.get(key, ())
        waits = [
            sent[-limit.count] + limit.seconds - now for limit in limits if len(sent) >= limit.count
        ]
        return max(waits, default=0.0)

    def _count(self, key: tuple[str, str], limits: tuple[Limit, ...], now: float) -> None:
        sent = self._sent.get(key)
        if sent is None:
            if len(self._sent) >= REMEMBERED:
                self._forget(now)
            sent = self._sent[key] = deque(maxlen=max(limit.count for limit in limits))
        sent.append(now)

    def _forget(self, now: float) -> None:
        longest = max(limit.seconds for limit in (*PER_CONVERSATION, *PER_TENANT))
        for key in [k for k, sent in self._sent.items() if sent[-1] < now - longest]:
            del self._sent[key]
