"""Support: the organisation's wellbeing and peer-support resources, and always crisis contacts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.events import Actor, Command
from bot.orgfile import DEFAULT_CRISIS
from bot.replies import Block, FieldItem, Fields, Reply, Text
from bot.router import Feature
from bot.services import Services
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


async def _load(services: Services) -> tuple[list[SupportResource], list[SupportResource]]:
    """Support resources and crisis contacts, each in file order."""
    async with services.db.session(write=False) as session:
        rows = await support_resources(session)
    return [r for r in rows if not r.crisis], [r for r in rows if r.crisis]


def _fields(resources: Sequence[Resource]) -> Fields:
    return Fields(
        items=tuple(FieldItem(label=r.name, value=f"{r.purpose} {r.contact}") for r in resources)
    )


def _crisis(stored: Sequence[Resource]) -> list[Block]:
    """Never empty: before any org file is applied the UK lines stand in, because someone
    may need them tonight."""
    return [
        Text(text="If you or someone else is at risk right now", heading=True),
        _fields(stored or DEFAULT_CRISIS),
    ]


async def crisis_home(_actor: Actor, services: Services) -> list[Block]:
    return await crisis_blocks(services)


async def crisis_blocks(services: Services) -> list[Block]:
    _, crisis = await _load(services)
    return _crisis(crisis)


async def show(_command: Command, services: Services) -> list[Reply]:
    resources, crisis = await _load(services)
    blocks: list[Block] = [Text(text="Support for you", heading=True)]
    if resources:
        blocks += [
            Text(text="You don't have to cope alone. These are here for you:"),
            _fields(resources),
        ]
    blocks += _crisis(crisis)
    return [Reply(summary="Support and crisis contacts", blocks=tuple(blocks))]


FEATURE = Feature(
    name="support",
    title="Support",
    summary="Wellbeing and peer-support services, and who to call in a crisis.",
    commands={"support": show, "wellbeing": show, "crisis": show},
    home=crisis_home,
)
