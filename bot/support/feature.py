"""Support: the organisation's wellbeing and peer-support resources, and always crisis contacts."""

from __future__ import annotations

from bot.conversation.inbound import Actor, Command
from bot.conversation.replies import Block, Reply, Text
from bot.conversation.router import Feature
from bot.conversation.services import Services
from bot.organisation.resources import crisis_blocks, crisis_section, load, resource_fields


async def crisis_home(_actor: Actor, services: Services) -> list[Block]:
    return await crisis_blocks(services)


async def show(_command: Command, services: Services) -> list[Reply]:
    resources, crisis = await load(services)
    blocks: list[Block] = [Text(text="Support for you", heading=True)]
    if resources:
        blocks += [
            Text(text="You don't have to cope alone. These are here for you:"),
            resource_fields(resources),
        ]
    blocks += crisis_section(crisis)
    return [Reply(summary="Support and crisis contacts", blocks=tuple(blocks))]


FEATURE = Feature(
    name="support",
    title="Support",
    summary="Wellbeing and peer-support services, and who to call in a crisis.",
    commands={"support": show, "wellbeing": show, "crisis": show},
    home=crisis_home,
)
