"""What guardians do with a case: every action checked against the roles table and audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import MultiFernet
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.codec import address_from_json
from bot.events import Actor, Conversation
from bot.speakup.cases import Concern, concern_from, open_sealed, seal, thread
from bot.speakup.codes import normalise_code
from bot.speakup.redact import guarded
from storage.directory import holds_role, person_on
from storage.organisation import RoleName
from storage.speakup import AuditEntry, Case, CaseMessage, CaseStatus, case_by_code

logger = guarded(__name__)


class Refused(Exception):
    """A polite reason an action was not done; the message is shown to the person.

    `audit_code` is set when the refusal itself must be audited (someone who is not a
    guardian tried); the caller records it after rolling back, see `record_refusal`.
    """

    def __init__(self, message: str, *, audit_code: str | None = None) -> None:
        super().__init__(message)
        self.audit_code = audit_code


async def record_refusal(session: AsyncSession, refused: Refused, now: datetime) -> None:
    if refused.audit_code is not None:
        session.add(
            AuditEntry(
                case_code=refused.audit_code or "-", person_id=None, action="refused", at=now
            )
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardianView:
    case: Case
    concern: Concern
    messages: tuple[tuple[str, str], ...]
    raised_by: str


async def guardian_id(session: AsyncSession, actor: Actor, code: str, now: datetime) -> int:
    """The acting guardian's person id; anyone else is refused, and the attempt audited
    without naming them (a probe of a code may come from its anonymous reporter).

    Checked before the case is even looked up, so a refusal never tells whether a
    code exists.
    """
    person = await person_on(session, actor.platform, actor.user_id)
    if (
        person is None
        or person.id is None
        or not await holds_role(session, person.id, RoleName.GUARDIAN)
    ):
        logger.info("speak-up: a non-guardian was refused on case %s", code or "-")
        raise Refused("Sorry, only Freedom to Speak Up guardians can do that.", audit_code=code)
    return person.id


async def case_for(session: AsyncSession, code: str, *, open_only: bool = True) -> Case:
    case = await case_by_code(session, normalise_code(code))
    if case is None:
        raise Refused("There is no case with that code. Please check it and try again.")
    if open_only and case.status == CaseStatus.CLOSED:
        raise Refused(f"Case {case.code} is closed, so it cannot be changed.")
    return case


async def view(
    session: AsyncSession, actor: Actor, code: str, *, sealer: MultiFernet, now: datetime
) -> GuardianView:
    person = await guardian_id(session, actor, normalise_code(code), now)
    case = await case_for(session, code, open_only=False)
    audit(session, case, person, "viewed", now)
    assert case.id is not None
    return GuardianView(
        case=case,
        concern=concern_from(case, open_sealed(sealer, case.sealed)),
        messages=await thread(session, case.id, sealer),
        raised_by=raised_by(case, sealer),
    )


def raised_by(case: Case, sealer: MultiFernet) -> str:
    if case.reporter_sealed is None:
        return "Anonymous"
    who = open_sealed(sealer, case.reporter_sealed)
    actor, contact = who.get("actor"), str(who.get("contact") or "")
    if not isinstance(actor, dict):
        return f"{contact} (web form)"
    return f"{actor['platform']} user {actor['user_id']}" + (f", {contact}" if contact else "")


async def acknowledge(session: AsyncSession, actor: Actor, code: str, now: datetime) -> Case:
    person = await guardian_id(session, actor, normalise_code(code), now)
    case = await case_for(session, code)
    if case.status == CaseStatus.NEW:
        case.status = CaseStatus.ACKNOWLEDGED
        session.add(case)
    audit(session, case, person, "acknowledged", now)
    return case


async def reply(
    session: AsyncSession, actor: Actor, code: str, text: str, *, sealer: MultiFernet, now: datetime
) -> tuple[Case, Conversation | None]:
    """Add a guardian's message; returns where to tell the reporter (never for anonymous)."""
    person = await guardian_id(session, actor, normalise_code(code), now)
    case = await case_for(session, code)
    assert case.id is not None
    session.add(
        CaseMessage(
            case_id=case.id,
            author="guardian",
            sealed=seal(sealer, {"text": text}),
            sent_on=now.date(),
        )
    )
    if case.status == CaseStatus.NEW:
        case.status = CaseStatus.ACKNOWLEDGED
        session.add(case)
    audit(session, case, person, "replied", now)
    return case, reporter_address(case, sealer)


async def close(
    session: AsyncSession,
    actor: Actor,
    code: str,
    outcome: str,
    *,
    sealer: MultiFernet,
    now: datetime,
) -> tuple[Case, Conversation | None]:
    person = await guardian_id(session, actor, normalise_code(code), now)
    case = await case_for(session, code)
    assert case.id is not None
    session.add(
        CaseMessage(
            case_id=case.id,
            author="outcome",
            sealed=seal(sealer, {"text": outcome}),
            sent_on=now.date(),
        )
    )
    case.status = CaseStatus.CLOSED
    case.closed_at = now
    session.add(case)
    audit(session, case, person, "closed", now)
    return case, reporter_address(case, sealer)


def reporter_address(case: Case, sealer: MultiFernet) -> Conversation | None:
    """Where to tell the reporter something happened: never for an anonymous case, nor
    for one from the web form (nobody to message; they come back with their code)."""
    if case.reporter_sealed is None:
        return None
    stored = open_sealed(sealer, case.reporter_sealed).get("address")
    return address_from_json(stored) if isinstance(stored, dict) else None


def audit(session: AsyncSession, case: Case, person_id: int, action: str, now: datetime) -> None:
    session.add(AuditEntry(case_code=case.code, person_id=person_id, action=action, at=now))
    logger.info("speak-up case %s %s by a guardian", case.code, action)
