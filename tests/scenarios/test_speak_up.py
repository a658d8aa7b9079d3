"""Speaking up, end to end: a nurse raises a concern, a guardian answers, the nurse comes back."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlmodel import select

from adapters.console import ConsoleSession
from adapters.runtime import Runtime, open_runtime, sqlite_path
from bot.config import load_settings
from bot.events import Conversation
from bot.orgsync import apply_org_file
from bot.outbox import contents
from bot.replies import Reply
from bot.sealing import generate_key
from storage.outbox import OutboxRow
from storage.speakup import AuditEntry, Case
from storage.tables import metadata
from tests.fakes import FakeClock

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "org.yml"
CONCERN = "Agency staff are left alone on nights with no induction on ward 9"


class Script:
    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = list(lines)

    async def read(self, prompt: str) -> str | None:
        return self._lines.pop(0) if self._lines else None


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


async def console(runtime: Runtime, user: str, *lines: str) -> str:
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
    )
    assert "Anonymously: Nobody knows who you are" in raised or "Anonymously" in raised
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    phrase = re.search(r"passphrase is ((?:[2-9A-Z]{5}-){3}[2-9A-Z]{5})", raised)
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
        "",
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
    raised = await console(runtime, "nurse-42", "speakup", "1", CONCERN, "", "", "", "", "2")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code and "We will message you here when a guardian replies." in raised
    guardian = await console(
        runtime, "guardian", f"case {code.group(0)}", "2", "", "Can we meet on Thursday?"
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
    raised = await console(runtime, "nurse-42", "speakup", "1", CONCERN, "", "", "", "", "2")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code
    await console(runtime, "guardian", f"case {code.group(0)}", "2", "", "Can we meet?")
    assert len(await queued(runtime)) > 3  # guardian alerts and the notice to the reporter

    outbox = await table_dump(runtime, only="outbox")
    assert code.group(0) not in outbox and "nurse-42" not in outbox
    assert "nurse-42" not in (await raw_file(runtime)).decode("latin-1")


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
    raised = await console(runtime, "nurse-7", "speakup", "1", CONCERN, "", "", "", "", "3")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code
    await console(
        runtime,
        "guardian",
        f"case {code.group(0)}",
        "7",  # Close
        "",
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
    raised = await console(runtime, "nurse-3", "speakup", "1", CONCERN, "", "", "", "", "1")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    phrase = re.search(r"passphrase is ((?:[2-9A-Z]{5}-){3}[2-9A-Z]{5})", raised)
    assert code and phrase
    added = await console(
        runtime,
        "anyone",
        "speakup",
        "2",
        code.group(0),
        phrase.group(1),
        "1",  # Add something: the code is filled in, the passphrase is asked again
        "",
        phrase.group(1),
        "It happened again last night.",
    )
    assert "Added to your case" in added
    guardian = await console(
        runtime, "guardian", f"case {code.group(0)}", "7", "", "Rota changed; thank you.", ""
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
        "",
        phrase.group(1),
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
    raised = await console(runtime, "nurse-9", "speakup", "1", CONCERN, "", "", "", "", "2")
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised)
    assert code
    case = f"case {code.group(0)}"
    amara = await console(
        runtime,
        "guardian",
        case,
        "3",  # Private note
        "",
        "I know the ward manager socially.",
        case,
        "4",  # Categories
        "",
        "1 3",
        "2",  # not treated badly before
        case,
        "5",  # Give to a guardian
        "",
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
    await console(runtime, "nurse-1", "speakup", "1", CONCERN, "", "", "", "", "1")
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
    await console(runtime, "nurse-5", "speakup", "1", CONCERN, "", "", "", "", "1")
    async with runtime.db.session() as session:
        rows = (await session.exec(select(OutboxRow))).all()
    assert rows and len({r.due_at for r in rows}) == 1  # every guardian told at one time
    (alert_time,) = {r.due_at for r in rows}
    assert reported <= alert_time <= reported + timedelta(minutes=240)
    assert all(r.created_at == alert_time for r in rows)  # not the moment of the report
