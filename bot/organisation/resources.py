"""Support resources and crisis contacts as the organisation lists them, shown alike wherever
a feature offers them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.conversation.replies import Block, FieldItem, Fields, Text
from bot.conversation.services import Services
from bot.organisation.orgfile import DEFAULT_CRISIS
from storage.directory import support_resources
from storage.organisation import SupportResource


class Resource(Protocol):
    """A stored resource or a built-in crisis line: both read the same."""

    @property
    def name(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def contact(self) -> str: ...


async def load(services: Services) -> tuple[list[SupportResource], list[SupportResource]]:
    """Support resources and crisis contacts, each in file order."""
    async with services.db.session(write=False) as session:
        rows = await support_resources(session)
    return [r for r in rows if not r.crisis], [r for r in rows if r.crisis]


def resource_fields(resources: Sequence[Resource]) -> Fields:
    return Fields(
        items=tuple(FieldItem(label=r.name, value=f"{r.purpose} {r.contact}") for r in resources)
    )


def crisis_section(stored: Sequence[Resource]) -> list[Block]:
    """Never empty: before any org file is applied the UK lines stand in, because someone
    may need them tonight."""
    return [
        Text(text="If you or someone else is at risk right now", heading=True),
        resource_fields(stored or DEFAULT_CRISIS),
    ]


async def crisis_blocks(services: Services) -> list[Block]:
    """Who to call now: support shows it on every page, speak-up before anyone writes."""
    _, crisis = await load(services)
    return crisis_section(crisis)
