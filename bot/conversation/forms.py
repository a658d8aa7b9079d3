"""Form checks shared by every platform, so a half-filled form gets the same answer everywhere."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.inbound import FieldValue, FormSubmitted
from bot.conversation.replies import ChoiceInput, DateTimeInput, Form, FormInput, Reply, TextInput
from storage.seen import first_times

NOT_AN_OPTION = "Please pick one of the options."


SAVE_LATER = "We couldn't save this just now. Please send it again in a minute."
"""Beside a form that could not be saved (the database busy or away): it stays open as typed,
and sending it again makes one of whatever it makes, never two."""


async def sent_first(
    session: AsyncSession, kind: str, form: FormSubmitted, *, now: datetime
) -> bool:
    """Whether this filled-in form is sent for the first time, on any replica: a platform's
    retry (Slack asks again for a form whose answer came late) or a double tap does its work
    once. Recorded in `session`, so only when that work commits; asked only once the form is
    good, as a refused form is sent again with the same id. A form without an id is new."""
    key = f"{kind}:{form.submission}"
    return not form.submission or bool(await first_times(session, [key], now=now))


def check_field(spec: FormInput, value: FieldValue) -> str | None:
    """The error to show for one field, or None when the value is acceptable. Each names its
    field by its label: it reads as well beside the field (Slack, the console) as in a list
    of every problem at the top of a web page, where "Please fill this in" twice says nothing."""
    name = named(spec)
    if isinstance(spec, ChoiceInput):
        picked = chosen(value)
        if not picked:
            return f"Please choose an answer to {name}" if spec.required else None
        allowed = {o.value for o in spec.options}
        # a list where one pick belongs is refused too, never guessed at
        if any(c not in allowed for c in picked) or not (spec.multiple or isinstance(value, str)):
            return f"Please pick one of the options for {name}"
        return None
    text = text_of(value)
    if not text:
        return f"Please fill in {name}" if spec.required else None
    if isinstance(spec, TextInput) and len(text) > spec.max_length:
        return f"Please keep {name} under {spec.max_length:,} characters (it has {len(text):,})"
    if isinstance(spec, DateTimeInput) and parse_local_datetime(text) is None:
        return f"Please give {name} as a date and time like 2026-12-01 14:30"
    return None


def named(spec: FormInput) -> str:
    """How a message names a field: its label in quotes, as people see it on the form."""
    return f"“{spec.label}”"


def problems(form: Form) -> list[tuple[str | None, str]]:
    """Every error on `form` as it reads in a list away from the fields (the summary at the
    top of a web page), in the order of the fields, each naming its own: the checks' errors
    do already, and one a handler set beside a field ("We could not open a case…", beside
    the passphrase) gets the field's name put before it. An error no field owns comes last,
    with None for its field: there is nothing to name or to link to."""
    owned = {spec.field for spec in form.inputs}
    listed: list[tuple[str | None, str]] = []
    for spec in form.inputs:
        if error := form.errors.get(spec.field):
            name = named(spec)
            listed.append((spec.field, error if name in error else f"{name}: {error}"))
    listed += [(None, error) for field, error in form.errors.items() if field not in owned]
    return listed


def check_form(form: Form, values: Mapping[str, FieldValue]) -> dict[str, str]:
    """Every field's error, keyed by field; empty when the submission is complete."""
    errors: dict[str, str] = {}
    for spec in form.inputs:
        error = check_field(spec, values.get(spec.field))
        if error:
            errors[spec.field] = error
    return errors


def refill(form: Form, values: Mapping[str, FieldValue], errors: Mapping[str, str]) -> Form:
    """The same form again with what was typed kept and the errors beside their fields."""
    inputs: list[FormInput] = []
    for spec in form.inputs:
        value = values.get(spec.field)
        if isinstance(spec, ChoiceInput):
            inputs.append(dataclasses.replace(spec, initial=chosen(value)))
        else:
            inputs.append(
                dataclasses.replace(spec, initial=value if isinstance(value, str) else "")
            )
    carried = {name: text_of(values.get(name)) for name in form.carried}
    return dataclasses.replace(form, inputs=tuple(inputs), errors=dict(errors), carried=carried)


def rejected(form: Form, values: Mapping[str, FieldValue]) -> Reply | None:
    """None when `values` fill `form` properly; else the form sent back (see returned)."""
    errors = check_form(form, values)
    return returned(form, values, errors) if errors else None


def returned(form: Form, values: Mapping[str, FieldValue], errors: Mapping[str, str]) -> Reply:
    """The form back to whoever sent it: what they typed kept, each error beside its field."""
    return Reply(summary="Please check the form", blocks=(refill(form, values, errors),))


def parse_local_datetime(text: str) -> datetime | None:
    """Accept `2026-12-01 14:30` or `2026-12-01T14:30`; the zone is the caller's to add."""
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        return None


def chosen(value: FieldValue) -> tuple[str, ...]:
    """The options picked in a choice field, however the platform sent them."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(value)


def text_of(value: FieldValue) -> str:
    """A text field's answer, trimmed; empty when nothing (or no text) was sent."""
    return value.strip() if isinstance(value, str) else ""


__all__ = [
    "check_field",
    "check_form",
    "chosen",
    "named",
    "parse_local_datetime",
    "problems",
    "refill",
    "rejected",
    "returned",
    "text_of",
]
