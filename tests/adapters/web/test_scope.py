"""The web form answers the reporter's own buttons and forms only. Guardian casework lives
in the same speak-up feature, and it is neither shown nor answered here."""

from __future__ import annotations

from adapters.web import scope
from adapters.web.render import page
from bot.conversation.replies import Button, Buttons, Reply
from bot.speakup import guardian, reporter
from tests.adapters.web.test_form import CASEWORK


def test_the_web_answers_exactly_the_reporters_own_buttons_and_forms() -> None:
    assert {reporter.START, reporter.CHECK, reporter.ADD, reporter.FEEDBACK} == scope.ACTIONS
    assert {
        reporter.RAISE,
        reporter.LOOKUP,
        reporter.ADDED,
        reporter.FEEDBACK_GIVEN,
    } == scope.FORMS
    refused = {a for _, a in CASEWORK}  # each one posted and refused in test_form
    assert {guardian.ACK, guardian.CLOSE, guardian.REPLY_FORM_ID} <= refused
    assert len(refused) == 12  # every guardian button and form, none of the reporter's


def test_a_guardians_button_is_not_shown_on_a_web_page() -> None:
    buttons = (
        Button(label="Acknowledge", action=guardian.ACK, value="SU-2222-22"),
        Button(label="Add something", action=reporter.ADD, value="SU-2222-22"),
    )
    html = page([Reply(summary="Case", blocks=(Buttons(buttons=buttons),))], token="t" * 43)
    assert "Add something" in html and "Acknowledge" not in html
