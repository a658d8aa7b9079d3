"""Guardian casework from chat: list, read, acknowledge, reply, note, categorise, assign,
step back, close. Every action is checked against the roles table and audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypedDict, TypeVar

from cryptography.fernet import MultiFernet
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.actions import ActionId
from bot.conversation.forms import chosen, refill, rejected, sent_first, text_of
from bot.conversation.inbound import (
    Actor,
    Address,
    ButtonPressed,
    Command,
    FieldValue,
    FormSubmitted,
)
from bot.conversation.outbox import Outgoing, enqueue
from bot.conversation.payloads import decode, encode
from bot.conversation.replies import (
    Block,
    Button,
    Buttons,
    ChoiceInput,
    FieldItem,
    Fields,
    Form,
    FormInput,
    Notice,
    Option,
    Reply,
    Text,
    TextInput,
    say,
)
from bot.conversation.sealing import Sealer
from bot.conversation.services import Services
from bot.speakup import alerts, casework
from bot.speakup.cases import Concern, occurrence
from bot.speakup.casework import Refused
from bot.speakup.deps import SpeakUp
from bot.speakup.payloads import CaseRef, GuardianRef
from bot.speakup.reporter import CATEGORIES, DETRIMENT, detriment_of
from storage.speakup.cases import Author, Case, CaseStatus, open_cases

ACK = ActionId("speakup", "guardian_ack")
REPLY = ActionId("speakup", "guardian_reply")
NOTE = ActionId("speakup", "guardian_note")
CATEGORISE = ActionId("speakup", "guardian_categorise")
ASSIGN = ActionId("speakup", "guardian_assign")
STEP_BACK = ActionId("speakup", "guardian_step_back")
CLOSE = ActionId("speakup", "guardian_close")
REPLY_FORM_ID = ActionId("speakup", "guardian_reply_form")
NOTE_FORM_ID = ActionId("speakup", "guardian_note_form")
CATEGORISE_FORM_ID = ActionId("speakup", "guardian_categorise_form")
ASSIGN_FORM_ID = ActionId("speakup", "guardian_assign_form")
CLOSE_FORM_ID = ActionId("speakup", "guardian_close_form")

T = TypeVar("T")


async def _casework(
    services: Services, work: Callable[[AsyncSession], Awaitable[T]]
) -> T | Refused:
    """Run one guardian action in a transaction; a refusal rolls it back and is then
    audited on its own, so the record of the attempt survives."""
    try:
        async with services.db.session() as session:
            return await work(session)
    except Refused as refused:
        async with services.db.session() as session:
            await casework.record_refusal(session, refused, services.clock.now())
        return refused


def _form(form: ActionId, title: str, code: str, *inputs: FormInput) -> Form:
    """The case is the one whose button was pressed: the form carries its code, unasked."""
    intro = f"Case {code}" if code else ""
    return Form(form=form, title=title, intro=intro, inputs=inputs, carried={"code": code})


def _long(field: str, label: str, *, hint: str = "", required: bool = True) -> TextInput:
    return TextInput(
        field=field, label=label, hint=hint, multiline=True, max_length=3000, required=required
    )


def reply_form(code: str = "") -> Form:
    return _form(REPLY_FORM_ID, "Reply to the reporter", code, _long("text", "Your reply"))


def note_form(code: str = "") -> Form:
    return _form(
        NOTE_FORM_ID,
        "Private note",
        code,
        _long("text", "Your note", hint="Only guardians see this, never the reporter."),
    )


def categorise_form(code: str = "", case: Case | None = None) -> Form:
    detriment = {True: "yes", False: "no", None: "unsure"}[case.detriment if case else None]
    return _form(
        CATEGORISE_FORM_ID,
        "Categories and detriment",
        code,
        ChoiceInput(
            field="categories",
            label="What is the case about?",
            options=CATEGORIES,
            multiple=True,
            required=False,
            initial=tuple(case.categories) if case else (),
        ),
        ChoiceInput(
            field="detriment",
            label="Does the reporter say they were treated badly for speaking up before?",
            options=DETRIMENT,
            initial=(detriment,) if case else (),
        ),
    )


def assign_form(code: str, guardians: list[tuple[int, str]]) -> Form:
    options = tuple(
        Option(value=encode(GuardianRef(person=pid)), label=name) for pid, name in guardians
    )
    return _form(
        ASSIGN_FORM_ID,
        "Give the case to a guardian",
        code,
        ChoiceInput(field="guardian", label="Which guardian?", options=options),
    )


def close_form(code: str = "") -> Form:
    return _form(
        CLOSE_FORM_ID,
        "Close the case",
        code,
        _long("outcome", "Outcome", hint="The reporter can read this."),
        _long(
            "lessons",
            "Lessons learned",
            hint="Only guardians see this. It helps the organisation improve.",
            required=False,
        ),
    )


async def list_cases(command: Command, services: Services) -> list[Reply]:
    async def work(session: AsyncSession) -> list[Case]:
        person = await casework.guardian_id(session, command.actor, "")
        return [c for c in await open_cases(session) if person not in c.stepped_back]

    cases = await _casework(services, work)
    if isinstance(cases, Refused):
        return [say(str(cases), ephemeral=True)]
    if not cases:
        return [say("There are no open cases.", ephemeral=True)]
    items = tuple(FieldItem(label=c.code, value=_summary(c)) for c in cases)
    return [
        Reply(
            summary=f"{len(cases)} open cases",
            blocks=(
                Text(text="Open cases", heading=True),
                Fields(items=items),
                Text(text="Type “case” and a code to open one."),
            ),
            ephemeral=True,
        )
    ]


async def show_case(command: Command, services: Services, speakup: SpeakUp) -> list[Reply]:
    sealer = speakup.sealer
    if not command.args:
        return [say("Type “case” and the case code, like: case SU-7K3M-Q9", ephemeral=True)]
    code, now = command.args[0], services.clock.now()
    view = await _casework(
        services,
        lambda session: casework.view(session, command.actor, code, sealer=sealer, now=now),
    )
    if isinstance(view, Refused):
        return [say(str(view), ephemeral=True)]
    case, concern = view.case, view.concern
    labels = {o.value: o.label for o in CATEGORIES}
    blocks: list[Block] = [
        Text(text=f"Case {case.code}", heading=True),
        Fields(
            items=(
                FieldItem(label="Status", value=_summary(case)),
                FieldItem(label="Raised by", value=view.raised_by),
                FieldItem(label="With", value=view.assigned or "No one yet"),
                FieldItem(
                    label="About",
                    value=", ".join(labels.get(c, c) for c in concern.categories) or "Not said",
                ),
                FieldItem(
                    label="Treated badly before for speaking up",
                    value=detriment_said(concern),
                ),
            )
        ),
        Text(text=concern.what),
    ]
    if concern.where_when:
        blocks.append(Fields(items=(FieldItem(label="Where and when", value=concern.where_when),)))
    if concern.outcome:
        blocks.append(Fields(items=(FieldItem(label="Hoped-for outcome", value=concern.outcome),)))
    if view.messages:
        names = {Author.NOTE: "Private note", Author.LESSONS: "Lessons learned"}
        blocks.append(
            Fields(
                items=tuple(
                    FieldItem(label=names.get(Author(a), a.title()), value=t)
                    for a, t in view.messages
                )
            )
        )
    if case.status != CaseStatus.CLOSED:
        ref = encode(CaseRef(code=case.code))
        blocks.append(
            Buttons(
                buttons=(
                    Button(label="Acknowledge", action=ACK, value=ref, style="primary"),
                    Button(label="Reply", action=REPLY, value=ref),
                    Button(label="Private note", action=NOTE, value=ref),
                    Button(label="Categories", action=CATEGORISE, value=ref),
                    Button(label="Give to a guardian", action=ASSIGN, value=ref),
                    Button(label="Step back (conflict)", action=STEP_BACK, value=ref),
                    Button(label="Close", action=CLOSE, value=ref, style="danger"),
                )
            )
        )
    return [Reply(summary=f"Case {case.code}", blocks=tuple(blocks), ephemeral=True)]


def detriment_said(concern: Concern) -> str:
    if concern.detriment is None:
        return "Not sure" if concern.unsure else "Not said"
    return "Yes" if concern.detriment else "No"


def _case(press: ButtonPressed) -> str:
    """The case a button is about; a garbled value is a BadPayload, answered with help."""
    return decode(CaseRef, press.value).code


async def acknowledge(press: ButtonPressed, services: Services) -> list[Reply]:
    code = _case(press)
    return await _pressed(
        services,
        lambda session, now: casework.acknowledge(session, press.actor, code, now),
        lambda case: [say(f"Case {case.code} is acknowledged.", ephemeral=True)],
    )


async def step_back(press: ButtonPressed, services: Services, speakup: SpeakUp) -> list[Reply]:
    code = _case(press)

    async def work(session: AsyncSession, now: datetime) -> Case:
        case, entry = await casework.step_back(session, press.actor, code, now)
        text = (
            f"A guardian has stepped back from case {case.code} for a conflict of interest. "
            f"Please can another guardian pick it up? Type “case {case.code}”."
        )
        # a guardian steps back from a case once: a repeated press can only tell it once
        key = f"speakup:stepped-back:{case.code}:{entry.person_id}"
        await _tell_guardians(session, key, text, now, speakup.sealer)
        return case

    def answer(case: Case) -> list[Reply]:
        text = f"You have stepped back from case {case.code}. The other guardians have been told."
        return [say(text, ephemeral=True)]

    return await _pressed(services, work, answer)


async def open_reply(press: ButtonPressed, _services: Services) -> list[Reply]:
    return [Reply(summary="Reply", blocks=(reply_form(_case(press)),))]


async def open_note(press: ButtonPressed, _services: Services) -> list[Reply]:
    return [Reply(summary="Private note", blocks=(note_form(_case(press)),))]


async def open_close(press: ButtonPressed, _services: Services) -> list[Reply]:
    return [Reply(summary="Close", blocks=(close_form(_case(press)),))]


async def open_categorise(press: ButtonPressed, services: Services) -> list[Reply]:
    code = _case(press)

    async def work(session: AsyncSession, _now: datetime) -> Case:
        return (await casework.working_on(session, press.actor, code))[1]

    return await _pressed(
        services,
        work,
        lambda case: [Reply(summary="Categories", blocks=(categorise_form(case.code, case),))],
    )


async def open_assign(press: ButtonPressed, services: Services) -> list[Reply]:
    code = _case(press)
    return await _pressed(
        services,
        lambda session, _now: casework.guardians_for(session, press.actor, code),
        lambda guardians: [Reply(summary="Give the case", blocks=(assign_form(code, guardians),))],
    )


async def _pressed(
    services: Services,
    work: Callable[[AsyncSession, datetime], Awaitable[T]],
    answer: Callable[[T], list[Reply]],
) -> list[Reply]:
    """A button's casework: done and answered, or politely refused to the guardian alone."""
    now = services.clock.now()
    done = await _casework(services, lambda session: work(session, now))
    if isinstance(done, Refused):
        return [say(str(done), ephemeral=True)]
    return answer(done)


