"""Whole console conversations: typed lines in, text out, through the real router."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import pytest

from adapters.console import ConsoleSession, console_address
from bot.conversation.actions import ActionId
from bot.conversation.forms import check_form, refill
from bot.conversation.inbound import ButtonPressed, Command, FormSubmitted, Platform
from bot.conversation.replies import (
    Attachment,
    Button,
    Buttons,
    ChoiceInput,
    Choices,
    DateTimeInput,
    FieldItem,
    Fields,
    Form,
    Notice,
    Option,
    Reply,
    Text,
    TextInput,
    say,
)
from bot.conversation.router import Feature, Router
from bot.conversation.services import Services
from storage.engine import Database
from tests.fakes import FakeClock

TEA = ActionId("demo", "tea")
MOOD = ActionId("demo", "mood")
REPORT = ActionId("demo", "report")

REPORT_FORM = Form(
    form=REPORT,
    title="Tell us what happened",
    intro="Only the guardian will read this.",
    inputs=(
        TextInput(field="what", label="What happened?", multiline=True, max_length=200),
        TextInput(field="where", label="Where?", required=False),
        ChoiceInput(
            field="how",
            label="How do you want to speak up?",
            options=(
                Option(value="anonymous", label="Anonymously"),
                Option(value="open", label="Openly"),
            ),
        ),
        ChoiceInput(
            field="about",
            label="What is it about?",
            multiple=True,
            required=False,
            options=(
                Option(value="safety", label="Patient safety"),
                Option(value="bullying", label="Bullying"),
                Option(value="other", label="Something else"),
            ),
        ),
        DateTimeInput(field="when", label="When?", required=False),
    ),
)
THANKS = Reply(summary="Thanks", blocks=(Notice(title="Thank you", text="Case SU-7K3M-Q9"),))


class Demo:
    """A feature made for the test, recording what its handlers were given."""

    def __init__(self, *, refuse_once: bool = False, form_breaks: bool = False) -> None:
        self.submissions: list[FormSubmitted] = []
        self.pressed: list[ButtonPressed] = []
        self.commands: list[Command] = []
        self.refuse_once = refuse_once
        self.form_breaks = form_breaks

    async def menu(self, command: Command, _s: Services) -> list[Reply]:
        self.commands.append(command)
        return [
            Reply(
                summary="Menu",
                blocks=(
                    Text(text="Tea break", heading=True),
                    Fields(items=(FieldItem(label="Ward", value="7"),)),
                    Buttons(buttons=(Button(label="Tea", action=TEA, value="milk"),)),
                ),
            ),
            Reply(
                summary="Mood",
                blocks=(
                    Choices(
                        label="How are you?",
                        action=MOOD,
                        options=(Option(value="ok", label="OK"), Option(value="low", label="Low")),
                    ),
                ),
                ephemeral=True,
            ),
        ]

    async def press(self, press: ButtonPressed, _s: Services) -> list[Reply]:
        self.pressed.append(press)
        return [say(f"You picked {press.action.name} {press.value}.")]

    async def report(self, _c: Command, _s: Services) -> list[Reply]:
        return [Reply(summary="Form", blocks=(REPORT_FORM,))]

    async def submitted(self, form: FormSubmitted, _s: Services) -> list[Reply]:
        self.submissions.append(form)
        assert check_form(REPORT_FORM, form.values) == {}
        if self.form_breaks:
            raise RuntimeError("a form handler bug")
        if self.refuse_once:
            self.refuse_once = False
            errors = {"where": "Please name the ward.", "when": "That is in the future."}
            return [Reply(summary="Fix", blocks=(refill(REPORT_FORM, form.values, errors),))]
        return [THANKS]

    async def broken(self, _c: Command, _s: Services) -> list[Reply]:
        raise RuntimeError("a handler bug")

    def router(self) -> Router:
        feature = Feature(
            name="demo",
            title="Demo",
            summary="A demo.",
            commands={"menu": self.menu, "report": self.report, "broken": self.broken},
            actions={TEA: self.press, MOOD: self.press},
            forms={REPORT: self.submitted},
        )

        async def fallback(command: Command, _s: Services) -> list[Reply]:
            return [say(f"I can help with: menu, report. (You said {command.name!r}.)")]

        return Router([feature], fallback=fallback)


class Script:
    """Lines typed by a person, in order; then the end of input."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = list(lines)
        self.prompts: list[str] = []

    async def read(self, prompt: str) -> str | None:
        self.prompts.append(prompt)
        return self._lines.pop(0) if self._lines else None


