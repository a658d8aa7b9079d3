"""Network events: the staff networks and the leads who run their events."""

from __future__ import annotations

from bot.conversation.inbound import Command
from bot.conversation.replies import Reply
from bot.conversation.router import Feature
from bot.conversation.services import Services
from bot.organisation.people import group_directory
from storage.directory import active_networks, people_with_role
from storage.organisation import RoleName


async def show(_command: Command, services: Services) -> list[Reply]:
    async with services.db.session(write=False) as session:
        networks = await active_networks(session)
        leads = await people_with_role(session, RoleName.NETWORK_LEAD)
    groups = [(f"{n.name}: {n.description}", leads.get(n.key, [])) for n in networks]
    return [
        group_directory(
            title="Staff networks",
            groups=groups,
            role="Lead",
            empty="No staff networks are listed yet.",
            next_step="To hear about events or join a network, contact its lead.",
        )
    ]


FEATURE = Feature(
    name="events",
    title="Staff networks",
    summary="Each staff network and the lead to contact about joining it or its events.",
    commands={"events": show, "networks": show},
)
