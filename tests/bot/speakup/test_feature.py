"""Speak-up is one feature: every reporter and guardian action is confidential, and a runtime
with no sealing key still answers kindly, stores nothing and queues nothing."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import func, select

from adapters.runtime import Runtime, wire
from bot.conversation.inbound import ButtonPressed, FormSubmitted, TextMessage
from bot.conversation.replies import Reply, plain_text
from bot.conversation.sealing import generate_key, sealer
from bot.conversation.tick import Ticker
from bot.organisation.config import load_settings
from bot.organisation.sync import apply_org_file
from bot.speakup import feature, guardian, reporter
from bot.speakup.cases import Concern, raise_case
from storage.engine import Database
from storage.outbox import OutboxRow
from storage.speakup.cases import Case, Way
from tests.bot.organisation.test_directory_features import ACTOR, AT, WHERE
from tests.fakes import FakeClock
from tests.scenarios.test_speak_up import EXAMPLE

CONCERN = {"what": "No induction on nights", "way": "anonymous"}


def runtime(db: Database, *, keyed: bool) -> Runtime:
    """As `peerbot run` wires it. PostgreSQL has no key file to fall back on, so without
    PEERBOT_SEALING_KEY speak-up has no key at all."""
    key = {"PEERBOT_SEALING_KEY": generate_key()} if keyed else {}
    settings = load_settings(database_url="postgresql://peerbot@db.invalid/peerbot", **key)
    return wire(settings, db, FakeClock())


async def answer(runtime: Runtime, event: TextMessage | ButtonPressed | FormSubmitted) -> str:
    replies: list[Reply] = await runtime.router.handle(event, runtime.services)
    return "\n".join(plain_text(r) for r in replies)


def said(text: str) -> TextMessage:
    return TextMessage(actor=ACTOR, conversation=WHERE, at=AT, text=text)


async def stored(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        cases = (await session.exec(select(func.count()).select_from(Case))).one()
        queued = (await session.exec(select(func.count()).select_from(OutboxRow))).one()
    return int(cases), int(queued)


async def test_every_reporter_and_guardian_step_is_confidential(sqlite_db: Database) -> None:
    """Their answers may speak of a case, so the Slack adapter queues them sealed."""
    router = runtime(sqlite_db, keyed=True).router
    (speakup,) = [f for f in router.features if f.name == feature.NAME]
    assert {guardian.ACK, guardian.CLOSE, reporter.START} <= set(speakup.actions)
    assert {guardian.REPLY_FORM_ID, reporter.RAISE} <= set(speakup.forms)
    for action in speakup.actions:
        press = ButtonPressed(actor=ACTOR, conversation=WHERE, at=AT, action=action, value="x")
        assert router.confidential(press), action
    for form in speakup.forms:
        sent = FormSubmitted(actor=ACTOR, conversation=WHERE, at=AT, form=form, values={})
        assert router.confidential(sent), form
    for text in ("speakup", "concern", "cases", "case SU-2222-22"):
        assert router.confidential(said(text)), text
    assert not router.confidential(said("support"))


async def test_without_a_sealing_key_speak_up_points_to_the_guardians_and_keeps_nothing(
    sqlite_db: Database,
) -> None:
    await apply_org_file(sqlite_db, EXAMPLE)
    unkeyed = runtime(sqlite_db, keyed=False)
    assert unkeyed.sealer is None

    intro = await answer(unkeyed, said("speakup"))
    assert reporter.NOT_SET_UP in intro
    assert "Amara Okafor" in intro and "If you or someone else is at risk".upper() in intro
    assert "Options: Start" not in intro  # nothing offered that it cannot do

    for action in (reporter.START, reporter.CHECK, guardian.ACK, guardian.CLOSE):
        press = ButtonPressed(actor=ACTOR, conversation=WHERE, at=AT, action=action, value="x")
        assert await answer(unkeyed, press) == reporter.NOT_SET_UP, action
    raised = FormSubmitted(
        actor=ACTOR, conversation=WHERE, at=AT, form=reporter.RAISE, values=CONCERN, submission="s1"
    )
    assert await answer(unkeyed, raised) == reporter.NOT_SET_UP
    assert await answer(unkeyed, said("case SU-2222-22")) == reporter.NOT_SET_UP
    assert await stored(sqlite_db) == (0, 0)


async def test_without_a_sealing_key_a_tick_queues_nothing_and_logs_no_error(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A case kept from when a key was set has its deadline reminders due; with no key to
    seal them they cannot be queued, so speak-up does not ask to (nor fail every tick)."""
    await apply_org_file(sqlite_db, EXAMPLE)
    async with sqlite_db.session() as session:
        await raise_case(
            session,
            Concern(what="words", way=Way.ANONYMOUS),
            reporter=None,
            sealer=sealer(generate_key()),
            today=(AT - timedelta(days=30)).date(),
        )
    unkeyed = runtime(sqlite_db, keyed=False)
    ticker = Ticker(sqlite_db, unkeyed.router.due_sources, FakeClock(AT), sealer=None)
    with caplog.at_level(logging.INFO):
        assert await ticker.tick() == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await stored(sqlite_db) == (1, 0)


async def test_its_housekeeping_runs_with_or_without_a_key(sqlite_db: Database) -> None:
    for keyed in (True, False):
        names = {c.name for c in runtime(sqlite_db, keyed=keyed).router.chores}
        assert {"speakup-purge", "speakup-guards"} <= names