@pytest.fixture
def services(sqlite_db: Database) -> Services:
    return Services(db=sqlite_db, clock=FakeClock())


async def chat(demo: Demo, services: Services, *lines: str, greeting: bool = False) -> str:
    out = io.StringIO()
    session = ConsoleSession(
        demo.router(),
        services,
        lines=Script(lines),
        out=out,
        user_id="nurse",
        time_zone="Europe/London",
        greeting=greeting,
    )
    await session.run()
    return out.getvalue()


async def test_greeting_routes_help_and_unknown_words_get_the_fallback(services: Services) -> None:
    out = await chat(Demo(), services, "  ", "what now", "quit", "menu", greeting=True)
    assert "I can help with: menu, report. (You said 'help'.)" in out
    assert "(You said 'what'.)" in out
    assert "(You said '')" not in out  # the blank line was not sent anywhere
    assert "Tea break" not in out  # nothing is read after quit
    assert out.rstrip().endswith("Bye. Take care of yourself.")


async def test_without_a_greeting_nothing_is_routed_until_someone_types(
    services: Services,
) -> None:
    out = await chat(Demo(), services)
    assert "You said" not in out
    assert "Bye" in out


async def test_a_reply_reads_as_headings_fields_and_numbered_options(services: Services) -> None:
    demo = Demo()
    out = await chat(demo, services, "Menu please")
    assert "Tea break\n=========" in out
    assert "  Ward: 7" in out
    assert "  [1] Tea\n" in out
    assert "How are you?\n  [2] OK\n  [3] Low\n(Only you can see this.)" in out
    (command,) = demo.commands
    assert command.args == ("please",)
    assert command.actor.platform is Platform.CONSOLE and command.actor.tenant == "local"
    assert command.actor.user_id == "nurse" and command.actor.time_zone == "Europe/London"
    assert command.conversation == console_address("nurse")


async def test_buttons_and_choices_are_picked_by_number(services: Services) -> None:
    demo = Demo()
    await chat(demo, services, "menu", "1", "menu", " 3 ")
    assert [(p.action, p.value) for p in demo.pressed] == [(TEA, "milk"), (MOOD, "low")]
    assert demo.pressed[0].actor.user_id == "nurse"
    assert demo.pressed[0].conversation == console_address("nurse")


async def test_a_number_that_picks_nothing_gets_a_hint_not_a_press(services: Services) -> None:
    demo = Demo()
    out = await chat(demo, services, "4", "menu", "4", "0", "1", "2")
    assert "There is nothing to pick by number just now. Type 'help'" in out
    assert out.count("There is no option 4. Type a number from 1 to 3, or 'help'.") == 1
    assert "There is no option 0." in out
    # The tea reply has no options, so the menu above it is still the one numbers pick.
    assert [p.value for p in demo.pressed] == ["milk", "ok"]
    assert out.count("There is nothing to pick by number just now.") == 1


async def test_a_form_is_filled_field_by_field_with_each_answer_checked(services: Services) -> None:
    demo = Demo()
    out = await chat(
        demo,
        services,
        "report",
        "",  # what happened: required, so asked again
        "A fall on the ward \\",
        "at night",
        "Ward 7",
        "5",  # not an option
        "1 2",  # two answers to a pick-one question
        "1",
        "1, 2, 9",  # one number is not an option
        "1, 2",
        "last tuesday",  # not a date
        "2026-11-01 03:10",
    )
    assert "Tell us what happened" in out and "Only the guardian will read this." in out
    assert "(Type 'cancel' at any question to stop. Nothing is sent until the end.)" in out
    assert "Where? (optional — press Enter to skip)" in out
    assert "(To write more than one line, end a line with \\ and carry on.)" in out
    assert "  [1] Anonymously\n  [2] Openly\nType the number of your choice." in out
    assert "Type the numbers you choose, like 1, 3." in out
    assert "Type a date and time like 2026-12-01 14:30." in out
    assert "! Please fill in “What happened?”" in out
    assert out.count("! Please pick one of the options. Type a number from 1 to 2.") == 1
    assert "! Please pick just one: type a single number." in out
    assert "! Please pick one of the options. Type a number from 1 to 3." in out
    assert "! Please give “When?” as a date and time like 2026-12-01 14:30" in out
    assert "** Thank you **\nCase SU-7K3M-Q9" in out
    (submitted,) = demo.submissions
    assert submitted.form == REPORT and submitted.actor.user_id == "nurse"
    assert dict(submitted.values) == {
        "what": "A fall on the ward\nat night",
        "where": "Ward 7",
        "how": "anonymous",
        "about": ("safety", "bullying"),
        "when": "2026-11-01T03:10",
    }


