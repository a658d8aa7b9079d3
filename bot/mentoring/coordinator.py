"""A coordinator's views in chat: their programmes with a button for each tool, programme
health (counts only), the pairs, and one pair with the notes its people chose to share."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import case
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import ButtonPressed
from bot.conversation.replies import Block, Button, Buttons, FieldItem, Fields, Reply, Text
from bot.conversation.services import Services
from bot.mentoring import answers, rounds
from bot.mentoring.actions import ADD_PAIR, HEALTH, OPEN_PAIR, PAIRS, PAUSE, RESUME, SCHEDULE
from bot.mentoring.coordinating import Coordinating, as_coordinator
from bot.mentoring.deps import Mentoring
from bot.mentoring.health import ACTIONS, ANSWERED, Health, health
from bot.mentoring.nudges import pair_ref
from bot.mentoring.payloads import pair_value, programme_value
from bot.mentoring.people import called, members_of, reach
from bot.mentoring.private import opened
from bot.organisation.schedule import schedule_of
from storage.mentoring import CheckIn, Member, Pair, PairRole, PairStatus
from storage.organisation import Programme

LISTED = 15
"""Pairs listed at once: each is two blocks, and a message holds fifty."""
ROLES = {
    PairRole.MENTOR: "Mentor",
    PairRole.MENTEE: "Mentee",
    PairRole.SENIOR: "Senior partner",
    PairRole.FRONTLINE: "Frontline partner",
}
STANDING: dict[str, str] = dict(ANSWERED)
NO_KEY = (
    "People are not asked to write anything, and no actions are kept: peerbot has no "
    "sealing key to keep their words safe (see PEERBOT_SEALING_KEY)."
)


async def menu(session: AsyncSession, programmes: Sequence[Programme], home: str) -> list[Block]:
    """Each programme they coordinate: how many pairs, its schedule, and their tools."""
    live = (
        select(Pair.programme, func.count())
        .where(
            col(Pair.programme).in_([p.key for p in programmes]),
            col(Pair.status).in_((PairStatus.ACTIVE, PairStatus.PAUSED)),
        )
        .group_by(col(Pair.programme))
    )
    counts = dict((await session.exec(live)).all())
    blocks: list[Block] = [Text(text="Programmes you coordinate", heading=True)]
    for programme in programmes:
        schedule = schedule_of(programme, home)
        when = schedule.words() if schedule else "No check-ins yet: press Change schedule."
        pairs = counts.get(programme.key, 0)
        ref = programme_value(programme.key)
        blocks += [
            Text(text=f"{programme.name}: {pairs_of(pairs)}. {when}"),
            Buttons(
                buttons=(
                    Button(label="Programme health", action=HEALTH, value=ref, style="primary"),
                    Button(label="Pairs", action=PAIRS, value=ref),
                    Button(label="Add a pair", action=ADD_PAIR, value=ref),
                    Button(label="Change schedule", action=SCHEDULE, value=ref),
                )
            ),
        ]
    return blocks


def pairs_of(count: int) -> str:
    return f"{count} pair{'' if count == 1 else 's'}"


def health_blocks(found: Health, zone: ZoneInfo, sealed: bool) -> list[Block]:
    """The counts, newest round first, with the stuck pairs to open."""
    pairs = found.pairs
    summary = [
        FieldItem(label="Active pairs", value=str(pairs[PairStatus.ACTIVE])),
        FieldItem(label="Paused", value=str(pairs[PairStatus.PAUSED])),
        FieldItem(label="Left", value=str(pairs[PairStatus.LEFT])),
        FieldItem(label="Ended", value=str(pairs[PairStatus.ENDED])),
        FieldItem(label="Not reachable yet", value=f"{found.unreachable} people"),
    ]
    blocks: list[Block] = [
        Text(text=f"{found.programme.name}: programme health", heading=True),
        Fields(items=tuple(summary)),
    ]
    for counts in found.rounds:
        opened_on = counts.round.opens_at.astimezone(zone)
        label = f"Round of {opened_on.day} {opened_on:%b %Y}"
        if counts.missed:
            blocks.append(Text(text=f"{label}: not asked (peerbot was not running)."))
            continue
        said = ", ".join(f"{counts.answered[a]} {words}" for a, words in ANSWERED)
        quiet = f"{counts.no_answer} no answer"
        blocks.append(Text(text=f"{label}, {pairs_of(counts.pairs)}: {said}, {quiet}."))
    if not found.rounds:
        blocks.append(Text(text="No rounds yet."))
    stuck = len(found.stuck)
    blocks.append(Text(text=f"Pairs that have not met for two rounds running: {stuck}."))
    if found.stuck:
        blocks.append(
            Buttons(
                buttons=tuple(
                    Button(label=f"Pair {p}", action=OPEN_PAIR, value=pair_value(p))
                    for p in found.stuck[:25]
                )
            )
        )
    if found.programme.records_actions:
        agreed = sum(found.actions.values())
        how = ", ".join(f"{found.actions[s]} {words}" for s, words in ACTIONS)
        blocks.append(Text(text=f"Actions agreed: {agreed} ({how})."))
    if given := sum(found.feedback.values()):
        average = found.feedback_average or 0
        blocks.append(Text(text=f"End feedback: {given} given, average {average:.1f} out of 5."))
    if not sealed:
        blocks.append(Text(text=NO_KEY))
    return blocks


async def pressed_health(press: ButtonPressed, services: Services, deps: Mentoring) -> list[Reply]:
    async def work(doing: Coordinating) -> list[Reply]:
        programme = doing.programme_of(press.value)
        found = await health(doing.session, programme, doing.now)
        zone = ZoneInfo(programme.time_zone or doing.home)
        blocks = health_blocks(found, zone, sealed=deps.sealer is not None)
        return [Reply(summary=f"{programme.name}: programme health", blocks=tuple(blocks))]

    return await as_coordinator(services, press.actor, "health", work)


async def pressed_pairs(press: ButtonPressed, services: Services) -> list[Reply]:
    """The programme's pairs, live ones first, newest first, each to open."""

    async def work(doing: Coordinating) -> list[Reply]:
        programme = doing.programme_of(press.value)
        live = case((col(Pair.status).in_((PairStatus.ACTIVE, PairStatus.PAUSED)), 0), else_=1)
        query = (
            select(Pair)
            .where(col(Pair.programme) == programme.key)
            .order_by(live, col(Pair.id).desc())
        )
        pairs = list((await doing.session.exec(query)).all())
        blocks: list[Block] = [Text(text=f"{programme.name}: pairs", heading=True)]
        if not pairs:
            blocks.append(Text(text="No pairs yet. Press Add a pair, or import a CSV file."))
        for pair in pairs[:LISTED]:
            both = await members_of(doing.session, pair.id or 0)
            names = " and ".join(called(m) for m in both)
            blocks += [
                Text(text=f"Pair {pair.id}: {names} ({pair.status})"),
                Buttons(buttons=(Button(label="Open", action=OPEN_PAIR, value=pair_ref(pair)),)),
            ]
        if len(pairs) > LISTED:
            blocks.append(
                Text(
                    text=f"And {len(pairs) - LISTED} more. Programme health lists pairs that "
                    "have not met."
                )
            )
        return [Reply(summary=f"{programme.name}: pairs", blocks=tuple(blocks), ephemeral=True)]

    return await as_coordinator(services, press.actor, "pairs", work)


