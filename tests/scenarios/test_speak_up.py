"""Speaking up, end to end: a nurse raises a concern, a guardian answers, the nurse comes back."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlmodel import select

from adapters.console import ConsoleSession
from adapters.console.address import console_actor, console_address
from adapters.runtime import Runtime, open_runtime, sqlite_path
from bot.conversation.actions import ActionId
from bot.conversation.inbound import Conversation, FormSubmitted, Platform
from bot.conversation.outbox import contents
from bot.conversation.replies import Reply
from bot.conversation.sealing import generate_key
from bot.organisation.config import load_settings
from bot.organisation.sync import apply_org_file
from bot.speakup import guardian, reporter
from bot.speakup.alerts import guardian_targets
from storage.outbox import OutboxRow
from storage.speakup.cases import AuditEntry, Author, Case, CaseMessage
from storage.tables import metadata
from tests.fakes import FakeClock, RecordingSender

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "org.yml"
CONCERN = "Agency staff are left alone on nights with no induction on ward 9"


class Script:
    """Typed lines; a callable among them is run instead (to move the clock on mid-way)."""

    def __init__(self, lines: Iterable[str | Callable[[], None]]) -> None:
        self._lines = list(lines)

    async def read(self, prompt: str) -> str | None:
        while self._lines and callable(line := self._lines[0]):
            self._lines.pop(0)
            line()
        return str(self._lines.pop(0)) if self._lines else None


@pytest.fixture
async def runtime(sqlite_url: str) -> AsyncIterator[Runtime]:
    """Disposed afterwards: an engine left to the collector closes its connections from
    a later test, after this test's event loop has closed."""
    settings = load_settings(
        database_url=sqlite_url.replace("+aiosqlite", ""), PEERBOT_SEALING_KEY=generate_key()
    )
    runtime = await open_runtime(settings, clock=FakeClock())
    await apply_org_file(runtime.db, EXAMPLE)
    yield runtime
    await runtime.db.dispose()


async def console(runtime: Runtime, user: str, *lines: str | Callable[[], None]) -> str:
    out = io.StringIO()
    session = ConsoleSession(
        runtime.router, runtime.services, lines=Script(lines), out=out, user_id=user, greeting=False
    )
    await session.run()
    return out.getvalue()


async def table_dump(runtime: Runtime, *, only: str | None = None) -> str:
    rows: list[str] = []
    async with runtime.db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            if only is not None and table.name != only:
                continue
            rows += [
                repr(tuple(r))
                for r in (await connection.execute(text(f'SELECT * FROM "{table.name}"'))).all()
            ]
    return "\n".join(rows)