async def replied(form: FormSubmitted, services: Services, speakup: SpeakUp) -> list[Reply]:
    async def work(session: AsyncSession, code: str, values: Values) -> str:
        case, reporter, entry = await casework.write(
            session,
            form.actor,
            code,
            Author.GUARDIAN,
            text_of(values["text"]),
            **_keep(services, speakup),
        )
        about = await occurrence(session, form.submission, entry)
        await _tell_reporter(session, case, reporter, "replied to", about, services, speakup)
        return f"Case {case.code}: sent."

    return await _submit(form, services, reply_form(), work)


async def noted(form: FormSubmitted, services: Services, speakup: SpeakUp) -> list[Reply]:
    async def work(session: AsyncSession, code: str, values: Values) -> str:
        case, _, _ = await casework.write(
            session,
            form.actor,
            code,
            Author.NOTE,
            text_of(values["text"]),
            **_keep(services, speakup),
        )
        return f"Case {case.code}: note saved. Only guardians can see it."

    return await _submit(form, services, note_form(), work)


async def closed(form: FormSubmitted, services: Services, speakup: SpeakUp) -> list[Reply]:
    async def work(session: AsyncSession, code: str, values: Values) -> str:
        outcome, lessons = text_of(values["outcome"]), text_of(values.get("lessons"))
        case, reporter, entry = await casework.close(
            session, form.actor, code, outcome, lessons, **_keep(services, speakup)
        )
        about = await occurrence(session, form.submission, entry)
        await _tell_reporter(session, case, reporter, "closed", about, services, speakup)
        return f"Case {case.code}: closed."

    return await _submit(form, services, close_form(), work)