async def pressed_open_pair(
    press: ButtonPressed, services: Services, deps: Mentoring
) -> list[Reply]:
    """One pair: who, how they stand in recent rounds, and notes they chose to share."""

    async def work(doing: Coordinating) -> list[Reply]:
        pair, programme = await doing.pair_of(press.value)
        both = await members_of(doing.session, pair.id or 0)
        zone = ZoneInfo(programme.time_zone or doing.home)
        people = tuple(
            FieldItem(
                label=ROLES.get(PairRole(m.role), m.role),
                value=f"{called(m)} · {m.email}" + ("" if reach(m) else " · not reachable yet"),
            )
            for m in both
        )
        blocks: list[Block] = [
            Text(text=f"{programme.name}: pair {pair.id}", heading=True),
            Fields(items=(*people, FieldItem(label="Status", value=pair.status))),
            *await _standing(doing.session, pair, zone),
        ]
        if deps.sealer is not None:
            blocks += await _notes(doing.session, pair, both, deps, zone)
        if pair.status == PairStatus.ACTIVE:
            blocks.append(
                Buttons(buttons=(Button(label="Pause", action=PAUSE, value=pair_ref(pair)),))
            )
        elif pair.status == PairStatus.PAUSED:
            blocks.append(
                Buttons(buttons=(Button(label="Resume", action=RESUME, value=pair_ref(pair)),))
            )
        return [Reply(summary=f"Pair {pair.id}", blocks=tuple(blocks), ephemeral=True)]

    return await as_coordinator(services, press.actor, "open_pair", work)


async def _standing(session: AsyncSession, pair: Pair, zone: ZoneInfo) -> list[Block]:
    """The pair's best answer in each of the last few rounds: which answer, never words."""
    recent = (await rounds.of_programme(session, pair.programme))[:4]
    best = await answers.by_pair(session, [r.id for r in recent if r.id is not None])
    items = []
    for round_ in recent:
        local = round_.opens_at.astimezone(zone)
        found = best.get((pair.id or 0, round_.id or 0))
        said = "not asked" if round_.state == "missed" else STANDING.get(found or "", "no answer")
        items.append(FieldItem(label=f"Round of {local.day} {local:%b}", value=said))
    return [Fields(items=tuple(items))] if items else []


async def _notes(
    session: AsyncSession, pair: Pair, both: list[Member], deps: Mentoring, zone: ZoneInfo
) -> list[Block]:
    """The notes people wrote for the coordinator, newest first: the only words of theirs
    a coordinator ever sees, and only because they chose to write them here."""
    assert deps.sealer is not None
    query = (
        select(CheckIn)
        .where(col(CheckIn.pair_id) == pair.id, col(CheckIn.note).is_not(None))
        .order_by(col(CheckIn.changed_at).desc())
        .limit(5)
    )
    names = {m.id: called(m) for m in both}
    items = []
    for checkin in (await session.exec(query)).all():
        local = checkin.changed_at.astimezone(zone)
        items.append(
            FieldItem(
                label=f"{names.get(checkin.member_id, 'Someone')}, {local.day} {local:%b}",
                value=opened(deps.sealer, checkin.note),
            )
        )
    return [Text(text="Notes for you"), Fields(items=tuple(items))] if items else []
