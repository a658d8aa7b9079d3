"""Events in the console, through the real router: the list on the organisation's clock
(right on both sides of a clock change), and a sign-up whose invite is saved to a file."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from adapters.console import ConsoleSession
from adapters.console.sender import FILES
from bot.conversation.services import Services
from bot.organisation.sync import apply_org_file
from bot.organisation.zone import home_zone
from storage.engine import Database
from tests.adapters.console.test_session import Script
from tests.bot.events.places_fixtures import an_event
from tests.bot.events.staff_fixtures import change, router
from tests.bot.organisation.test_directory_features import EXAMPLE
from tests.fakes import FakeClock

LONDON = ZoneInfo("Europe/London")
BEFORE_THE_CHANGE = datetime(2026, 10, 22, 10, 0, tzinfo=LONDON)  # BST, UTC+1
AFTER_THE_CHANGE = datetime(2026, 10, 29, 10, 0, tzinfo=LONDON)  # GMT, clocks back on the 25th


@pytest.fixture
async def services(sqlite_db: Database) -> Services:
    await apply_org_file(sqlite_db, EXAMPLE)
    return Services(db=sqlite_db, clock=FakeClock(current=datetime(2026, 10, 1, 9, tzinfo=UTC)))


async def console(services: Services, files: Path, *lines: str) -> str:
    out = io.StringIO()
    session = ConsoleSession(
        router(),
        services,
        lines=Script(lines),
        out=out,
        user_id="nurse",
        home_zone=await home_zone(services.db),  # as `peerbot console` sets it
        files=files,
        greeting=False,
    )
    await session.run()
    return out.getvalue()


async def test_events_then_a_sign_up_saves_the_invite_and_says_where(
    services: Services, tmp_path: Path
) -> None:
    occurrence = await an_event(services.db, starts=AFTER_THE_CHANGE)
    await change(services.db, occurrence, place="Room 2, Education Centre")
    shown = await console(services, tmp_path, "events", "1", "1", "quit")
    assert "Lunch and learn · LGBTQ+ Network · 2 places left" in shown
    assert "[1] Open" in shown and "[1] Sign up" in shown
    assert "You're going to Lunch and learn. We've sent you a calendar invite." in shown
    saved = tmp_path / "lunch-and-learn-2026-10-29.ics"
    assert f"Saved {saved.name} to {saved}" in shown
    calendar = Calendar.from_ical(saved.read_bytes())
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == AFTER_THE_CHANGE
    assert str(event["LOCATION"]) == "Room 2, Education Centre"


async def test_times_stay_right_across_the_clock_change(
    services: Services, sqlite_url: str, tmp_path: Path
) -> None:
    for starts in (AFTER_THE_CHANGE, BEFORE_THE_CHANGE):
        await an_event(services.db, starts=starts)
    path = sqlite_url.partition(":///")[2]
    with sqlite3.connect(path) as raw:
        stored = [
            row[0] for row in raw.execute("SELECT starts_at FROM event_occurrence ORDER BY id")
        ]
    assert [s[:19] for s in stored] == ["2026-10-29 10:00:00", "2026-10-22 09:00:00"]

    shown = await console(services, tmp_path, "events", "quit")
    assert shown.index("When: Thu 22 Oct 2026 at 10:00 BST") < shown.index(
        "When: Thu 29 Oct 2026 at 10:00 GMT"
    )


async def test_saved_files_are_for_this_login_alone(services: Services, tmp_path: Path) -> None:
    """An invite says who goes to which network's event: on a shared machine nobody else
    may list the folder or read the file, even a folder left open by an older run."""
    occurrence = await an_event(services.db, starts=AFTER_THE_CHANGE)
    assert occurrence
    left_open = tmp_path / "peerbot-files"
    left_open.mkdir(mode=0o755)
    left_open.chmod(0o755)
    shown = await console(services, left_open, "events", "1", "1", "quit")
    saved = left_open / "lunch-and-learn-2026-10-29.ics"
    assert f"Saved {saved.name} to {saved}" in shown
    assert stat.S_IMODE(left_open.stat().st_mode) == 0o700
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600


def test_each_login_has_its_own_files_folder() -> None:
    assert FILES.parent == Path(tempfile.gettempdir())
    assert FILES.name == f"peerbot-files-{os.getuid()}"