async def categorised(form: FormSubmitted, services: Services) -> list[Reply]:
    async def work(session: AsyncSession, code: str, values: Values) -> str:
        categories, detriment = (
            chosen(values.get("categories")),
            detriment_of(values.get("detriment")),
        )
        now = services.clock.now()
        case = await casework.categorise(session, form.actor, code, categories, detriment, now)
        return f"Case {case.code}: categories saved."

    return await _submit(form, services, categorise_form(), work)


async def assigned(form: FormSubmitted, services: Services, speakup: SpeakUp) -> list[Reply]:
    code, now = text_of(form.values.get("code")), services.clock.now()
    guardians = await _casework(
        services, lambda session: casework.guardians_for(session, form.actor, code)
    )
    spec = assign_form(code, [] if isinstance(guardians, Refused) else guardians)

    async def work(session: AsyncSession, code: str, values: Values) -> str:
        to = decode(GuardianRef, text_of(values.get("guardian"))).person  # checked as an option
        case, name, entry = await casework.assign(session, form.actor, code, to, now)
        text = f"Case {case.code} is now with {name}. Type “case {case.code}” to read it."
        key = f"speakup:assigned:{case.code}:{await occurrence(session, form.submission, entry)}"
        await _tell_guardians(session, key, text, now, speakup.sealer)
        return f"Case {case.code} is now with {name}."

    return await _submit(form, services, spec, work)


