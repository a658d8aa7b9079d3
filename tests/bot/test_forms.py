"""Form checks every platform shares, and a refilled form that keeps what was typed."""

from __future__ import annotations

from bot.actions import ActionId
from bot.forms import MISSING, NOT_A_DATETIME, NOT_AN_OPTION, check_form, refill
from bot.replies import ChoiceInput, DateTimeInput, Form, Option, TextInput

FORM = Form(
    form=ActionId("demo", "form"),
    title="Tell us",
    inputs=(
        TextInput(field="what", label="What happened", multiline=True, max_length=20),
        TextInput(field="where", label="Where", required=False),
        ChoiceInput(
            field="kind",
            label="Kind",
            options=(Option(value="a", label="A"), Option(value="b", label="B")),
        ),
        ChoiceInput(
            field="tags",
            label="Tags",
            multiple=True,
            required=False,
            options=(Option(value="x", label="X"), Option(value="y", label="Y")),
        ),
        DateTimeInput(field="when", label="When", required=False),
    ),
)


def test_a_complete_submission_has_no_errors() -> None:
    values = {"what": "a fall", "kind": "a", "tags": ("x", "y"), "when": "2026-12-01 14:30"}
    assert check_form(FORM, values) == {}


def test_every_problem_is_named_by_field() -> None:
    values = {"what": "   ", "kind": "zzz", "tags": ("x", "nope"), "when": "next tuesday"}
    assert check_form(FORM, values) == {
        "what": MISSING,
        "kind": NOT_AN_OPTION,
        "tags": NOT_AN_OPTION,
        "when": NOT_A_DATETIME,
    }


def test_too_long_text_says_how_long() -> None:
    errors = check_form(FORM, {"what": "x" * 25, "kind": "a"})
    assert errors == {"what": "Please keep this under 20 characters (it has 25)."}


def test_two_choices_in_a_pick_one_field_are_refused() -> None:
    assert check_form(FORM, {"what": "ok", "kind": ("a", "b")}) == {"kind": NOT_AN_OPTION}


def test_refill_keeps_every_value_and_shows_the_errors() -> None:
    values = {"what": "x" * 25, "where": "Ward 7", "kind": "b", "tags": ("y",)}
    errors = check_form(FORM, values)
    again = refill(FORM, values, errors)
    initial = {i.field: i.initial for i in again.inputs}
    assert initial == {
        "what": "x" * 25,
        "where": "Ward 7",
        "kind": ("b",),
        "tags": ("y",),
        "when": "",
    }
    assert again.errors == errors


def test_a_single_choice_sent_as_a_list_is_a_field_error_not_a_guess() -> None:
    """A platform can send one pick as a one-item list (Slack checkboxes, a web form with the
    field twice): the feature reads a single choice as text, so it must never get a list."""
    values = {"what": ("a fall",), "kind": ("a",)}
    assert check_form(FORM, values) == {"what": MISSING, "kind": NOT_AN_OPTION}
