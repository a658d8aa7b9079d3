"""Raising a case and coming back to it, with anonymity kept by construction."""

from __future__ import annotations

import asyncio
import calendar
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from cryptography.fernet import MultiFernet
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.codec import address_to_json
from bot.conversation.inbound import Actor, Address
from bot.conversation.sealing import open_sealed, seal
from bot.speakup.attempts import Attempts, Paused
from bot.speakup.codes import (
    DECOY,
    Secret,
    SlowHashes,
    case_code,
    new_secret,
    normalise_code,
)
from bot.speakup.redact import guarded
from storage.engine import Database
from storage.speakup.cases import (
    REPORTER_READS,
    AuditEntry,
    Author,
    Case,
    CaseMessage,
    CaseStatus,
    Way,
    case_by_code,
    code_taken,
)

logger = guarded(__name__)

ACKNOWLEDGE_WITHIN = timedelta(days=7)
FEEDBACK_WITHIN_MONTHS = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Concern:
    """What the person wrote. Only ever stored sealed."""

    what: str
    where_when: str = ""
    outcome: str = ""
    categories: tuple[str, ...] = ()
    detriment: bool | None = None
    unsure: bool = False
    """They answered "not sure" about detriment, which the national figures count as not
    said, but the guardian should hear as they put it."""
    way: Way


@dataclass(frozen=True, slots=True, kw_only=True)
class Raised:
    """Shown once to the reporter: the passphrase is not kept anywhere but as a hash."""

    code: str
    way: Way
    passphrase: str | None
    acknowledge_by: date
    feedback_by: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Reporter:
    """Who raised a confidential or open case. From chat, the actor and where to message
    them; from the web form, only the contact details they chose to give."""

    actor: Actor
    address: Address | None = None
    contact: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseView:
    code: str
    status: CaseStatus
    concern: Concern
    messages: tuple[tuple[str, str], ...]
    feedback: str | None


def add_months(day: date, months: int) -> date:
    """Three months on from 30 November is 28 (or 29) February, not an error."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def needs_passphrase(concern: Concern, reporter: Reporter | None) -> bool:
    """Whenever the chat platform cannot vouch for the person coming back: for every
    anonymous case, and for every case from the web form."""
    return concern.way == Way.ANONYMOUS or reporter is None or reporter.address is None


async def raise_case(
    session: AsyncSession,
    concern: Concern,
    *,
    reporter: Reporter | None,
    sealer: MultiFernet,
    today: date,
    secret: Secret | None = None,
) -> Raised:
    """Store the case sealed. For an anonymous case the reporter is dropped here, before
    anything is written, whatever the caller passed.

    `secret` is the passphrase when one is needed (see needs_passphrase), made by the
    caller outside the transaction; without it one is made here, inside it.
    """
    code = case_code()
    while await code_taken(session, code):
        code = case_code()
    anonymous = concern.way == Way.ANONYMOUS
    if secret is None and needs_passphrase(concern, reporter):
        secret = await asyncio.to_thread(new_secret)
    if secret is not None and not needs_passphrase(concern, reporter):
        raise ValueError("a passphrase is only for a case the chat cannot vouch for")
    identity = None
    if reporter is not None and not anonymous:
        # from the web form only what they typed: nothing about the browser is kept
        who: dict[str, object] = {"contact": reporter.contact}
        if reporter.address is not None:
            who |= {"actor": asdict(reporter.actor), "address": address_to_json(reporter.address)}
        identity = seal(sealer, who)
    case = Case(
        code=code,
        way=concern.way,
        categories=list(concern.categories),
        detriment=concern.detriment,
        sealed=seal(sealer, _concern_json(concern)),
        passphrase_hash=secret.hashed if secret else None,
        reporter_sealed=identity,
        raised_on=today,
        acknowledge_by=today + ACKNOWLEDGE_WITHIN,
        feedback_by=add_months(today, FEEDBACK_WITHIN_MONTHS),
    )
    session.add(case)
    await session.flush()
    logger.info("speak-up case %s raised (%s)", code, concern.way)
    return Raised(
        code=code,
        way=concern.way,
        passphrase=secret.phrase if secret else None,
        acknowledge_by=case.acknowledge_by,
        feedback_by=case.feedback_by,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Key:
    """What a reporter offers to reach their case: the code, the passphrase (anonymous
    cases), and who is asking (confidential and open cases, and the miss counter)."""

    code: str
    passphrase: str
    actor: Actor


@dataclass(frozen=True, slots=True, kw_only=True)
class Guards:
    """What stands between a look-up and a case: the miss counter and the slow-hash queue."""

    attempts: Attempts
    hashes: SlowHashes


async def reporters_case(
    db: Database, key: Key, *, sealer: MultiFernet, guards: Guards, now: datetime
) -> Case | None:
    """The case, or None: one answer for every kind of miss, so a wrong code and a wrong
    passphrase cannot be told apart, by the answer or by its time (every look-up checks
    exactly one slow hash). The look-up is counted before anything is checked, and the
    slow hash runs outside any transaction, so no lock is held while it works.

    Raises Busy when too many slow hashes are waiting; that look-up still counts. Raises
    Paused when the source has used up its tries, before anything is looked up.
    """
    ticket = await guards.attempts.take(db, key.actor, now)
    if ticket is None:
        logger.info("speak-up: look-up refused, too many misses from one source")
        raise Paused(guards.attempts.paused_for(now))
    async with db.session() as session:
        case = await case_by_code(session, normalise_code(key.code))
    if not await _may_open(case, key.passphrase, key.actor, sealer, guards.hashes):
        return None
    await guards.attempts.give_back(db, ticket)
    return case


async def open_case(
    db: Database, key: Key, *, sealer: MultiFernet, guards: Guards, now: datetime
) -> CaseView | None:
    """The reporter's view of their case."""
    case = await reporters_case(db, key, sealer=sealer, guards=guards, now=now)
    if case is None:
        return None
    assert case.id is not None
    logger.info("speak-up case %s opened by its reporter", case.code)
    async with db.session() as session:
        messages = await thread(session, case.id, sealer, authors=REPORTER_READS)
    return CaseView(
        code=case.code,
        status=CaseStatus(case.status),
        concern=concern_from(case, open_sealed(sealer, case.sealed)),
        messages=messages,
        feedback=case.feedback,
    )


