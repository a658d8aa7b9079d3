"""Telling guardians: new cases, deadlines coming, deadlines missed. Always by case code only."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import Address, Conversation, PersonAddress, Platform
from bot.conversation.outbox import Outgoing, enqueue
from bot.conversation.replies import Reply, Text
from bot.conversation.sealing import Sealer
from bot.organisation.orgfile import AlertPolicyEntry
from bot.speakup.cases import Raised
from storage.directory import organisation, role_identities
from storage.organisation import RoleName
from storage.speakup.cases import CaseStatus, open_cases

ACK_WARNING = timedelta(days=2)
FEEDBACK_WARNING = timedelta(days=14)


async def guardian_targets(session: AsyncSession, *, everyone: bool = False) -> list[Address]:
    """The guardian space on each platform that has one, else each guardian directly (as a
    person: the outbox finds their conversation). `everyone` adds every guardian directly
    as well: for escalations."""
    org = await organisation(session)
    spaces = dict(org.guardian_channels) if org else {}
    targets: list[Address] = [
        Conversation(platform=Platform(platform), tenant="", channel_id=channel)
        for platform, channel in spaces.items()
    ]
    for identity in await role_identities(session, RoleName.GUARDIAN):
        if everyone or identity.platform not in spaces:
            targets.append(
                PersonAddress(
                    platform=Platform(identity.platform), tenant="", user_id=identity.user_id
                )
            )
    return targets


def where(target: Address) -> str:
    return target.user_id if isinstance(target, PersonAddress) else target.channel_id


def day(value: date) -> str:
    return value.strftime("%A %-d %B %Y")


def to_guardians(
    targets: Sequence[Address], key: str, text: str, due_at: datetime
) -> list[Outgoing]:
    """Sealed like every speak-up message: the outbox never shows a case code in clear."""
    reply = Reply(summary=text, blocks=(Text(text=text),))
    return [
        Outgoing(
            dedupe_key=f"{key}:{t.platform}:{where(t)}",
            address=t,
            reply=reply,
            due_at=due_at,
            sealed=True,
        )
        for t in targets
    ]


async def policy(session: AsyncSession) -> tuple[AlertPolicyEntry, ZoneInfo]:
    org = await organisation(session)
    if org is None:
        return AlertPolicyEntry(), ZoneInfo("UTC")
    return AlertPolicyEntry.model_validate(org.speakup_alerts), ZoneInfo(org.time_zone)


def digest_slots(
    rule: AlertPolicyEntry, zone: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    """The digest time at or before `now`, and the next one after it, in the organisation's
    zone (so 09:00 stays 09:00 across the clock change)."""
    local = now.astimezone(zone)
    times = [time.fromisoformat(t) for t in rule.digest_at]
    candidates = [
        datetime.combine(local.date() + timedelta(days=d), t, zone)
        for d in (-1, 0, 1)
        for t in times
    ]
    last = max(c for c in candidates if c <= local)
    after = min(c for c in candidates if c > local)
    return last.astimezone(UTC), after.astimezone(UTC)


def alert_time(rule: AlertPolicyEntry, zone: ZoneInfo, now: datetime) -> datetime:
    """When an alert about something a reporter just did may go out under the policy."""
    if rule.policy == "random_delay":
        return now + timedelta(seconds=secrets.randbelow(rule.max_delay_minutes * 60 + 1))
    if rule.policy == "digest":
        return digest_slots(rule, zone, now)[1]
    return now


async def new_case(session: AsyncSession, raised: Raised, now: datetime) -> list[Outgoing]:
    """Nothing under the digest policy: the next digest lists every case waiting."""
    rule, zone = await policy(session)
    if rule.policy == "digest":
        return []
    code = raised.code
    text = (
        f"New speak-up case {code} ({raised.way}). Please acknowledge it by "
        f"{day(raised.acknowledge_by)}. Type “case {code}” to read it."
    )
    targets = await guardian_targets(session)
    return to_guardians(targets, f"speakup:new:{code}", text, alert_time(rule, zone, now))


async def reporter_added(
    session: AsyncSession, code: str, about: str, now: datetime
) -> list[Outgoing]:
    """Timed like a new case: when the reporter came back is as telling as when they wrote.
    So `about` (what was added) keys it, never the time, which would be the reporter's."""
    rule, zone = await policy(session)
    text = f"The reporter of case {code} has added to it. Type “case {code}” to read it."
    at = alert_time(rule, zone, now)
    return to_guardians(await guardian_targets(session), f"speakup:added:{code}:{about}", text, at)


