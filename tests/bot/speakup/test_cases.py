"""Raising and reopening cases: sealed at rest, anonymous for real, misses rate-limited."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import SQLModel, select, text

from bot.conversation.inbound import Actor, Conversation, Platform
from bot.conversation.sealing import generate_key, sealer
from bot.speakup.attempts import Attempts, Paused, Refusals, Uncounted
from bot.speakup.cases import (
    Concern,
    Guards,
    Key,
    Reporter,
    add_message,
    add_months,
    open_case,
    raise_case,
)
from bot.speakup.codes import SlowHashes
from bot.speakup.redact import REDACTED, guarded
from storage.engine import Database
from storage.speakup.cases import Author, Case, CaseStatus, Way, case_by_code
from storage.tables import metadata
from tests.fakes import RecordingMonitor

SEALER = sealer(generate_key())
NOW = datetime(2026, 11, 30, 3, 14, tzinfo=UTC)
TODAY = NOW.date()
NURSE = Actor(platform=Platform.SLACK, tenant="T0TRUSTNHS", user_id="U0NURSE42")
NURSE_DM = Conversation(
    platform=Platform.SLACK, tenant="T0TRUSTNHS", channel_id="D0NURSE", user_id="U0NURSE42"
)
WORDS = "The night sister on ward 7 shouted at a student nurse again"


def guards(refusals: Refusals | None = None) -> Guards:
    limit = Attempts(limit=5, window=timedelta(minutes=15), refusals=refusals or Uncounted())
    return Guards(attempts=limit, hashes=SlowHashes())


def concern(way: Way) -> Concern:
    return Concern(
        what=WORDS,
        where_when="Ward 7, Tuesday night",
        outcome="That it stops",
        categories=("bullying_harassment",),
        detriment=False,
        way=way,
    )


async def everything(db: Database) -> str:
    """Every value in every table, as text, for searching."""
    found: list[str] = []
    async with db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in (await connection.execute(text(f'SELECT * FROM "{table.name}"'))).all():
                found.append(repr(tuple(row)))
    return "\n".join(found)


async def test_an_anonymous_case_keeps_no_trace_of_who_raised_it(
    sqlite_db: Database, sqlite_url: str
) -> None:
    async with sqlite_db.session() as session:
        raised = await raise_case(
            session,
            concern(Way.ANONYMOUS),
            reporter=Reporter(actor=NURSE, address=NURSE_DM),
            sealer=SEALER,
            today=TODAY,
        )
    assert raised.passphrase is not None
    stored = await everything(sqlite_db)
    for trace in ("U0NURSE42", "D0NURSE", "T0TRUSTNHS", raised.passphrase, "03:14"):
        assert trace not in stored
    async with sqlite_db.session() as session:
        case = (await session.exec(select(Case))).one()
    assert case.reporter_sealed is None and case.raised_on == TODAY


async def test_concern_text_is_sealed_in_the_database_file(
    sqlite_db: Database, sqlite_url: str
) -> None:
    thread = {author: f"Words only the case may hold: {author} {author}" for author in Author}
    async with sqlite_db.session() as session:
        raised = await raise_case(
            session,
            concern(Way.OPEN),
            reporter=Reporter(actor=NURSE, address=NURSE_DM, contact="07700 900123"),
            sealer=SEALER,
            today=TODAY,
        )
        case = await case_by_code(session, raised.code)
        assert case is not None
        for author, words in thread.items():
            add_message(session, case, author, words, sealer=SEALER, today=TODAY)
    await sqlite_db.dispose()  # checkpoint the WAL so the bytes are all in files
    folder = Path(sqlite_url.split(":///", 1)[1]).parent
    raw = b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("peerbot.db"))
    assert raised.code.encode() in raw  # the file was read, and the case is in it
    for secret in (WORDS, "Ward 7", "That it stops", "U0NURSE42", "07700", *thread.values()):
        assert secret.encode() not in raw


async def test_deadlines_follow_the_directive() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 15), 3) == date(2026, 4, 15)


async def test_the_reporter_comes_back_with_code_and_passphrase(db: Database) -> None:
    async with db.session() as session:
        raised = await raise_case(
            session, concern(Way.ANONYMOUS), reporter=None, sealer=SEALER, today=TODAY
        )
    assert raised.acknowledge_by == TODAY + timedelta(days=7)
    assert raised.feedback_by == date(2027, 2, 28)
    assert raised.passphrase is not None
    stranger = Actor(platform=Platform.CONSOLE, tenant="local", user_id="anyone")
    view = await open_case(
        db,
        # anonymous: the passphrase is the key, not who asks
        Key(code=raised.code.lower(), passphrase=raised.passphrase, actor=stranger),
        sealer=SEALER,
        guards=guards(),
        now=NOW,
    )
    assert view is not None and view.status == CaseStatus.NEW
    assert view.concern.what == WORDS and view.concern.categories == ("bullying_harassment",)


async def test_a_confidential_case_opens_only_for_its_reporter(db: Database) -> None:
    async with db.session() as session:
        raised = await raise_case(
            session,
            concern(Way.CONFIDENTIAL),
            reporter=Reporter(actor=NURSE, address=NURSE_DM),
            sealer=SEALER,
            today=TODAY,
        )
    assert raised.passphrase is None
    other = Actor(platform=Platform.SLACK, tenant="T1", user_id="U0OTHER99")
    shared = guards()
    mine = await open_case(
        db, Key(code=raised.code, passphrase="", actor=NURSE), sealer=SEALER, guards=shared, now=NOW
    )
    theirs = await open_case(
        db, Key(code=raised.code, passphrase="", actor=other), sealer=SEALER, guards=shared, now=NOW
    )
    assert mine is not None and theirs is None


async def test_guessing_is_refused_after_five_misses_and_allowed_again_later(
    sqlite_db: Database,
) -> None:
    async with sqlite_db.session() as session:
        raised = await raise_case(
            session, concern(Way.ANONYMOUS), reporter=None, sealer=SEALER, today=TODAY
        )
    assert raised.passphrase is not None
    guesser = Actor(platform=Platform.SLACK, tenant="T1", user_id="U0GUESS1")
    monitor = RecordingMonitor()
    shared = guards(monitor)

    async def attempt(phrase: str, at: datetime) -> Any:
        return await open_case(
            sqlite_db,
            Key(code=raised.code, passphrase=phrase, actor=guesser),
            sealer=SEALER,
            guards=shared,
            now=at,
        )

    for n in range(5):
        assert await attempt(f"WRONG-{n}", NOW) is None
    with pytest.raises(Paused) as paused:  # right, but this source is paused, and told so
        await attempt(raised.passphrase, NOW)
    assert timedelta(minutes=15) < paused.value.wait <= timedelta(minutes=30)
    assert monitor.refused == 1  # the misses are not refusals: the sixth try is
    # misses count in their 15-minute window and the next: blocked for 15 to 30 minutes
    assert await attempt(raised.passphrase, NOW + timedelta(minutes=31)) is not None
    assert monitor.refused == 1


def test_speak_up_logs_never_carry_ids_or_emails(caplog: pytest.LogCaptureFixture) -> None:
    logger = guarded("bot.speakup.test")
    with caplog.at_level(logging.INFO, logger="bot.speakup.test"):
        logger.info(
            "case %s looked up by %s (%s)", "SU-7K3M-Q9", "U0NURSE42", "sam@trust.example.nhs.uk"
        )
        try:
            raise ValueError("user U0NURSE42 in D0NURSE")
        except ValueError:
            logger.exception("failed for %s", "29:1abcDEF")
    first, second = (r.getMessage() for r in caplog.records)
    assert first == f"case SU-7K3M-Q9 looked up by {REDACTED} ({REDACTED})"
    assert second == f"failed for {REDACTED} (ValueError)"
    assert "U0NURSE42" not in caplog.text


def test_case_tables_are_in_the_migrated_schema() -> None:
    assert {"speakup_case", "speakup_message"} <= set(metadata.tables)
    assert SQLModel.metadata is metadata
