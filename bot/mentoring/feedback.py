"""End-of-programme feedback: "How did the programme go for you?" from 1 to 5, and a line
if they like (sealed). Once per person; answering again changes it."""

from __future__ import annotations

from bot.conversation.forms import rejected, text_of
from bot.conversation.inbound import ButtonPressed, FormSubmitted
from bot.conversation.payloads import decode
from bot.conversation.replies import (
    ChoiceInput,
    Form,
    FormInput,
    Notice,
    Option,
    Reply,
    TextInput,
    say,
)
from bot.conversation.sealing import Sealer
from bot.conversation.services import Services
from bot.mentoring.actions import FEEDBACK
from bot.mentoring.deps import Mentoring
from bot.mentoring.payloads import PairRef
from bot.mentoring.people import membership
from bot.mentoring.private import sealed
from storage.mentoring import Feedback
from storage.upsert import upsert

SCORES = (
    Option(value="5", label="Very well"),
    Option(value="4", label="Well"),
    Option(value="3", label="OK"),
    Option(value="2", label="Not so well"),
    Option(value="1", label="Not well at all"),
)
NOT_YOURS = "That isn't one of your pairings. Type “mentoring” to see yours."
THANKS = "Thank you. It helps us make the programme better for the next people."


def feedback_form(value: str, sealer: Sealer | None) -> Form:
    inputs: list[FormInput] = [
        ChoiceInput(field="score", label="How did the programme go for you?", options=SCORES)
    ]
    if sealer is not None:
        inputs.append(
            TextInput(
                field="line",
                label="Anything you'd like to add?",
                required=False,
                multiline=True,
                max_length=1000,
            )
        )
    return Form(
        form=FEEDBACK,
        title="How did it go?",
        inputs=tuple(inputs),
        submit_label="Send",
        carried={"pair": value},
    )


async def asked(press: ButtonPressed, services: Services, deps: Mentoring) -> list[Reply]:
    async with services.db.session(write=False) as session:
        if await membership(session, press.actor, decode(PairRef, press.value).pair) is None:
            return [say(NOT_YOURS, ephemeral=True)]
    return [Reply(summary="How did it go?", blocks=(feedback_form(press.value, deps.sealer),))]


async def given(form: FormSubmitted, services: Services, deps: Mentoring) -> list[Reply]:
    value = text_of(form.values.get("pair")) or "x"
    now = services.clock.now()
    async with services.db.session() as session:
        mine = await membership(session, form.actor, decode(PairRef, value).pair)
        if mine is None:
            return [say(NOT_YOURS, ephemeral=True)]
        if (again := rejected(feedback_form(value, deps.sealer), form.values)) is not None:
            return [again]
        me, pair = mine
        line = text_of(form.values.get("line"))
        row = {
            "score": int(text_of(form.values.get("score"))),
            "line": sealed(deps.sealer, line) if deps.sealer else None,
            "at": now,
        }
        statement = upsert(session, Feedback).values(pair_id=pair.id, member_id=me.id, **row)
        await session.exec(statement.on_conflict_do_update(index_elements=["member_id"], set_=row))
    return [Reply(summary=THANKS, blocks=(Notice(title="Thank you", text=THANKS),))]