Values = dict[str, FieldValue]
Work = Callable[[AsyncSession, str, Values], Awaitable[str]]


async def _submit(form: FormSubmitted, services: Services, spec: Form, work: Work) -> list[Reply]:
    """Check the form, run the action, and answer in place of the form: done, or the form
    again with the reason beside its first field and nothing typed lost."""
    if (again := rejected(spec, form.values)) is not None:
        return [again]
    code, values = text_of(form.values.get("code")), dict(form.values)

    async def once(session: AsyncSession) -> str:
        """The same filled-in form twice (a platform's retry, a double tap) is done once;
        the second gets a plain word that it is already done."""
        if not await sent_first(session, "speakup-form", form, now=services.clock.now()):
            return f"Case {code}: already done."
        return await work(session, code, values)

    done = await _casework(services, once)
    if isinstance(done, Refused):
        reason = {spec.inputs[0].field: str(done)}
        return [Reply(summary="Not done", blocks=(refill(spec, form.values, reason),))]
    return [Reply(summary=done, blocks=(Notice(title="Done", text=done),))]


class _Keep(TypedDict):
    sealer: MultiFernet
    now: datetime


def _keep(services: Services, speakup: SpeakUp) -> _Keep:
    """What sealing casework needs."""
    return {"sealer": speakup.sealer, "now": services.clock.now()}


async def _tell_reporter(
    session: AsyncSession,
    case: Case,
    reporter: Address | None,
    word: str,
    about: str,
    services: Services,
    speakup: SpeakUp,
) -> None:
    """Only that something happened, never the words: they stay sealed in peerbot. Never
    for an anonymous case or one from the web form: there is nobody to tell."""
    if reporter is None:
        return
    now = services.clock.now()
    note = say(
        f"A guardian has {word} your case {case.code}. Type “speakup” and choose "
        "Check a case to read it."
    )
    key = f"speakup:{word}:{case.code}:{about}"
    notice = Outgoing(dedupe_key=key, address=reporter, reply=note, due_at=now, sealed=True)
    await enqueue(session, notice, now=now, sealer=speakup.sealer)


async def _tell_guardians(
    session: AsyncSession, key: str, text: str, now: datetime, sealer: Sealer
) -> None:
    targets = await alerts.guardian_targets(session)
    await alerts.queue(session, alerts.to_guardians(targets, key, text, now), sealer)


async def home(actor: Actor, services: Services) -> list[Block]:
    """For guardians only: what is waiting, at a glance. Codes, never content."""
    async with services.db.session() as session:
        person = await casework.as_guardian(session, actor)
        if person is None:
            return []
        mine = [c for c in await open_cases(session) if person not in c.stepped_back]
    waiting = sum(c.status == CaseStatus.NEW for c in mine)
    return [
        Text(
            text=f"Speak-up cases: {len(mine)} open, {waiting} waiting for acknowledgement. "
            "Type “cases” to see them."
        )
    ]


def _summary(case: Case) -> str:
    return (
        f"{case.status}, {case.way}, raised {case.raised_on:%d %b}, "
        f"acknowledge by {case.acknowledge_by:%d %b}, feedback by {case.feedback_by:%d %b}"
    )
