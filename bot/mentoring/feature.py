"""Mentoring: the organisation's programmes and who coordinates each."""

from __future__ import annotations

from bot.conversation.inbound import Command
from bot.conversation.replies import Reply
from bot.conversation.router import Feature
from bot.conversation.services import Services
from bot.organisation.people import group_directory
from storage.directory import active_programmes, people_with_role
from storage.organisation import Programme, ProgrammeKind, RoleName

KIND_NAMES = {
    ProgrammeKind.MENTORING: "Mentoring",
    ProgrammeKind.REVERSE_MENTORING: "Reverse mentoring",
    ProgrammeKind.EXECUTIVE_PAIRING: "Executive pairing",
}


def describe(programme: Programme) -> str:
    kind = KIND_NAMES.get(ProgrammeKind(programme.kind), programme.kind)
    detail = f" {programme.description}" if programme.description else ""
    return f"{programme.name} ({kind}).{detail}"


async def show(_command: Command, services: Services) -> list[Reply]:
    async with services.db.session(write=False) as session:
        programmes = await active_programmes(session)
        coordinators = await people_with_role(session, RoleName.COORDINATOR)
    groups = [(describe(p), coordinators.get(p.key, [])) for p in programmes]
    return [
        group_directory(
            title="Mentoring programmes",
            groups=groups,
            role="Coordinator",
            empty="No mentoring programmes are listed yet.",
            next_step="To join a programme, contact its coordinator.",
        )
    ]


FEATURE = Feature(
    name="mentoring",
    title="Mentoring",
    summary="Each mentoring programme and the coordinator to contact about joining it.",
    commands={"mentoring": show, "mentor": show},
)
