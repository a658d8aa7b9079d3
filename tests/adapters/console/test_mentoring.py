"""Mentoring in the console, whole sessions through the real router: the round's check-in
arrives while the person is there and its Check in button is a number to type; the form
is asked question by question, the senior partner's actions form follows "Met"; the
frontline partner then sees the actions; the coordinator reads programme health."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from adapters.console import ConsoleSession
from bot.conversation.inbound import Platform
from bot.conversation.outbox import DeliveryWorker
from bot.conversation.services import Services
from storage.engine import Database
from tests.adapters.console.test_session import Script
from tests.bot.mentoring.chat import router
from tests.bot.mentoring.fixtures import OCTOBER, pair, underway


@pytest.fixture
async def services(sqlite_db: Database) -> Services:
    """October's round open, five minutes in, with pair 1 (s1 and f1) asked."""
    return await underway(sqlite_db, pair(1), now=OCTOBER + timedelta(minutes=5))


def session(services: Services, who: str, *lines: str) -> tuple[ConsoleSession, io.StringIO]:
    out = io.StringIO()
    chat = ConsoleSession(
        router(), services, lines=Script(lines), out=out, user_id=who, greeting=False
    )
    return chat, out


async def test_the_check_in_arrives_and_is_answered_question_by_question(
    services: Services,
) -> None:
    senior, out = session(
        services,
        "s1",
        "1",  # Check in, on the message that just arrived
        "1",  # Yes, we met
        "",  # no planned day
        "We talked about rotas.",
        "",
        "",  # no note for the coordinator
        "Ask HR about night rotas",
        "",
        "",
        "",
        "",
        "quit",
    )
    worker = DeliveryWorker(services.db, {Platform.CONSOLE: senior}, services.clock)
    assert await worker.run_once() == 2  # s1's is shown; f1's is for someone else
    await senior.run()
    shown = out.getvalue()
    said = " ".join(shown.split())  # as read, whatever the terminal's wrapping
    assert "--- new message ---\nTime for a check-in\n=====" in shown
    assert "how are things going with Frontline 1? It takes a minute." in said
    assert "  [1] Check in" in shown and "  [5] My hours" in shown
    assert "Have you met since last time?" in shown and "  [4] I'd like some help" in shown
    assert "Record actions" in shown and "Good to hear you met." in shown
    assert "Saved. Frontline 1 can see them in “mentoring”." in shown

    frontline, seen = session(services, "f1", "mentoring", "quit")
    await frontline.run()
    assert "Ask HR about night rotas: To do" in seen.getvalue()


async def test_the_coordinator_reads_programme_health_in_counts(services: Services) -> None:
    coordinator, out = session(services, "kwame", "mentoring", "1", "quit")
    await coordinator.run()
    said = " ".join(out.getvalue().split())  # as read, whatever the terminal's wrapping
    assert "Programmes you coordinate ====" in said
    assert "Reverse Mentoring for Inclusion: programme health ====" in said
    assert (
        "Round of 6 Oct 2026, 1 pair: 0 met, 0 planned to meet, 0 not met yet, "
        "0 asked for help, 1 no answer."
    ) in said


async def test_my_hours_are_asked_and_kept(services: Services) -> None:
    nurse, out = session(
        services, "f1", "mentoring hours", "2, 3, 4, 5, 6", "09:00", "17:30", "", "quit"
    )
    await nurse.run()
    said = " ".join(out.getvalue().split())
    assert "Saved. Messages come on Tue, Wed, Thu, Fri, Sat, never from 09:00 to 17:30." in said
