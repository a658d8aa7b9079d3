"""Guardian alerts on the console: shown to the guardian at it, once, and to nobody else."""

from __future__ import annotations

import asyncio
import io
import re

from adapters.console import ConsoleSession
from adapters.runtime import Runtime
from bot.conversation.inbound import Platform
from tests.adapters.console.test_proactive import Screen, WaitForMessage
from tests.scenarios.test_speak_up import CONCERN, Script
from tests.scenarios.test_speak_up import runtime as runtime  # the fixture

SPEAK_UP = ("speakup", "1", CONCERN, "Ward 9, most nights this month", "1 2", "2", "", "1", "1")
"""Raising a concern anonymously, answer by answer."""
ALERT = "New speak-up case"


def session(
    runtime: Runtime, user: str, out: io.StringIO, lines: Script | WaitForMessage
) -> ConsoleSession:
    return ConsoleSession(
        runtime.router, runtime.services, lines=lines, out=out, user_id=user, greeting=False
    )


async def deliver(runtime: Runtime) -> None:
    """Whatever the outbox holds now, through the real worker to the registered console."""
    await runtime.start()
    try:
        assert runtime.worker is not None
        await runtime.worker.run_once()
    finally:
        await runtime.stop()


async def test_a_reporter_at_the_console_sees_their_receipt_and_no_alert(
    runtime: Runtime,
) -> None:
    out = io.StringIO()
    reporter = session(runtime, "nurse-on-nights", out, Script(SPEAK_UP))
    runtime.register(Platform.CONSOLE, reporter)
    await reporter.run()
    await deliver(runtime)
    seen = out.getvalue()
    assert "Thank you for speaking up" in seen
    assert ALERT not in seen and "--- new message ---" not in seen


async def test_a_guardian_at_the_console_sees_a_new_case_once(runtime: Runtime) -> None:
    screen = Screen()
    guardian = session(runtime, "guardian", screen, WaitForMessage(screen))
    runtime.register(Platform.CONSOLE, guardian)
    waiting = asyncio.create_task(guardian.run())
    raised = io.StringIO()
    await session(runtime, "nurse-on-nights", raised, Script(SPEAK_UP)).run()
    code = re.search(r"SU-[2-9A-Z]{4}-[2-9A-Z]{2}", raised.getvalue())
    assert code
    await deliver(runtime)
    await waiting
    seen = screen.getvalue()
    assert seen.count(ALERT) == 1
    assert f"{ALERT} {code.group(0)}" in seen
