"""Raising a case and coming back to it, with anonymity kept by construction."""

from __future__ import annotations

import asyncio
import calendar
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from cryptography.fernet import MultiFernet
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.codec import address_to_json
from bot.events import Actor, Conversation
from bot.sealing import open_sealed, seal
from bot.speakup.attempts import Attempts
from bot.speakup.codes import (
    case_code,
    check_passphrase,
    hash_passphrase,
    normalise_code,
    passphrase,
)
from bot.speakup.redact import guarded
from storage.speakup import (
    REPORTER_READS,
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
    address: Conversation | None = None
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


async def raise_case(
    session: AsyncSession,
    concern: Concern,
    *,
    reporter: Reporter | None,
    sealer: MultiFernet,
    today: date,
) -> Raised:
    """Store the case sealed. For an anonymous case the reporter is dropped here, before
    anything is written, whatever the caller passed.

    A passphrase is issued whenever the chat platform cannot vouch for the person
    coming back: for every anonymous case, and for every case from the web form.
    """
    code = case_code()
    while await code_taken(session, code):
        code = case_code()
    anonymous = concern.way == Way.ANONYMOUS
    phrase = passphrase() if anonymous or reporter is None or reporter.address is None else None
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
        passphrase_hash=await asyncio.to_thread(hash_passphrase, phrase) if phrase else None,
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
        passphrase=phrase,
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


async def reporters_case(
    session: AsyncSession, key: Key, *, sealer: MultiFernet, attempts: Attempts, now: datetime
) -> Case | None:
    """The case, or None: one answer for every kind of miss, so a wrong code and a wrong
    passphrase cannot be told apart, and repeated misses from one source are refused
    before any look-up."""
    source = f"{key.actor.platform}:{key.actor.tenant}:{key.actor.user_id}"
    if attempts.blocked(source, now):
        logger.info("speak-up: look-up refused, too many misses from one source")
        return None
    case = await case_by_code(session, normalise_code(key.code))
    if case is None or not await _may_open(case, key.passphrase, key.actor, sealer):
        attempts.failed(source, now)
        return None
    return case


async def open_case(
    session: AsyncSession,
    key: Key,
    *,
    sealer: MultiFernet,
    attempts: Attempts,
    now: datetime,
) -> CaseView | None:
    """The reporter's view of their case."""
    case = await reporters_case(session, key, sealer=sealer, attempts=attempts, now=now)
    if case is None:
        return None
    assert case.id is not None
    logger.info("speak-up case %s opened by its reporter", case.code)
    return CaseView(
        code=case.code,
        status=CaseStatus(case.status),
        concern=concern_from(case, open_sealed(sealer, case.sealed)),
        messages=await thread(session, case.id, sealer, authors=REPORTER_READS),
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
) -> None:
    assert case.id is not None
    session.add(
        CaseMessage(
            case_id=case.id, author=author, sealed=seal(sealer, {"text": text}), sent_on=today
        )
    )
    logger.info("speak-up case %s: a message from the %s", case.code, author)


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


async def _may_open(case: Case, phrase: str, actor: Actor, sealer: MultiFernet) -> bool:
    """scrypt runs in a thread (it releases the GIL): a slow hash on purpose must not
    stall every other conversation for its 50 ms."""
    if case.passphrase_hash is not None:
        return await asyncio.to_thread(check_passphrase, phrase, case.passphrase_hash)
    if case.reporter_sealed is None:
        return False
    stored = open_sealed(sealer, case.reporter_sealed).get("actor")
    asking = {"platform": actor.platform, "tenant": actor.tenant, "user_id": actor.user_id}
    return isinstance(stored, dict) and all(stored[k] == v for k, v in asking.items())


def _concern_json(concern: Concern) -> dict[str, object]:
    return {"what": concern.what, "where_when": concern.where_when, "outcome": concern.outcome}


def concern_from(case: Case, opened: dict[str, object]) -> Concern:
    return Concern(
        what=str(opened["what"]),
        where_when=str(opened["where_when"]),
        outcome=str(opened["outcome"]),
        categories=tuple(case.categories),
        detriment=case.detriment,
        way=Way(case.way),
    )