async def test_optional_fields_are_skipped_with_enter_and_options_picked_by_name(
    services: Services,
) -> None:
    demo = Demo()
    await chat(demo, services, "report", "Shouted at", "", "openly", "", "")
    (submitted,) = demo.submissions
    assert dict(submitted.values) == {
        "what": "Shouted at",
        "where": None,
        "how": "open",
        "about": None,
        "when": None,
    }


async def test_a_refused_form_asks_only_the_refused_fields_again(services: Services) -> None:
    demo = Demo(refuse_once=True)
    out = await chat(
        demo, services, "report", "Shouted at", "Ward 7", "2", "3", "", "Ward 9", "", "menu"
    )
    assert "Some answers need another look:" in out
    assert "! Please name the ward." in out and "! That is in the future." in out
    assert "(Press Enter to keep: Ward 7)" in out
    first, second = demo.submissions
    assert dict(first.values) == {
        "what": "Shouted at",
        "where": "Ward 7",
        "how": "open",
        "about": ("other",),
        "when": None,
    }
    assert dict(second.values) == {**first.values, "where": "Ward 9"}
    assert out.count("What happened?") == 1  # a kept answer is not asked for again
    assert out.count("How do you want to speak up?") == 1
    assert "** Thank you **" in out
    assert "[1] Tea" in out  # and the conversation carries on


async def test_cancel_sends_nothing_and_the_chat_goes_on(services: Services) -> None:
    demo = Demo()
    out = await chat(demo, services, "report", "Something", "Ward 7", "CANCEL", "menu")
    assert "Form cancelled. Nothing was sent." in out
    assert demo.submissions == []
    assert "[1] Tea" in out


async def test_quit_in_a_form_cancels_it_and_leaves(services: Services) -> None:
    demo = Demo()
    out = await chat(demo, services, "report", "quit", "menu")
    assert demo.submissions == []
    assert "Form cancelled. Nothing was sent.\n\nBye. Take care of yourself." in out
    assert "[1] Tea" not in out


@pytest.mark.parametrize("typed", [("Something",), ("Something \\",)])
async def test_input_ending_mid_form_ends_the_session_cleanly(
    services: Services, typed: tuple[str, ...]
) -> None:
    demo = Demo()
    out = await chat(demo, services, "report", *typed)
    assert demo.submissions == []
    assert out.rstrip().endswith("Form cancelled. Nothing was sent.\n\nBye. Take care of yourself.")


