"""Handlers that need a feature's own dependencies (speak-up's sealer, events' sealer),
given them once when the feature is built, so the router table stays a plain table and
`Services` keeps only what every feature needs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.conversation.inbound import ButtonPressed, Command, FormSubmitted
from bot.conversation.replies import Reply
from bot.conversation.services import Services

E = TypeVar("E", Command, ButtonPressed, FormSubmitted)
D = TypeVar("D")
K = TypeVar("K")
Handler = Callable[[E, Services], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class Needs(Generic[E, D]):
    """A handler taking the feature's dependencies `D` as its third argument."""

    handler: Callable[[E, Services, D], Awaitable[list[Reply]]]

    def given(self, deps: D) -> Handler[E]:
        handler = self.handler

        async def handle(event: E, services: Services) -> list[Reply]:
            return await handler(event, services, deps)

        return handle


def given(table: Mapping[K, Handler[E] | Needs[E, D]], deps: D) -> dict[K, Handler[E]]:
    """The table with every handler that needs `deps` given them."""
    return {k: h.given(deps) if isinstance(h, Needs) else h for k, h in table.items()}
