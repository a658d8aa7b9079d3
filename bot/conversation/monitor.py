"""What the outbox worker and the tick tell monitoring, in words from small fixed sets."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Delivery(StrEnum):
    """How one try at a queued message ended. Never who it was for or what it said: a
    monitoring system keeps labels for months, beyond any retention peerbot promises."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"
    """Its send was in doubt and the platform showed it there: not sent twice."""
    RATE_LIMITED = "rate_limited"
    RETRYING = "retrying"
    """It failed (the platform down, or the message's own fault) and is due again later."""
    FAILED = "failed"
    """It gave up for good: `peerbot outbox retry` sends it again."""


class Monitor(Protocol):
    """Told what the core's background work did, for counting; the composition root passes
    one in (adapters.metrics), and without it nothing is counted."""

    def delivered(self, platform: str, outcome: Delivery) -> None: ...

    def ticked(self, seconds: float, *, queued: int, failed: int) -> None:
        """A tick took `seconds`, queued `queued` new messages and had `failed` due
        sources fail (each rolled back alone)."""
        ...


class Unmonitored:
    """Counts nothing: for tools and tests that run a worker or a tick without a server."""

    def delivered(self, platform: str, outcome: Delivery) -> None:
        pass

    def ticked(self, seconds: float, *, queued: int, failed: int) -> None:
        pass


UNMONITORED = Unmonitored()