async def test_a_failing_handler_gets_an_apology_and_the_chat_goes_on(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    out = await chat(Demo(), services, "broken my secret words", "menu")
    assert "Sorry, something went wrong on our side. Please try again." in out
    assert "[1] Tea" in out
    assert "console: command broken failed with RuntimeError" in caplog.text
    assert "secret" not in caplog.text and "nurse" not in caplog.text


async def test_a_failing_form_handler_gets_an_apology_and_the_chat_goes_on(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    demo = Demo(form_breaks=True)
    out = await chat(demo, services, "report", "Private words", "", "1", "", "", "menu")
    assert len(demo.submissions) == 1
    assert "Sorry, something went wrong on our side. Please try again." in out
    assert "[1] Tea" in out
    assert "console: form demo.report failed with RuntimeError" in caplog.text
    assert "Private" not in caplog.text


async def test_proactive_messages_arrive_and_their_buttons_can_be_picked(
    services: Services,
) -> None:
    demo = Demo()
    out = io.StringIO()

    class DeliverFirst(Script):
        async def read(self, prompt: str) -> str | None:
            if not self.prompts:
                message = Reply(
                    summary="Reminder",
                    blocks=(Buttons(buttons=(Button(label="Tea now", action=TEA, value="now"),)),),
                )
                await session.send(console_address("nurse"), message)
            return await super().read(prompt)

    session = ConsoleSession(
        demo.router(), services, lines=DeliverFirst(["1"]), out=out, user_id="nurse", greeting=False
    )
    await session.run()
    assert "--- new message ---\n  [1] Tea now\n-------------------" in out.getvalue()
    assert [p.value for p in demo.pressed] == ["now"]


class ClosedOnce(Demo):
    """Refuses the first submission with an error that belongs to no field."""

    async def submitted(self, form: FormSubmitted, services: Services) -> list[Reply]:
        if self.submissions:
            return await super().submitted(form, services)
        self.submissions.append(form)
        errors = {"form": "This form is closed for a minute. Please try again."}
        return [Reply(summary="Closed", blocks=(refill(REPORT_FORM, form.values, errors),))]


async def test_an_error_no_field_owns_is_shown_and_every_answer_offered_again(
    services: Services,
) -> None:
    demo = ClosedOnce()
    out = await chat(demo, services, "report", "Shouted at", "", "1", "", "", *[""] * 5)
    assert "Some answers need another look:\n! This form is closed for a minute." in out
    assert "(Press Enter to keep: Shouted at)" in out
    assert "(Press Enter to keep: Anonymously)" in out
    first, second = demo.submissions
    assert second.values == first.values  # Enter kept every answer
    assert "** Thank you **" in out


async def test_odd_input_is_taken_as_words_never_as_a_number(services: Services) -> None:
    demo = Demo()
    out = await chat(demo, services, "menu", "²", "1.5", "-1", "\x00\x1b[A", "🙂", "٣")
    assert demo.pressed == []
    assert out.count("I can help with") == 6
    assert out.rstrip().endswith("Bye. Take care of yourself.")


async def test_an_over_long_answer_is_kept_cut_to_fit_unless_typed_again(
    services: Services,
) -> None:
    demo = Demo()
    long = "Night shift on ward 9 was short staffed again. " * 5  # 235 characters
    out = await chat(demo, services, "report", long, "", "Ward 9", "1", "", "")
    assert "Please keep “What happened?” under 200 characters (it has 234)" in out
    assert "Press Enter to keep the first 200 characters, which end" in out
    (sent,) = demo.submissions
    assert sent.values["what"] == long.strip()[:200].rstrip()
    assert sent.values["where"] == "Ward 9"

    again = Demo()
    await chat(again, services, "report", long, "Short now.", "", "1", "", "")
    assert again.submissions[0].values["what"] == "Short now."


async def test_a_file_is_saved_and_the_person_told_where(
    services: Services, tmp_path: Path
) -> None:
    invite = Attachment(name="invite.ics", media_type="text/calendar", data=b"BEGIN:VCALENDAR")

    async def answer(_c: Command, _s: Services) -> list[Reply]:
        return [Reply(summary="Your invite", files=(invite,))]

    out = io.StringIO()
    session = ConsoleSession(
        Router([], fallback=answer),
        services,
        lines=Script(["invite", "invite", "quit"]),
        out=out,
        user_id="nurse",
        files=tmp_path,
        greeting=False,
    )
    await session.run()
    assert f"Saved invite.ics to {tmp_path / 'invite.ics'}" in out.getvalue()
    assert f"Saved invite.ics to {tmp_path / 'invite-1.ics'}" in out.getvalue()
    assert (tmp_path / "invite-1.ics").read_bytes() == invite.data


async def test_a_command_word_as_an_answer_is_asked_about_first(services: Services) -> None:
    """Typed at a question, `menu` may be the answer or a way out of the form: asked."""
    kept = Demo()
    out = await chat(kept, services, "report", "menu", "3", "1", "Ward 7", "1", "", "")
    assert "! Please type 1 or 2." in out
    (sent,) = kept.submissions
    assert sent.values["what"] == "menu"

    left = Demo()
    out = await chat(left, services, "report", "menu", "2")
    assert "“menu” is also something you can type to peerbot." in out
    assert left.submissions == []
    assert out.index("Form cancelled. Nothing was sent.") < out.index("[1] Tea")
