"""Form checks every platform shares, and a refilled form that keeps what was typed."""

from __future__ import annotations

from bot.conversation.actions import ActionId
from bot.conversation.forms import check_form, problems, refill, rejected
from bot.conversation.replies import ChoiceInput, DateTimeInput, Form, Option, TextInput

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


MISSING_WHAT = "Please fill in “What happened”"
NOT_A_KIND = "Please pick one of the options for “Kind”"


def test_every_problem_is_keyed_by_its_field_and_names_it() -> None:
    """Each message names its field, so a list of them at the top of a web page says which
    field is wrong, and beside the field it still reads as plain advice."""
    values = {"what": "   ", "kind": "zzz", "tags": ("x", "nope"), "when": "next tuesday"}
    assert check_form(FORM, values) == {
        "what": MISSING_WHAT,
        "kind": NOT_A_KIND,
        "tags": "Please pick one of the options for “Tags”",
        "when": "Please give “When” as a date and time like 2026-12-01 14:30",
    }
    assert check_form(FORM, {"what": "ok"}) == {"kind": "Please choose an answer to “Kind”"}


def test_in_a_list_of_problems_every_error_names_its_field() -> None:
    """An error a handler set beside a field ("couldn't save", beside the first) says
    nothing of the field read away from it, in a list at the top of a page; the checks'
    own errors name theirs already, and are not named twice."""
    errors = {"kind": NOT_A_KIND, "stray": "Something else", "what": "Not saved just now."}
    assert problems(refill(FORM, {}, errors)) == [
        ("what", "“What happened”: Not saved just now."),
        ("kind", NOT_A_KIND),
        (None, "Something else"),  # no field owns it: nothing to name or to link to
    ]


def test_too_long_text_says_how_long() -> None:
    errors = check_form(FORM, {"what": "x" * 25, "kind": "a"})
    assert errors == {"what": "Please keep “What happened” under 20 characters (it has 25)"}


def test_two_choices_in_a_pick_one_field_are_refused() -> None:
    assert check_form(FORM, {"what": "ok", "kind": ("a", "b")}) == {"kind": NOT_A_KIND}


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
    assert check_form(FORM, values) == {"what": MISSING_WHAT, "kind": NOT_A_KIND}


def test_a_rejected_form_comes_back_as_typed_and_a_complete_one_passes() -> None:
    assert rejected(FORM, {"what": "a fall", "kind": "a"}) is None
    again = rejected(FORM, {"what": "", "where": "Ward 7", "kind": "a"})
    assert again is not None and again.summary == "Please check the form"
    assert again.form is not None and again.form.errors == {"what": MISSING_WHAT}
    assert {i.field: i.initial for i in again.form.inputs}["where"] == "Ward 7"
