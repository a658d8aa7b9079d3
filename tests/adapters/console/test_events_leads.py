"""A network lead's tools in the console, through the real router on a real SQLite file,
and what the people coming see of them in consoles of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.runtime import Runtime
from tests.adapters.console.consoles import at_console, clock, outbox
from tests.bot.events.places_fixtures import an_event
from tests.scenarios.test_speak_up import runtime as runtime  # the fixture

NEW_MESSAGE = "--- new message ---"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return tmp_path / "files"


async def test_a_cancelled_date_waits_for_the_nurse_and_is_shown_to_her_once(
    runtime: Runtime, files: Path
) -> None:
    occurrence = await an_event(runtime.db)
    signed_up = await at_console(runtime, "nurse", "events", "1", "1", "quit", files=files)
    assert "You're going to Lunch and learn." in signed_up

    # manage events: [1] New event, then the date's [2] Who's coming … [5] Cancel this date
    cancelling = await at_console(runtime, "lead", "events manage", "5", "1", "quit", files=files)
    assert "This date of “Lunch and learn” is cancelled." in cancelling
    assert NEW_MESSAGE not in cancelling  # the nurse's notice is hers, not the lead's
    (waiting,) = await outbox(runtime, f"events:cancelled:{occurrence}:")
    assert (waiting.status, waiting.attempts) == ("pending", 0)  # waiting, not given up

    clock(runtime).advance(hours=3)
    later = await at_console(runtime, "nurse", "quit", files=files)
    assert later.count(NEW_MESSAGE) == 1
    assert "Lunch and learn is cancelled" in later
    assert "Sorry, this date is not going ahead." in later
    (sent,) = await outbox(runtime, f"events:cancelled:{occurrence}:")
    assert sent.status == "sent"

    again = await at_console(runtime, "nurse", "quit", files=files)
    assert NEW_MESSAGE not in again
