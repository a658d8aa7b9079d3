"""Form checks shared by every platform, so a half-filled form gets the same answer everywhere."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime

from bot.events import FieldValue
from bot.replies import ChoiceInput, DateTimeInput, Form, FormInput, TextInput

MISSING = "Please fill this in."
NOT_AN_OPTION = "Please pick one of the options."
NOT_A_DATETIME = "Please give a date and time like 2026-12-01 14:30."


SAVE_LATER = "We couldn't save this just now. Please send it again in a minute."
"""Beside a form that could not be saved (the database busy or away): it stays open as typed,
and sending it again makes one of whatever it makes, never two."""


def check_field(spec: FormInput, value: FieldValue) -> str | None:
    """The error to show for one field, or None when the value is acceptable."""
    if isinstance(spec, ChoiceInput):
        picked = chosen(value)
        if not picked:
            return MISSING if spec.required else None
        allowed = {o.value for o in spec.options}
        if any(c not in allowed for c in picked):
            return NOT_AN_OPTION
        if not spec.multiple and not isinstance(value, str):  # a list where one pick belongs
            return NOT_AN_OPTION
        return None
    text = text_of(value)
    if not text:
        return MISSING if spec.required else None
    if isinstance(spec, TextInput) and len(text) > spec.max_length:
        return f"Please keep this under {spec.max_length:,} characters (it has {len(text):,})."
    if isinstance(spec, DateTimeInput) and parse_local_datetime(text) is None:
        return NOT_A_DATETIME
    return None


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
    return dataclasses.replace(form, inputs=tuple(inputs), errors=dict(errors))


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


__all__ = ["check_field", "check_form", "chosen", "parse_local_datetime", "refill", "text_of"]