async def queue(session: AsyncSession, alerts: list[Outgoing], sealer: Sealer) -> None:
    """Each alert is queued as if at its own time: under a delay or a digest policy the row
    must not keep the moment the reporter acted, or the policy would hide nothing."""
    for alert in alerts:
        await enqueue(session, alert, now=alert.due_at, sealer=sealer)


async def digest(session: AsyncSession, now: datetime) -> Sequence[Outgoing]:
    """At each digest time, one message to the guardians' space, even when nothing waits:
    a message that only came when there was news would tell when someone spoke up."""
    rule, zone = await policy(session)
    if rule.policy != "digest":
        return []
    slot, _next = digest_slots(rule, zone, now)
    waiting = [c for c in await open_cases(session) if c.status == CaseStatus.NEW]
    when = slot.astimezone(zone).strftime("%-d %B, %H:%M")
    if waiting:
        codes = ", ".join(c.code for c in waiting)
        count = "1 case is" if len(waiting) == 1 else f"{len(waiting)} cases are"
        text = (
            f"Speak-up digest, {when}: {count} waiting for acknowledgement: {codes}. "
            "Type “case” and a code to read one."
        )
    else:
        text = f"Speak-up digest, {when}: no cases are waiting for acknowledgement."
    return to_guardians(
        await guardian_targets(session), f"speakup:digest:{slot.isoformat()}", text, now
    )


async def due(session: AsyncSession, now: datetime) -> Sequence[Outgoing]:
    """Everything the speak-up feature has due on a tick."""
    return [*await deadlines(session, now), *await digest(session, now)]


def week_of(start: date, today: date) -> str:
    """Which week since `start` today is in. A deadline alert is keyed by it: due again a
    week on (a reminder, an escalation) but never sooner, and a key that changes weekly
    cannot come back after the outbox has deleted its delivered row (kept a week at least)."""
    return f"w{(today - start).days // 7}"


async def deadlines(session: AsyncSession, now: datetime) -> Sequence[Outgoing]:
    """Asked on every tick. What is due comes from each case's own dates, and each message
    has a fixed key for its week, so a restart or a second replica never sends one twice."""
    today = now.date()
    space = await guardian_targets(session)
    everyone = await guardian_targets(session, everyone=True)
    due: list[Outgoing] = []
    for case in await open_cases(session):
        code, ack_by, feedback_by = case.code, day(case.acknowledge_by), day(case.feedback_by)
        look = f"Type “case {code}” to read it."
        if case.status == CaseStatus.NEW and today > case.acknowledge_by:
            text = f"Overdue: case {code} was due to be acknowledged by {ack_by}. {look}"
            week = week_of(case.acknowledge_by + timedelta(days=1), today)
            due += to_guardians(everyone, f"speakup:ack-overdue:{code}:{week}", text, now)
        elif case.status == CaseStatus.NEW and today >= case.acknowledge_by - ACK_WARNING:
            text = f"Reminder: please acknowledge case {code} by {ack_by}. {look}"
            week = week_of(case.acknowledge_by - ACK_WARNING, today)
            due += to_guardians(space, f"speakup:ack-reminder:{code}:{week}", text, now)
        if today > case.feedback_by:
            text = f"Overdue: case {code} was due feedback to its reporter by {feedback_by}. {look}"
            week = week_of(case.feedback_by + timedelta(days=1), today)
            due += to_guardians(everyone, f"speakup:feedback-overdue:{code}:{week}", text, now)
        elif today >= case.feedback_by - FEEDBACK_WARNING:
            text = f"Reminder: please give feedback on case {code} by {feedback_by}. {look}"
            week = week_of(case.feedback_by - FEEDBACK_WARNING, today)
            due += to_guardians(space, f"speakup:feedback-reminder:{code}:{week}", text, now)
    return due
