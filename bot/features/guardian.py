"""Guardian casework from chat: list, read, acknowledge, reply, close. Checked and audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions import ActionId
from bot.events import ButtonPressed, Command, FormSubmitted
from bot.forms import check_form, refill
from bot.outbox import Outgoing, enqueue
from bot.replies import Block, Button, Buttons, FieldItem, Fields, Form, Reply, Text, TextInput, say
from bot.router import Feature
from bot.services import Services
from bot.speakup import casework
from bot.speakup.casework import Refused
from storage.speakup import Case, open_cases

ACK = ActionId("guardian", "ack")
REPLY = ActionId("guardian", "reply")
CLOSE = ActionId("guardian", "close")
REPLY_FORM_ID = ActionId("guardian", "reply_form")
CLOSE_FORM_ID = ActionId("guardian", "close_form")


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


def _form(form: ActionId, title: str, field: str, label: str, code: str = "") -> Form:
    return Form(
        form=form,
        title=title,
        inputs=(
            TextInput(field="code", label="Case code", initial=code, max_length=20),
            TextInput(field=field, label=label, multiline=True, max_length=3000),
        ),
    )


def reply_form(code: str = "") -> Form:
    return _form(REPLY_FORM_ID, "Reply to the reporter", "text", "Your reply", code)


def close_form(code: str = "") -> Form:
    return _form(CLOSE_FORM_ID, "Close the case", "outcome", "Outcome and lessons learned", code)


async def list_cases(command: Command, services: Services) -> list[Reply]:
    now = services.clock.now()

    async def work(session: AsyncSession) -> list[Case]:
        await casework.guardian_id(session, command.actor, "", now)
        return await open_cases(session)

    cases = await _casework(services, work)
    if isinstance(cases, Refused):
        return [say(str(cases), ephemeral=True)]
    if not cases:
        return [say("There are no open cases.", ephemeral=True)]
    items = tuple(FieldItem(label=c.code, value=_summary(c)) for c in cases)
    return [
        Reply(
            summary=f"{len(cases)} open cases",
            blocks=(Text(text="Open cases", heading=True), Fields(items=items)),
            ephemeral=True,
        )
    ]


async def show_case(command: Command, services: Services) -> list[Reply]:
    sealer = services.sealer
    if not command.args or sealer is None:
        return [say("Type “case” and the case code, like: case SU-7K3M-Q9", ephemeral=True)]
    code, now = command.args[0], services.clock.now()
    view = await _casework(
        services,
        lambda session: casework.view(session, command.actor, code, sealer=sealer, now=now),
    )
    if isinstance(view, Refused):
        return [say(str(view), ephemeral=True)]
    case, concern = view.case, view.concern
    blocks: list[Block] = [
        Text(text=f"Case {case.code}", heading=True),
        Fields(
            items=(
                FieldItem(label="Status", value=_summary(case)),
                FieldItem(label="Raised by", value=view.raised_by),
                FieldItem(label="About", value=", ".join(concern.categories) or "Not said"),
                FieldItem(
                    label="Treated badly before for speaking up",
                    value={True: "Yes", False: "No", None: "Not said"}[concern.detriment],
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
        blocks.append(
            Fields(items=tuple(FieldItem(label=a.title(), value=t) for a, t in view.messages))
        )
    if case.status != "closed":
        blocks.append(
            Buttons(
                buttons=(
                    Button(label="Acknowledge", action=ACK, value=case.code, style="primary"),
                    Button(label="Reply", action=REPLY, value=case.code),
                    Button(label="Close", action=CLOSE, value=case.code, style="danger"),
                )
            )
        )
    return [Reply(summary=f"Case {case.code}", blocks=tuple(blocks), ephemeral=True)]


async def acknowledge(press: ButtonPressed, services: Services) -> list[Reply]:
    now = services.clock.now()
    case = await _casework(
        services, lambda session: casework.acknowledge(session, press.actor, press.value, now)
    )
    if isinstance(case, Refused):
        return [say(str(case), ephemeral=True)]
    return [say(f"Case {case.code} is acknowledged.", ephemeral=True)]


async def open_reply(press: ButtonPressed, _services: Services) -> list[Reply]:
    return [Reply(summary="Reply", blocks=(reply_form(press.value),))]


async def open_close(press: ButtonPressed, _services: Services) -> list[Reply]:
    return [Reply(summary="Close", blocks=(close_form(press.value),))]


async def replied(form: FormSubmitted, services: Services) -> list[Reply]:
    return await _write(form, services, reply_form(), "text", closing=False)


async def closed(form: FormSubmitted, services: Services) -> list[Reply]:
    return await _write(form, services, close_form(), "outcome", closing=True)


async def _write(
    form: FormSubmitted, services: Services, spec: Form, field: str, *, closing: bool
) -> list[Reply]:
    errors = check_form(spec, form.values)
    if errors:
        return [Reply(summary="Please check the form", blocks=(refill(spec, form.values, errors),))]
    sealer = services.sealer
    assert sealer is not None
    code, text = str(form.values["code"]), str(form.values[field]).strip()
    now = services.clock.now()
    action = casework.close if closing else casework.reply
    word = "closed" if closing else "replied to"

    async def work(session: AsyncSession) -> Case:
        case, reporter = await action(session, form.actor, code, text, sealer=sealer, now=now)
        if reporter is not None:  # never for an anonymous case: there is nobody to tell
            note = say(
                f"A guardian has {word} your case {case.code}. Type “speakup” and choose "
                "Check a case to read it."
            )
            key = f"speakup:{word}:{case.code}:{now.isoformat()}"
            await enqueue(
                session,
                Outgoing(dedupe_key=key, address=reporter, reply=note, due_at=now),
                now=now,
            )
        return case

    case = await _casework(services, work)
    if isinstance(case, Refused):
        return [Reply(summary="Not done", blocks=(refill(spec, form.values, {"code": str(case)}),))]
    done = "closed" if closing else "sent"
    return [Reply(summary="Done", blocks=(Text(text=f"Case {case.code}: {done}."),))]


def _summary(case: Case) -> str:
    return (
        f"{case.status}, {case.way}, raised {case.raised_on:%d %b}, "
        f"acknowledge by {case.acknowledge_by:%d %b}, feedback by {case.feedback_by:%d %b}"
    )


FEATURE = Feature(
    name="guardian",
    title="Guardian casework",
    summary="For Freedom to Speak Up guardians.",
    commands={"cases": list_cases, "case": show_case},
    actions={ACK: acknowledge, REPLY: open_reply, CLOSE: open_close},
    forms={REPLY_FORM_ID: replied, CLOSE_FORM_ID: closed},
    listed=False,
)