async def test_anonymous_concern_from_the_console_to_a_guardian_and_back(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    raised = await console(
        runtime,
        "nurse-on-nights",
        "speakup",
        "1",  # Start
        CONCERN,
        "Ward 9, most nights this month",
        "1 2",
        "2",  # no detriment before
        "",
        "1",  # anonymously
        "1",  # Send, once the answers are checked
    )
    assert "Anonymously: Nobody knows who you are" in raised or "Anonymously" in raised
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    phrase = re.search(r"Your passphrase: ((?:[2-9A-Z]{5}-){3}[2-9A-Z]{5})", raised)
    assert code and phrase, raised
    assert "Thank you for speaking up" in raised

    stored = await table_dump(runtime)
    assert "nurse-on-nights" not in stored and CONCERN not in stored
    assert "nurse-on-nights" not in caplog.text and CONCERN not in caplog.text

    alerts = await queued(runtime)
    assert alerts and all(code.group(0) in r.summary for _, r in alerts)
    assert all(a.user_id != "nurse-on-nights" for a, _ in alerts)

    guardian = await console(
        runtime,
        "guardian",
        f"case {code.group(0)}",
        "2",
        "Thank you. I have raised staffing with the matron.",
    )
    assert CONCERN in guardian and "Anonymous" in guardian
    assert f"Case {code.group(0)}: sent." in guardian

    back = await console(
        runtime, "someone-else", "speakup", "2", code.group(0).lower(), phrase.group(1)
    )
    assert "A guardian is working on it" in back
    assert "I have raised staffing with the matron" in back


async def test_anyone_but_a_guardian_is_refused_and_the_attempt_is_audited_anonymously(
    runtime: Runtime,
) -> None:
    out = await console(runtime, "curious-colleague", "cases", "case SU-2345-67")
    assert out.count("only Freedom to Speak Up guardians can do that") == 2
    async with runtime.db.session() as session:
        audit = (await session.exec(select(AuditEntry))).all()
    assert [(a.action, a.person_id) for a in audit] == [("refused", None), ("refused", None)]


async def test_a_guardian_reply_to_a_confidential_case_reaches_the_reporter(
    runtime: Runtime,
) -> None:
    raised = await console(runtime, "nurse-42", "speakup", "1", CONCERN, "", "", "", "", "2", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code and "We will message you directly when a guardian replies." in raised
    guardian = await console(
        runtime, "guardian", f"case {code.group(0)}", "2", "Can we meet on Thursday?"
    )
    assert "console user nurse-42" in guardian  # confidential: the guardian knows who
    told = [(a, r) for a, r in await queued(runtime) if a.user_id == "nurse-42"]
    assert [r.summary for _, r in told] == [
        f"A guardian has replied to your case {code.group(0)}. Type “speakup” and choose "
        "Check a case to read it."
    ]  # only that something happened: the words stay sealed in peerbot


async def test_the_outbox_never_puts_a_confidential_reporter_next_to_their_case(
    runtime: Runtime,
) -> None:
    raised = await console(runtime, "nurse-42", "speakup", "1", CONCERN, "", "", "", "", "2", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code
    await console(runtime, "guardian", f"case {code.group(0)}", "2", "Can we meet?")
    assert len(await queued(runtime)) > 3  # guardian alerts and the notice to the reporter

    outbox = await table_dump(runtime, only="outbox")
    assert code.group(0) not in outbox and "nurse-42" not in outbox
    assert "nurse-42" not in (await raw_file(runtime)).decode("latin-1")


def submitted(user: str, form: ActionId, submission: str, **values: str) -> FormSubmitted:
    """A form as a platform with its own id for each filled-in form (a Slack view) sends it."""
    return FormSubmitted(
        actor=console_actor(user),
        conversation=console_address(user),
        at=datetime.now(UTC),
        form=form,
        values=values,
        submission=submission,
    )


async def test_a_guardians_reply_arriving_twice_tells_the_reporter_once(
    runtime: Runtime,
) -> None:
    raised = await console(runtime, "nurse-42", "speakup", "1", CONCERN, "", "", "", "", "2", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code
    reply = submitted(
        "guardian", guardian.REPLY_FORM_ID, "V0REPLY1", code=code.group(0), text="Can we meet?"
    )
    clock = runtime.clock
    assert isinstance(clock, FakeClock)
    for _ in range(2):  # the platform sends the same submission again a little later
        await runtime.router.handle(reply, runtime.services)
        clock.advance(seconds=3)
    told = [r.summary for a, r in await queued(runtime) if a.user_id == "nurse-42"]
    assert told == [
        f"A guardian has replied to your case {code.group(0)}. Type “speakup” and choose "
        "Check a case to read it."
    ]
    async with runtime.db.session(write=False) as session:
        thread = (await session.exec(select(CaseMessage))).all()
    assert [m.author for m in thread] == [Author.GUARDIAN]  # written into the case once


async def test_what_a_reporter_adds_arriving_twice_alerts_the_guardians_once(
    runtime: Runtime,
) -> None:
    raised = await console(runtime, "nurse-6", "speakup", "1", CONCERN, "", "", "", "", "1", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    phrase = re.search(r"Your passphrase: ((?:[2-9A-Z]{5}-){3}[2-9A-Z]{5})", raised)
    assert code and phrase
    before = len(await queued(runtime))
    more = submitted(
        "anyone",
        reporter.ADDED,
        "V0ADDED1",
        code=code.group(0),
        passphrase=phrase.group(1),
        text="It happened again last night.",
    )
    for _ in range(2):
        await runtime.router.handle(more, runtime.services)
    alerts = [r.summary for _, r in (await queued(runtime))[before:]]
    assert alerts and set(alerts) == {
        f"The reporter of case {code.group(0)} has added to it. "
        f"Type “case {code.group(0)}” to read it."
    }
    targets = len(await guardian_targets_of(runtime))
    assert len(alerts) == targets  # one alert to each guardian target, not two


async def guardian_targets_of(runtime: Runtime) -> list[Conversation]:
    async with runtime.db.session() as session:
        return await guardian_targets(session)


async def test_a_guardians_reply_reaches_the_reporter_at_once_not_at_the_next_poll(
    runtime: Runtime,
) -> None:
    """The worker polls every few seconds for rows other replicas queue; a row queued here
    rings it as its transaction commits."""
    sender = RecordingSender(people={"nurse-42": console_address("nurse-42")})
    runtime.register(Platform.CONSOLE, sender)
    await runtime.start()
    try:
        raised = await console(
            runtime, "nurse-42", "speakup", "1", CONCERN, "", "", "", "", "2", "1"
        )
        code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
        assert code
        await asyncio.sleep(0.3)  # the worker has looked, and is asleep for up to its poll
        sender.arrived.clear()
        replied = loop_time()
        await console(runtime, "guardian", f"case {code.group(0)}", "2", "Can we meet?")
        await asyncio.wait_for(sender.arrived.wait(), 10)
        assert loop_time() - replied < POLL_SECONDS / 2
        assert any(to.user_id == "nurse-42" for to, _ in sender.sent)
    finally:
        await runtime.stop()


POLL_SECONDS = 5.0
"""The delivery worker's default poll."""


def loop_time() -> float:
    return asyncio.get_running_loop().time()


async def queued(runtime: Runtime) -> list[tuple[Conversation, Reply]]:
    """What the outbox holds, opened as the delivery worker opens it."""
    async with runtime.db.session() as session:
        rows = (await session.exec(select(OutboxRow))).all()
    return [contents(row, runtime.sealer) for row in rows]


async def raw_file(runtime: Runtime) -> bytes:
    """The database as a copy of its files would show it: every page, the log included."""
    await runtime.db.dispose()  # closes connections, so the log is on disk and complete
    path = sqlite_path(runtime.settings.database_url)
    assert path is not None
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


async def test_a_closed_case_cannot_be_changed(runtime: Runtime) -> None:
    raised = await console(runtime, "nurse-7", "speakup", "1", CONCERN, "", "", "", "", "3", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code
    await console(
        runtime,
        "guardian",
        f"case {code.group(0)}",
        "7",  # Close
        "Staffing reviewed; induction now mandatory.",
        "Agency induction was never written down.",
    )
    again = await console(
        runtime, "guardian", f"case {code.group(0)}", "reply", f"case {code.group(0)}"
    )
    assert "Outcome" in again and "induction now mandatory" in again
    assert "[1] Acknowledge" not in again.split(f"you> case {code.group(0)}")[-1]


async def test_the_reporter_adds_to_the_case_and_answers_the_question_after_closure(
    runtime: Runtime,
) -> None:
    raised = await console(runtime, "nurse-3", "speakup", "1", CONCERN, "", "", "", "", "1", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    phrase = re.search(r"Your passphrase: ((?:[2-9A-Z]{5}-){3}[2-9A-Z]{5})", raised)
    assert code and phrase
    added = await console(
        runtime,
        "anyone",
        "speakup",
        "2",
        code.group(0),
        phrase.group(1),
        "1",  # Add something: just opened here, so nothing is asked again
        "It happened again last night.",
    )
    assert "Added to your case" in added
    guardian = await console(
        runtime, "guardian", f"case {code.group(0)}", "7", "Rota changed; thank you.", ""
    )
    assert (
        "It happened again last night." in guardian and f"Case {code.group(0)}: closed." in guardian
    )
    early = await console(runtime, "anyone", "speakup", "2", code.group(0), phrase.group(1))
    assert "[1] Would you speak up again?" in early
    answered = await console(
        runtime,
        "anyone",
        "speakup",
        "2",
        code.group(0),
        phrase.group(1),
        "1",
        "3",
        "It took a while but it was worth it.",
    )
    assert "Your answer helps us make speaking up safer." in answered
    async with runtime.db.session() as session:
        case = (await session.exec(select(Case))).one()
    assert case.feedback == "maybe"
    assert "worth it" not in await table_dump(runtime)  # the comment is sealed
    reread = await console(runtime, "anyone", "speakup", "2", code.group(0), phrase.group(1))
    assert "It took a while but it was worth it." in reread


async def test_a_guardian_notes_categorises_hands_over_and_steps_back(runtime: Runtime) -> None:
    raised = await console(runtime, "nurse-9", "speakup", "1", CONCERN, "", "", "", "", "2", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code
    case = f"case {code.group(0)}"
    amara = await console(
        runtime,
        "guardian",
        case,
        "3",  # Private note
        "I know the ward manager socially.",
        case,
        "4",  # Categories
        "1 3",
        "2",  # not treated badly before
        case,
        "5",  # Give to a guardian
        "3",  # Tom Whitfield (guardians are listed by name)
        case,
        "6",  # Step back
        case,
    )
    assert "note saved. Only guardians can see it." in amara
    assert "categories saved." in amara
    assert "is now with Tom Whitfield." in amara
    assert f"You have stepped back from case {code.group(0)}." in amara
    assert f"You stepped back from case {code.group(0)}, so it is closed to you." in amara

    tom = await console(runtime, "tom", case)
    assert "Private note" in tom and "I know the ward manager socially." in tom
    assert "Tom Whitfield" in tom and "Bullying or harassment" in tom

    reporter = await console(runtime, "nurse-9", "speakup", "2", code.group(0), "")
    assert "A guardian is working on it" in reporter
    assert "ward manager socially" not in reporter  # notes never reach the reporter

    async with runtime.db.session() as session:
        stored = (await session.exec(select(Case))).one()
        actions = [a.action for a in (await session.exec(select(AuditEntry))).all()]
    assert stored.categories == ["patient_safety", "bullying_harassment"]
    assert stored.detriment is False and stored.assigned_to is not None
    assert {"noted", "categorised", "assigned", "stepped back"} <= set(actions)
    assert actions[-2:] == ["refused", "viewed"]  # Amara's look after stepping back, then Tom's
    told = [r.summary for _, r in await queued(runtime)]
    assert any(f"stepped back from case {code.group(0)}" in t for t in told)


async def test_a_guardians_home_shows_what_is_waiting_and_nobody_elses_does(
    runtime: Runtime,
) -> None:
    await console(runtime, "nurse-1", "speakup", "1", CONCERN, "", "", "", "", "1", "1")
    guardian = await console(runtime, "guardian", "home")
    assert "Speak-up cases: 1 open, 1 waiting for acknowledgement." in guardian
    colleague = await console(runtime, "nurse-1", "home")
    assert "Speak-up cases" not in colleague


async def test_with_a_random_delay_nothing_stored_keeps_the_time_of_the_report(
    runtime: Runtime, tmp_path: Path
) -> None:
    org = yaml.safe_load(EXAMPLE.read_text())
    org["speak_up_alerts"] = {"policy": "random_delay", "max_delay_minutes": 240}
    (tmp_path / "org.yml").write_text(yaml.safe_dump(org))
    await apply_org_file(runtime.db, tmp_path / "org.yml")
    reported = runtime.clock.now()
    await console(runtime, "nurse-5", "speakup", "1", CONCERN, "", "", "", "", "1", "1")
    async with runtime.db.session() as session:
        rows = (await session.exec(select(OutboxRow))).all()
    assert rows and len({r.due_at for r in rows}) == 1  # every guardian told at one time
    (alert_time,) = {r.due_at for r in rows}
    assert reported <= alert_time <= reported + timedelta(minutes=240)
    assert all(r.created_at == alert_time for r in rows)  # not the moment of the report


async def test_control_characters_in_a_concern_never_reach_the_guardians_terminal(
    runtime: Runtime,
) -> None:
    hostile = "Ward 9 \x1b[2J\x1b]0;owned\x07nights\x00 \x9b31m"
    raised = await console(runtime, "nurse-7", "speakup", "1", hostile, "", "", "", "", "2", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code, raised
    guardian = await console(runtime, "guardian", f"case {code.group(0)}")
    assert "Ward 9 [2J]0;ownednights 31m" in guardian
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", guardian)


@pytest.mark.parametrize("words", ["speak up", "Speak Up", "whistleblowing", "concern", "report"])
async def test_the_words_people_use_lead_to_speaking_up(runtime: Runtime, words: str) -> None:
    out = await console(runtime, "nurse-8", words)
    assert "A Freedom to Speak Up guardian will listen" in out
    assert "didn't understand" not in out


async def test_a_pasted_case_code_opens_the_look_up_with_the_code_filled_in(
    runtime: Runtime,
) -> None:
    out = await console(runtime, "nurse-9", " su-7k3m-q9 ", "cancel")
    assert "Check a case" in out
    assert "(Press Enter to keep: SU-7K3M-Q9)" in out
    assert "didn't understand" not in out


async def test_a_guardian_sees_not_sure_as_said_and_who_has_the_case(runtime: Runtime) -> None:
    raised = await console(runtime, "nurse-10", "speakup", "1", CONCERN, "", "", "3", "", "1", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code, raised
    before = await console(runtime, "guardian", f"case {code.group(0)}")
    assert "Treated badly before for speaking up: Not sure" in before
    assert "With: No one yet" in before

    after = await console(runtime, "guardian", f"case {code.group(0)}", "1", f"case {code[0]}")
    assert f"Case {code.group(0)} is acknowledged." in after
    assert "With: Amara Okafor" in after.split("is acknowledged.")[1]


async def test_the_first_guardian_to_reply_has_the_case(runtime: Runtime) -> None:
    raised = await console(runtime, "nurse-11", "speakup", "1", CONCERN, "", "", "", "", "1", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code, raised
    tom = await console(runtime, "tom", f"case {code[0]}", "2", "We are looking into it.")
    assert "Case code" not in tom  # the case is the one whose Reply was pressed
    assert f"Case {code[0]}: sent." in tom
    seen = await console(runtime, "guardian", f"case {code[0]}")
    assert "With: Tom Whitfield" in seen
    assert "Treated badly before for speaking up: Not said" in seen


@pytest.mark.parametrize("typed", ["WRONG-AAAAA-BBBBB-CCCCC", ""], ids=["wrong", "missing"])
async def test_adding_later_asks_the_passphrase_and_a_wrong_or_missing_one_loses_nothing(
    runtime: Runtime, typed: str
) -> None:
    raised = await console(runtime, "nurse-12", "speakup", "1", CONCERN, "", "", "", "", "1", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    phrase = re.search(r"Your passphrase: ((?:[2-9A-Z]{5}-){3}[2-9A-Z]{5})", raised)
    assert code and phrase
    clock = runtime.clock
    assert isinstance(clock, FakeClock)
    added = await console(
        runtime,
        "anyone",
        "speakup",
        "2",
        code[0],
        phrase[1],
        lambda: clock.advance(hours=2),  # the case was left open on screen
        "1",  # Add something: too long ago, so the passphrase is asked
        "",  # keep the code
        typed,
        "It happened again last night.",
        phrase[1],  # only the passphrase is asked again
    )
    assert "We could not open a case with those details." in added
    assert "Added to your case" in added
    assert added.count("What would you like to add?") == 1  # typed once, never lost
    # asked again right under the refusal: not "optional" to the reporter who has one
    asked_again = added.split("Some answers need another look:")[1]
    assert "\nPassphrase, if you were given one" in asked_again
    assert "optional" not in added.split("Add to your case")[1]


async def test_nothing_is_sent_until_send_and_any_answer_can_be_changed_first(
    runtime: Runtime,
) -> None:
    checked = await console(
        runtime, "nurse-13", "speakup", "1", CONCERN, "", "", "", "", "1", "2", "2", "Ward 9"
    )
    assert "Nothing has been sent yet." in checked
    assert f"1. What happened?\n   {CONCERN}" in checked
    assert "2. Where and when?\n   Ward 9" in checked  # changed before sending
    assert "Thank you for speaking up" not in checked  # the input ended before Send
    assert await table_dump(runtime, only="speakup_case") == ""

    cancelled = await console(
        runtime, "nurse-13", "speakup", "1", CONCERN, "", "", "", "", "1", "cancel"
    )
    assert "Form cancelled. Nothing was sent." in cancelled
    assert await table_dump(runtime, only="speakup_case") == ""

    sent = await console(runtime, "nurse-13", "speakup", "1", CONCERN, "", "", "", "", "1", "1")
    assert "Thank you for speaking up" in sent
    assert await table_dump(runtime, only="speakup_case") != ""
