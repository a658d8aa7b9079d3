"""What guardians do with a case: every action checked against the roles table and audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import MultiFernet
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.codec import address_from_json
from bot.conversation.inbound import Actor, Address
from bot.conversation.sealing import open_sealed
from bot.speakup.cases import Concern, add_message, concern_from, thread
from bot.speakup.codes import normalise_code
from bot.speakup.redact import guarded
from storage.directory import holds_role, people_with_role, person_on
from storage.organisation import Person, RoleName
from storage.speakup.cases import AuditEntry, Author, Case, CaseStatus, case_by_code

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
    assigned: str


async def guardian_id(session: AsyncSession, actor: Actor, code: str) -> int:
    """The acting guardian's person id; anyone else is refused, and the attempt audited
    without naming them (a probe of a code may come from its anonymous reporter).

    Checked before the case is even looked up, so a refusal never tells whether a
    code exists.
    """
    person = await as_guardian(session, actor)
    if person is None:
        logger.info("speak-up: a non-guardian was refused on case %s", code or "-")
        raise Refused("Sorry, only Freedom to Speak Up guardians can do that.", audit_code=code)
    return person


async def as_guardian(session: AsyncSession, actor: Actor) -> int | None:
    """The person id when the roles table says this actor is a guardian; else None."""
    person = await person_on(session, actor.platform, actor.user_id)
    if person is None or person.id is None:
        return None
    return person.id if await holds_role(session, person.id, RoleName.GUARDIAN) else None


async def case_for(session: AsyncSession, code: str, *, open_only: bool = True) -> Case:
    case = await case_by_code(session, normalise_code(code))
    if case is None:
        raise Refused("There is no case with that code. Please check it and try again.")
    if open_only and case.status == CaseStatus.CLOSED:
        raise Refused(f"Case {case.code} is closed, so it cannot be changed.")
    return case


async def working_on(
    session: AsyncSession, actor: Actor, code: str, *, open_only: bool = True
) -> tuple[int, Case]:
    """The guardian and the case, once both checks pass: the role first, then the case,
    then the guardian's own conflict of interest."""
    person = await guardian_id(session, actor, normalise_code(code))
    case = await case_for(session, code, open_only=open_only)
    if person in case.stepped_back:
        raise Refused(
            f"You stepped back from case {case.code}, so it is closed to you.",
            audit_code=case.code,
        )
    return person, case


