"""Form fields as console questions, and typed answers read back into field values."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from adapters.console.render import wrap
from bot.conversation.forms import NOT_AN_OPTION, parse_local_datetime
from bot.conversation.inbound import FieldValue
from bot.conversation.replies import (
    ChoiceInput,
    DateTimeInput,
    Form,
    FormInput,
    TextInput,
    marked_optional,
)

CARRY_ON = "\\"
CLEAR = "-"
"""Typed for an optional question: no answer, even where one is filled in already (Enter
keeps that). A form on a screen is emptied by deleting; a console needs a word for it."""
NUMBER = re.compile(r"[0-9]+")
SKIP = " (optional — press Enter to skip)"
SKIP_IF_NOT = " (press Enter if not)"
"""After a label that says when it may be left empty: "Passphrase, if you were given one"."""


def question(spec: FormInput) -> str:
    """The label, how to answer, and what pressing Enter does."""
    keep = _shown(spec)
    if spec.required:
        optional = ""
    elif not marked_optional(spec):
        optional = "" if keep else SKIP_IF_NOT
    else:
        optional = " (optional)" if keep else SKIP
    lines = ["", spec.label + optional]
    if spec.hint:
        lines.append(wrap(spec.hint))
    if isinstance(spec, ChoiceInput):
        lines += [f"  [{n}] {option.label}" for n, option in enumerate(spec.options, 1)]
        lines.append(
            f"Type the numbers you choose, like {_example(len(spec.options))}."
            if spec.multiple
            else "Type the number of your choice."
        )
    elif isinstance(spec, DateTimeInput):
        lines.append("Type a date and time like 2026-12-01 14:30.")
    elif spec.multiline:
        lines.append(f"(To write more than one line, end a line with {CARRY_ON} and carry on.)")
    if keep:
        lines.append(f"(Press Enter to keep: {keep})")
        if not spec.required:
            lines.append(_to_clear(spec))
    return "\n".join(lines)


def _example(count: int) -> str:
    """Numbers there are to type: "1, 3" among three options or more, "1, 2" among two."""
    return ", ".join(str(n) for n in sorted({1, min(count, 3)}))


def _to_clear(spec: FormInput) -> str:
    """How to leave an optional question with an answer already in it unanswered."""
    if isinstance(spec, ChoiceInput) and spec.multiple:
        return f"(Type {CLEAR} to choose none.)"
    return f"(Type {CLEAR} to clear it.)"


def cut_to_fit(spec: FormInput, value: FieldValue) -> TextInput | None:
    """The question again with an over-long answer kept, cut to fit, for Enter to keep."""
    if not isinstance(spec, TextInput) or not isinstance(value, str):
        return None
    if len(value) <= spec.max_length:
        return None
    return dataclasses.replace(spec, initial=value[: spec.max_length].rstrip())


def too_long(cut: TextInput) -> str:
    """After an over-long answer: what was typed is kept, cut to fit, so nothing has to be
    typed again unless the person wants to."""
    end = cut.initial[-40:].lstrip()
    return (
        f"Press Enter to keep the first {cut.max_length:,} characters, which end "
        f"“…{end}”, or type a shorter version."
    )


def continues(spec: FormInput) -> bool:
    """Whether a line ending in a backslash carries on to the next: long text only."""
    return isinstance(spec, TextInput) and spec.multiline


def parse_answer(spec: FormInput, typed: str) -> tuple[FieldValue, str | None]:
    """Typed text as the field's value, or a console-specific error (a number that picks
    nothing). Pressing Enter keeps the value already there; `-` leaves it unanswered (a
    required question then says it needs an answer). The shared checks in
    `bot.conversation.forms` still run on the result."""
    if not typed:
        return kept(spec), None
    if typed == CLEAR:
        return None, None
    if isinstance(spec, ChoiceInput):
        return _choose(spec, typed)
    if isinstance(spec, DateTimeInput) and (when := parse_local_datetime(typed)) is not None:
        return when.isoformat(timespec="minutes"), None  # the neutral form's ISO 8601
    return typed, None


def problems(form: Form) -> str:
    """What to fix in a refused form, for its top: an error no field owns (every question
    is then asked again), and, when there are several, each field's error by its name, so
    the whole of it is seen at once rather than learnt one question at a time."""
    owned = {spec.field: spec for spec in form.inputs}
    lines = [f"! {error}" for field, error in form.errors.items() if field not in owned]
    refused = [(spec, form.errors[spec.field]) for spec in form.inputs if spec.field in form.errors]
    if len(refused) > 1:
        lines += [f"! {_named(spec, error)}" for spec, error in refused]
    return "\n".join(wrap(line) for line in lines)


def _named(spec: FormInput, error: str) -> str:
    """The error with its question's name in front, unless it names the question itself."""
    return error if f"“{spec.label}”" in error else f"{spec.label}: {error}"


def review(inputs: Sequence[FormInput]) -> str:
    """Every question, numbered, with the answer that will be sent."""
    lines = []
    for n, spec in enumerate(inputs, 1):
        lines.append(f"{n}. {spec.label}")
        lines.append(wrap(_shown(spec) or "(no answer)", "   "))
    return "\n".join(lines)


def kept(spec: FormInput) -> FieldValue:
    """The value Enter keeps: the field's initial answer, as the platform would send it."""
    if isinstance(spec, ChoiceInput):
        return _value(spec, _initial(spec))
    return spec.initial or None


def _initial(spec: ChoiceInput) -> tuple[str, ...]:
    """The options filled in already; a key that is no option (an empty one, for a
    multi-choice with none chosen) is not an answer, as no checkbox would show it ticked."""
    options = {o.value for o in spec.options}
    return tuple(v for v in spec.initial if v in options)


def _choose(spec: ChoiceInput, typed: str) -> tuple[FieldValue, str | None]:
    """Numbers (separated by commas or spaces), or one option's label typed out."""
    count = len(spec.options)
    words = [w for w in re.split(r"[\s,]+", typed) if w]
    if all(NUMBER.fullmatch(w) for w in words):
        if not all(1 <= int(w) <= count for w in words):
            return None, _not_an_option(count)
        chosen = tuple(dict.fromkeys(spec.options[int(w) - 1].value for w in words))
    else:
        names = {n.casefold(): o.value for o in spec.options for n in (o.label, o.value)}
        if (named := names.get(typed.strip().casefold())) is None:
            return None, _not_an_option(count)
        chosen = (named,)
    if len(chosen) > 1 and not spec.multiple:
        return None, "Please pick just one: type a single number."
    return _value(spec, chosen), None


def _not_an_option(count: int) -> str:
    return f"{NOT_AN_OPTION} " + ("Type 1." if count == 1 else f"Type a number from 1 to {count}.")


def _value(spec: ChoiceInput, chosen: tuple[str, ...]) -> FieldValue:
    """A multi-choice is a tuple of keys; a single choice is its one key, as on every platform."""
    if spec.multiple:
        return chosen or None
    return chosen[0] if chosen else None


def _shown(spec: FormInput) -> str:
    """The value Enter keeps, as people read it (option labels, not keys)."""
    if isinstance(spec, ChoiceInput):
        labels = {o.value: o.label for o in spec.options}
        return ", ".join(labels[v] for v in _initial(spec))
    if isinstance(spec, DateTimeInput):
        return spec.initial.replace("T", " ", 1)  # as people type it, as the hint shows it
    return spec.initial