def add_message(
    session: AsyncSession,
    case: Case,
    author: Author,
    text: str,
    *,
    sealer: MultiFernet,
    today: date,
) -> CaseMessage:
    assert case.id is not None
    message = CaseMessage(
        case_id=case.id, author=author, sealed=seal(sealer, {"text": text}), sent_on=today
    )
    session.add(message)
    logger.info("speak-up case %s: a message from the %s", case.code, author)
    return message


async def occurrence(session: AsyncSession, submission: str, row: AuditEntry | CaseMessage) -> str:
    """What a message queued by someone's form is keyed by, never a time or a random
    number: the platform's id for the filled-in form, so the same form arriving twice
    queues one message; where a platform has none (the console cannot send a form
    twice), the row the form made (an audit entry, a message in the case)."""
    if submission:
        return f"form:{submission}"
    await session.flush()  # gives the row its id
    return f"{row.__tablename__}:{row.id}"


def record_feedback(
    session: AsyncSession,
    case: Case,
    answer: str,
    comment: str,
    *,
    sealer: MultiFernet,
    today: date,
) -> None:
    """After closure only: would they speak up again? The answer stays with the case for the
    report; the comment is sealed like every other word."""
    case.feedback = answer
    session.add(case)
    if comment:
        add_message(session, case, Author.FEEDBACK, comment, sealer=sealer, today=today)
    logger.info("speak-up case %s: feedback given", case.code)


async def thread(
    session: AsyncSession,
    case_id: int,
    sealer: MultiFernet,
    *,
    authors: tuple[Author, ...] = tuple(Author),
) -> tuple[tuple[str, str], ...]:
    """The case's messages in order, opened: (author, text). Reporters pass REPORTER_READS,
    so guardians' private notes and lessons never reach them."""
    rows = await session.exec(
        select(CaseMessage)
        .where(CaseMessage.case_id == case_id, col(CaseMessage.author).in_(authors))
        .order_by(col(CaseMessage.id))
    )
    return tuple((m.author, str(open_sealed(sealer, m.sealed)["text"])) for m in rows.all())


async def _may_open(
    case: Case | None, phrase: str, actor: Actor, sealer: MultiFernet, hashes: SlowHashes
) -> bool:
    """One slow hash whatever the case: its own passphrase's, or the decoy's when there is
    no such case or it has no passphrase (a chat case, opened only by its reporter)."""
    stored = case.passphrase_hash if case is not None else None
    right = await hashes.check(phrase, stored or DECOY)
    if case is None:
        return False
    if stored is not None:
        return right
    if case.reporter_sealed is None:
        return False
    kept = open_sealed(sealer, case.reporter_sealed).get("actor")
    asking = {"platform": actor.platform, "tenant": actor.tenant, "user_id": actor.user_id}
    return isinstance(kept, dict) and all(kept[k] == v for k, v in asking.items())


def _concern_json(concern: Concern) -> dict[str, object]:
    return {
        "what": concern.what,
        "where_when": concern.where_when,
        "outcome": concern.outcome,
        "unsure": concern.unsure,
    }


def concern_from(case: Case, opened: dict[str, object]) -> Concern:
    return Concern(
        what=str(opened["what"]),
        where_when=str(opened["where_when"]),
        outcome=str(opened["outcome"]),
        categories=tuple(case.categories),
        detriment=case.detriment,
        unsure=case.detriment is None and opened.get("unsure") is True,
        way=Way(case.way),
    )