async def view(
    session: AsyncSession, actor: Actor, code: str, *, sealer: MultiFernet, now: datetime
) -> GuardianView:
    person, case = await working_on(session, actor, code, open_only=False)
    audit(session, case, person, "viewed", now)
    assert case.id is not None
    return GuardianView(
        case=case,
        concern=concern_from(case, open_sealed(sealer, case.sealed)),
        messages=await thread(session, case.id, sealer),
        raised_by=raised_by(case, sealer),
        assigned=await _name(session, case.assigned_to),
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
    """Tracked on its own: peerbot's instant receipt does not count as the guardian's."""
    person, case = await working_on(session, actor, code)
    _acknowledged(session, case, person)
    audit(session, case, person, "acknowledged", now)
    return case


async def write(
    session: AsyncSession,
    actor: Actor,
    code: str,
    author: Author,
    text: str,
    *,
    sealer: MultiFernet,
    now: datetime,
) -> tuple[Case, Address | None, AuditEntry]:
    """A reply to the reporter or a private note. Returns where to tell the reporter, which
    is nowhere for a note, an anonymous case or a case from the web form."""
    person, case = await working_on(session, actor, code)
    add_message(session, case, author, text, sealer=sealer, today=now.date())
    _acknowledged(session, case, person)
    entry = audit(session, case, person, "replied" if author == Author.GUARDIAN else "noted", now)
    return case, reporter_address(case, sealer) if author == Author.GUARDIAN else None, entry


async def categorise(
    session: AsyncSession,
    actor: Actor,
    code: str,
    categories: tuple[str, ...],
    detriment: bool | None,
    now: datetime,
) -> Case:
    """The guardian's reading of the case replaces the reporter's: it is what the national
    figures count."""
    person, case = await working_on(session, actor, code)
    case.categories, case.detriment = list(categories), detriment
    session.add(case)
    audit(session, case, person, "categorised", now)
    return case


async def guardians_for(session: AsyncSession, actor: Actor, code: str) -> list[tuple[int, str]]:
    """Who the case can go to, asked by a guardian working on it."""
    _person, case = await working_on(session, actor, code)
    return await _free_of_conflict(session, case)


async def assign(
    session: AsyncSession, actor: Actor, code: str, to: int, now: datetime
) -> tuple[Case, str, AuditEntry]:
    person, case = await working_on(session, actor, code)
    if to not in dict(await _free_of_conflict(session, case)):
        raise Refused("That person cannot take this case. Please choose another guardian.")
    case.assigned_to = to
    session.add(case)
    entry = audit(session, case, person, "assigned", now)
    return case, await _name(session, to), entry


async def step_back(
    session: AsyncSession, actor: Actor, code: str, now: datetime
) -> tuple[Case, AuditEntry]:
    """A conflict of interest: the case closes to this guardian, and leaves their hands."""
    person, case = await working_on(session, actor, code)
    case.stepped_back = [*case.stepped_back, person]  # a new list, so the change is saved
    if case.assigned_to == person:
        case.assigned_to = None
    session.add(case)
    return case, audit(session, case, person, "stepped back", now)


async def close(
    session: AsyncSession,
    actor: Actor,
    code: str,
    outcome: str,
    lessons: str,
    *,
    sealer: MultiFernet,
    now: datetime,
) -> tuple[Case, Address | None, AuditEntry]:
    """The outcome goes to the reporter; the lessons learned stay with the guardians."""
    person, case = await working_on(session, actor, code)
    add_message(session, case, Author.OUTCOME, outcome, sealer=sealer, today=now.date())
    if lessons:
        add_message(session, case, Author.LESSONS, lessons, sealer=sealer, today=now.date())
    case.status = CaseStatus.CLOSED
    case.closed_at = now
    session.add(case)
    entry = audit(session, case, person, "closed", now)
    return case, reporter_address(case, sealer), entry


def reporter_address(case: Case, sealer: MultiFernet) -> Address | None:
    """Where to tell the reporter something happened: never for an anonymous case, nor
    for one from the web form (nobody to message; they come back with their code)."""
    if case.reporter_sealed is None:
        return None
    stored = open_sealed(sealer, case.reporter_sealed).get("address")
    return address_from_json(stored) if isinstance(stored, dict) else None


def audit(
    session: AsyncSession, case: Case, person_id: int, action: str, now: datetime
) -> AuditEntry:
    """The entry is returned so what the action queues can be keyed by it."""
    entry = AuditEntry(case_code=case.code, person_id=person_id, action=action, at=now)
    session.add(entry)
    logger.info("speak-up case %s %s by a guardian", case.code, action)
    return entry


async def _free_of_conflict(session: AsyncSession, case: Case) -> list[tuple[int, str]]:
    """Every guardian without a conflict of interest in the case: (person id, name)."""
    return [
        (p.id, p.name)
        for p in (await people_with_role(session, RoleName.GUARDIAN)).get("", [])
        if p.id is not None and p.id not in case.stepped_back
    ]


def _acknowledged(session: AsyncSession, case: Case, person: int) -> None:
    """The first guardian to take up a case nobody has is the one who has it, so the
    others can see it is in hand."""
    if case.status == CaseStatus.NEW:
        case.status = CaseStatus.ACKNOWLEDGED
        session.add(case)
    if case.assigned_to is None:
        case.assigned_to = person
        session.add(case)


async def _name(session: AsyncSession, person_id: int | None) -> str:
    person = await session.get(Person, person_id) if person_id is not None else None
    return person.name if person is not None else ""
