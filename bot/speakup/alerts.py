"""Telling guardians: new cases, deadlines coming, deadlines missed. Always by case code only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.events import Conversation, Platform
from bot.outbox import Outgoing
from bot.replies import Reply, Text
from storage.directory import organisation, role_identities
from storage.organisation import RoleName
from storage.speakup import Case, CaseStatus, open_cases

ACK_WARNING = timedelta(days=2)
FEEDBACK_WARNING = timedelta(days=14)


async def guardian_targets(session: AsyncSession, *, everyone: bool = False) -> list[Conversation]:
    """The guardian space on each platform that has one, else each guardian directly.
    `everyone` adds every guardian directly as well: for escalations."""
    org = await organisation(session)
    spaces = dict(org.guardian_channels) if org else {}
    targets = [
        Conversation(platform=Platform(platform), tenant="", channel_id=channel)
        for platform, channel in spaces.items()
    ]
    for identity in await role_identities(session, RoleName.GUARDIAN):
        if everyone or identity.platform not in spaces:
            targets.append(
                Conversation(
                    platform=Platform(identity.platform),
                    tenant="",
                    channel_id=identity.user_id,
                    user_id=identity.user_id,
                )
            )
    return targets


def day(value: date) -> str:
    return value.strftime("%A %-d %B %Y")


def to_guardians(
    targets: Sequence[Conversation], key: str, text: str, due_at: datetime
) -> list[Outgoing]:
    reply = Reply(summary=text, blocks=(Text(text=text),))
    return [
        Outgoing(
            dedupe_key=f"{key}:{t.platform}:{t.channel_id}", address=t, reply=reply, due_at=due_at
        )
        for t in targets
    ]


async def new_case(session: AsyncSession, case: Case, now: datetime) -> list[Outgoing]:
    text = (
        f"New speak-up case {case.code} ({case.way}). Please acknowledge it by "
        f"{day(case.acknowledge_by)}. Type “case {case.code}” to read it."
    )
    return to_guardians(await guardian_targets(session), f"speakup:new:{case.code}", text, now)


async def deadlines(session: AsyncSession, now: datetime) -> Sequence[Outgoing]:
    """Asked on every tick. What is due comes from each case's own dates, and each message
    has a fixed key, so a restart or a second replica never sends one twice."""
    today = now.date()
    space = await guardian_targets(session)
    everyone = await guardian_targets(session, everyone=True)
    due: list[Outgoing] = []
    for case in await open_cases(session):
        code, ack_by, feedback_by = case.code, day(case.acknowledge_by), day(case.feedback_by)
        look = f"Type “case {code}” to read it."
        if case.status == CaseStatus.NEW and today > case.acknowledge_by:
            text = f"Overdue: case {code} was due to be acknowledged by {ack_by}. {look}"
            due += to_guardians(everyone, f"speakup:ack-overdue:{code}", text, now)
        elif case.status == CaseStatus.NEW and today >= case.acknowledge_by - ACK_WARNING:
            text = f"Reminder: please acknowledge case {code} by {ack_by}. {look}"
            due += to_guardians(space, f"speakup:ack-reminder:{code}", text, now)
        if today > case.feedback_by:
            text = f"Overdue: case {code} was due feedback to its reporter by {feedback_by}. {look}"
            due += to_guardians(everyone, f"speakup:feedback-overdue:{code}", text, now)
        elif today >= case.feedback_by - FEEDBACK_WARNING:
            text = f"Reminder: please give feedback on case {code} by {feedback_by}. {look}"
            due += to_guardians(space, f"speakup:feedback-reminder:{code}", text, now)
    return due
