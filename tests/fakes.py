"""Recording fakes: a clock you can move and a sender that keeps what it was given."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.conversation.inbound import Conversation, PersonAddress
from bot.conversation.monitor import Delivery
from bot.conversation.outbox import DeliveryFailed
from bot.conversation.replies import Reply


@dataclass
class FakeClock:
    current: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)

    async def sleep(self, seconds: float) -> None:
        """The wait passes at once: the clock moves on by it."""
        self.advance(seconds=seconds)
        await asyncio.sleep(0)


@dataclass
class RecordingSender:
    """Keeps every delivery and its key, like a platform that keeps message metadata;
    `failures` are raised first, one per send, in order. `people` are those it can open a
    conversation with, by user id."""

    sent: list[tuple[Conversation, Reply]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    failures: list[DeliveryFailed | Exception] = field(default_factory=list)
    attempts: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    people: dict[str, Conversation] = field(default_factory=dict)

    async def resolve(self, person: PersonAddress) -> Conversation | None:
        return self.people.get(person.user_id)

    async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((address, reply))
        self.keys.append(key)
        self.arrived.set()

    async def already_sent(self, address: Conversation, key: str) -> bool:
        return key in self.keys


@dataclass
class RecordingMonitor:
    """Keeps what the core told monitoring: each delivery's platform and outcome, each
    tick's (queued, failed), and how many look-ups the guess limit refused."""

    deliveries: list[tuple[str, Delivery]] = field(default_factory=list)
    ticks: list[tuple[int, int]] = field(default_factory=list)
    refused: int = 0

    def delivered(self, platform: str, outcome: Delivery) -> None:
        self.deliveries.append((platform, outcome))

    def ticked(self, seconds: float, *, queued: int, failed: int) -> None:
        assert seconds >= 0
        self.ticks.append((queued, failed))

    def lookup_refused(self) -> None:
        self.refused += 1
