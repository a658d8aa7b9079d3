"""`mentoring` (and `/mentoring`, help's button, the home page): for someone in a pair, their
pairing and how this round stands; for a coordinator, their programmes and tools; for
anyone else, the programmes and whom to contact about joining."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import Actor, Command, PersonAddress
from bot.conversation.replies import Block, FieldItem, Fields, People, Reply, Text, When
from bot.conversation.services import Services
from bot.mentoring import agreed, coordinator, myhours, rounds
from bot.mentoring.checkin import ANSWERS
from bot.mentoring.deps import Mentoring
from bot.mentoring.hours import shifts_of
from bot.mentoring.notify import home_zone
from bot.mentoring.nudges import member_buttons
from bot.mentoring.people import called, coordinated, id_on, members_of, memberships, partner
from bot.organisation.people import group_directory
from bot.organisation.schedule import schedule_of
from storage.directory import active_programmes, people_with_role
from storage.directory import programme as programme_named
from storage.mentoring import CheckIn, Member, Pair, PairStatus
from storage.organisation import Programme, ProgrammeKind, RoleName

KIND_NAMES = {
    ProgrammeKind.MENTORING: "Mentoring",
    ProgrammeKind.REVERSE_MENTORING: "Reverse mentoring",
    ProgrammeKind.EXECUTIVE_PAIRING: "Executive pairing",
}
SAID = {o.value: o.label for o in ANSWERS}


def describe(programme: Programme) -> str:
    kind = KIND_NAMES.get(ProgrammeKind(programme.kind), programme.kind)
    detail = f" {programme.description}" if programme.description else ""
    return f"{programme.name} ({kind}).{detail}"


async def show(command: Command, services: Services, deps: Mentoring) -> list[Reply]:
    """`mentoring hours` is the hours form; plain `mentoring` is this person's page."""
    if command.args and command.args[0].lower() == "hours":
        return await myhours.asked(replace(command, args=command.args[1:]), services)
    blocks = await page(command.actor, services, deps)
    if blocks:
        return [Reply(summary="Your mentoring", blocks=tuple(blocks))]
    return [await directory(services)]


async def page(actor: Actor, services: Services, deps: Mentoring) -> list[Block]:
    """Their pairs, then the programmes they coordinate; nothing for anyone else (the home
    page then says nothing of mentoring, so nobody learns who coordinates what from it)."""
    now = services.clock.now()
    async with services.db.session(write=False) as session:
        home = await home_zone(session)
        blocks: list[Block] = []
        for me, pair in await memberships(session, actor):
            blocks += await _pairing(session, actor, me, pair, now, home, deps)
        if programmes := await coordinated(session, actor):
            blocks += await coordinator.menu(session, list(programmes.values()), home)
    return blocks


async def _pairing(
    session: AsyncSession,
    actor: Actor,
    me: Member,
    pair: Pair,
    now: datetime,
    home: str,
    deps: Mentoring,
) -> list[Block]:
    programme = await programme_named(session, pair.programme)
    assert programme is not None and pair.id is not None
    them = partner(await members_of(session, pair.id), me)
    blocks: list[Block] = [Text(text=programme.name, heading=True), _partner(actor, them)]
    blocks += await _this_round(session, me, pair, programme, now, home)
    if programme.records_actions:
        blocks += agreed.blocks(await agreed.of_pair(session, pair.id), deps.sealer)
    blocks.append(member_buttons(pair))
    return blocks


def _partner(actor: Actor, them: Member) -> Block:
    """By the name the coordinator gave; without one, as the viewer's platform shows people
    when they are on it (a Slack mention names them to each viewer), by email where it
    cannot (a Teams card would show an Entra object id), and by email when they are not."""
    user_id = id_on(them, actor.platform)
    if user_id and not them.name:
        person = PersonAddress(platform=actor.platform, tenant="", user_id=user_id)
        return People(label="Your partner", people=(person,), named=(them.email,))
    return Fields(items=(FieldItem(label="Your partner", value=called(them)),))


async def _this_round(
    session: AsyncSession, me: Member, pair: Pair, programme: Programme, now: datetime, home: str
) -> list[Block]:
    if pair.status == PairStatus.PAUSED:
        return [Text(text="Your pairing is paused. Press Resume when you're ready.")]
    blocks: list[Block] = []
    if me.snoozed_until is not None and me.snoozed_until > now:
        zone = (await shifts_of(session, [me.email], home))[me.email].zone
        local = me.snoozed_until.astimezone(zone)
        blocks.append(Text(text=f"Check-ins are snoozed until {local:%a} {local.day} {local:%b}."))
    open_now = await rounds.open_rounds(session, pair.programme, now)
    if not open_now:
        schedule = schedule_of(programme, home)
        coming = rounds.next_opening(schedule, now) if schedule else None
        if coming is None:
            return [*blocks, Text(text="No check-in is open just now.")]
        return [*blocks, When(label="Next check-in", at=coming)]
    round_ = open_now[-1]
    said = select(CheckIn.answer).where(
        col(CheckIn.member_id) == me.id, col(CheckIn.round_id) == round_.id
    )
    answer = (await session.exec(said)).first()
    if answer is None:
        text = "Your check-in for this round is waiting for you."
    else:
        text = f"You've checked in this round: {SAID.get(answer, answer)}. You can change it."
    return [*blocks, Text(text=text), When(label="This round closes", at=round_.closes_at)]


async def directory(services: Services) -> Reply:
    """The programmes and their coordinators: whom to contact about joining."""
    async with services.db.session(write=False) as session:
        programmes = await active_programmes(session)
        coordinators = await people_with_role(session, RoleName.COORDINATOR)
    groups = [(describe(p), coordinators.get(p.key, [])) for p in programmes]
    return group_directory(
        title="Mentoring programmes",
        groups=groups,
        role="Coordinator",
        empty="No mentoring programmes are listed yet.",
        next_step="To join a programme, contact its coordinator.",
    )
