"""Typed answers read back into the same field values every platform submits."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import pytest

from adapters.console.questions import parse_answer, question
from bot.conversation.forms import check_field
from bot.conversation.inbound import FieldValue
from bot.conversation.replies import ChoiceInput, DateTimeInput, FormInput, Option, TextInput

OPTIONS = (Option(value="am", label="Morning"), Option(value="pm", label="Afternoon"))
ONE = ChoiceInput(field="slot", label="When?", options=OPTIONS, initial=("pm",))
MANY = ChoiceInput(field="slots", label="When?", options=OPTIONS, multiple=True, initial=("am",))
WHEN = DateTimeInput(field="at", label="At?", initial="2026-12-01T14:30")
NOTE = TextInput(field="note", label="Note", required=False, initial="Bring a pen")


@pytest.mark.parametrize(
    ("spec", "typed", "value"),
    [
        (ONE, "", "pm"),  # Enter keeps a single choice as its one key, not a tuple
        (ONE, "1", "am"),
        (ONE, "morning", "am"),
        (MANY, "", ("am",)),
        (MANY, "2 1 2", ("pm", "am")),
        (WHEN, "", "2026-12-01T14:30"),
        (WHEN, "2026-12-02 9:05", None),  # not ISO: left for the shared check to refuse
        (WHEN, "2026-12-02 09:05", "2026-12-02T09:05"),
        (NOTE, "", "Bring a pen"),
        (NOTE, "A pencil", "A pencil"),
    ],
)
def test_typed_answers_become_field_values(spec: FormInput, typed: str, value: FieldValue) -> None:
    parsed, error = parse_answer(spec, typed)
    if value is None:
        assert check_field(spec, parsed) is not None
    else:
        assert (parsed, error) == (value, None)
        assert check_field(spec, parsed) is None


def test_a_question_shows_what_enter_keeps_in_words_people_read() -> None:
    assert "(Press Enter to keep: Afternoon)" in question(ONE)
    assert "Note (optional)\n(Press Enter to keep: Bring a pen)" in question(NOTE)


def test_a_field_whose_label_says_when_it_may_be_left_empty_is_not_called_optional() -> None:
    """ "Passphrase, if you were given one" is not optional to whoever was given one: Enter
    is offered to those who were not, and "optional" is never said."""
    said = TextInput(
        field="passphrase",
        label="Passphrase, if you were given one",
        required=False,
        says_when=True,
    )
    assert (
        question(said).splitlines()[1] == "Passphrase, if you were given one (press Enter if not)"
    )
    assert "optional" not in question(replace(said, initial="AAAAA")).lower()
    assert (
        question(replace(said, says_when=False))
        .splitlines()[1]
        .endswith("(optional — press Enter to skip)")
    )


@pytest.mark.parametrize(
    "spec",
    [dataclasses.replace(MANY, required=False), NOTE, dataclasses.replace(WHEN, required=False)],
)
def test_a_dash_leaves_an_optional_question_unanswered(spec: FormInput) -> None:
    assert parse_answer(spec, "-") == (None, None)
    assert check_field(spec, None) is None


@pytest.mark.parametrize("spec", [ONE, WHEN])
def test_a_dash_cannot_empty_a_question_that_needs_an_answer(spec: FormInput) -> None:
    value, _ = parse_answer(spec, "-")
    assert check_field(spec, value) is not None
    assert "Type -" not in question(spec)


def test_a_key_that_is_no_option_is_not_kept_as_an_answer() -> None:
    """A multi-choice with nothing chosen may come back filled with an empty key."""
    none_chosen = dataclasses.replace(MANY, required=False, initial=("",))
    assert parse_answer(none_chosen, "") == (None, None)
    assert "keep" not in question(none_chosen)
