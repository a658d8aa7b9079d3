"""A network lead's tools in the console, through the real router on a real SQLite file,
and what the people coming see of them in consoles of their own."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from icalendar import Calendar

from adapters.runtime import Runtime
from storage.events import EventSeries, Occurrence
from tests.adapters.console.consoles import at_console, clock, outbox
from tests.bot.events.places_fixtures import an_event
from tests.bot.events.staff_fixtures import change
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


async def series_of(runtime: Runtime, occurrence: int) -> tuple[EventSeries, Occurrence]:
    async with runtime.db.session(write=False) as session:
        date = await session.get(Occurrence, occurrence)
        assert date is not None
        series = await session.get(EventSeries, date.series_id)
        assert series is not None
        return series, date


KEEP_ALL = [""] * 14
"""Enter at each of the change form's questions: every answer kept."""


async def test_changing_an_event_can_empty_each_optional_answer(
    runtime: Runtime, files: Path
) -> None:
    """Unlimited places again, sign-up open until the start, no reminders, no place (it is
    online): each is an answer taken away, which Enter (keep) alone could never do."""
    occurrence = await an_event(runtime.db)
    await change(
        runtime.db,
        occurrence,
        place="Room 2",
        online_url="https://meet.example.org/abc",
        closes_before=120,
    )
    emptied = [*KEEP_ALL]
    emptied[4] = emptied[6] = emptied[8] = emptied[9] = "-"  # place, places, closes, reminders
    shown = await at_console(runtime, "lead", "events manage", "6", *emptied, "quit", files=files)
    assert "(Press Enter to keep: Room 2)\n(Type - to clear it.)" in shown
    assert (
        "(Press Enter to keep: The day before, An hour before)\n(Type - to choose none.)" in shown
    )
    assert "Type the numbers you choose, like 1, 2." in shown  # there are only two
    assert "“Lunch and learn” is changed." in shown
    series, _ = await series_of(runtime, occurrence)
    assert (series.place, series.capacity, series.closes_before) == ("", None, None)
    assert series.reminders == []
    assert series.online_url == "https://meet.example.org/abc"

    again = await at_console(runtime, "lead", "events manage", "6", *KEEP_ALL, "quit", files=files)
    assert "Remind people (optional — press Enter to skip)" in again  # none now, none kept
    assert "“Lunch and learn” is changed." in again and "another look" not in again


def new_event(start: str, end: str, *, repeats: str = "", until: str = "") -> list[str]:
    """`events new` and an answer to each question, only the lead's one network to pick."""
    return [
        "events new",
        "Coffee morning",
        "",
        start,
        end,
        "Room 1",
        *[""] * 6,  # link, places, waitlist, closes, reminders, accessibility
        repeats,
        until,
        "",  # how many times
    ]


async def test_a_refused_form_shows_every_error_before_asking_again(
    runtime: Runtime, files: Path
) -> None:
    """Fixing the start should not be the first time the lead hears the end is wrong too."""
    passed = new_event("2026-11-01 10:00", "2026-11-01 09:00")
    shown = await at_console(
        runtime, "lead", *passed, "2026-12-10 10:00", "2026-12-10 11:00", "quit", files=files
    )
    assert (
        "Some answers need another look:\n"
        "! Starts: That start time has passed. Please pick a time to come.\n"
        "! Ends: The end must be after the start.\n\nStarts\n"
    ) in shown
    assert "“Coffee morning” is saved." in shown


async def test_a_repeat_that_would_never_happen_can_be_left_blank_instead(
    runtime: Runtime, files: Path
) -> None:
    new = new_event("2026-12-10 10:00", "2026-12-10 11:00", repeats="2", until="2026-01-01")
    shown = await at_console(runtime, "lead", *new, "", "-", "quit", files=files)
    assert shown.count("That is before the first date, so it would never happen.") == 2
    assert "(Press Enter to keep: 2026-01-01)\n(Type - to clear it.)" in shown
    assert "“Coffee morning” is saved." in shown


async def test_a_moved_date_can_go_back_to_the_events_own_place(
    runtime: Runtime, files: Path
) -> None:
    occurrence = await an_event(runtime.db)
    await change(runtime.db, occurrence, place="Room 2", at_place="Room 9")
    shown = await at_console(
        runtime, "lead", "events manage", "4", "", "", "-", "quit", files=files
    )
    assert "(Press Enter to keep: Room 9)\n(Type - to clear it.)" in shown
    assert "This date of “Lunch and learn” is moved." in shown
    _, date = await series_of(runtime, occurrence)
    assert date.place == ""


async def test_kept_times_are_shown_the_way_they_are_typed(runtime: Runtime, files: Path) -> None:
    await an_event(runtime.db)  # 09:00 on 8 December, London time
    shown = await at_console(runtime, "lead", "events manage", "4", "cancel", "quit", files=files)
    hint = "Type a date and time like 2026-12-01 14:30."
    assert f"{hint}\n(Press Enter to keep: 2026-12-08 09:00)" in shown
    assert "T09:00" not in shown


async def test_who_is_coming_then_mark_attended_and_the_attendance_file(
    runtime: Runtime, files: Path
) -> None:
    occurrence = await an_event(runtime.db)
    await at_console(runtime, "nurse", "events", "1", "1", "quit", files=files / "nurse")
    # [2] Who's coming: [1] Mark attended, [2] Download CSV; then Who came? [1] nurse
    shown = await at_console(
        runtime, "lead", "events manage", "2", "1", "1", "2", "quit", files=files
    )
    assert "Coming: 1\n  - nurse\nOffered a place: 0\nWaiting: 0\n" in shown
    assert "Coming: 1:" not in shown
    assert "Who came?" in shown and "  [1] nurse\nType the numbers you choose, like 1." in shown
    assert "Saved: 1 of 1 came." in shown
    # the Who's coming buttons are still on screen, and still what 1 and 2 press
    assert "Attendance for Lunch and learn. Access needs are not in the file." in shown
    saved = files / f"attendance-{occurrence}.csv"
    assert f"Saved {saved.name} to {saved}" in shown
    assert saved.read_text().splitlines() == [
        "platform,user_id,email,status,attended",
        "console,nurse,,going,yes",
    ]
    assert (mode(saved), mode(files)) == (0o600, 0o700)


async def test_cancelling_the_whole_event_tells_everyone_coming(
    runtime: Runtime, files: Path
) -> None:
    occurrence = await an_event(runtime.db)
    await at_console(runtime, "nurse", "events", "1", "1", "quit", files=files)
    # [7] Cancel event; Are you sure? [1] Yes, cancel it
    shown = await at_console(
        runtime, "lead", "events manage", "7", "1", "events manage", files=files
    )
    assert "Lunch and learn: every date to come is cancelled." in shown
    assert "“Lunch and learn” is cancelled. Everyone coming or waiting is told." in shown
    assert "Nothing coming up yet. Press New event to add one." in shown.split("Done")[1]
    series, _ = await series_of(runtime, occurrence)
    assert series.cancelled_at is not None

    clock(runtime).advance(hours=1)
    told = await at_console(runtime, "nurse", "events", files=files)
    assert "Lunch and learn is cancelled" in told.split("--- new message ---")[1]
    assert "There are no upcoming events just now." in told


async def test_announce_says_it_happens_in_the_networks_channel(
    runtime: Runtime, files: Path
) -> None:
    await an_event(runtime.db)
    shown = await at_console(runtime, "lead", "events manage", "3", "quit", files=files)
    said = " ".join(shown.split())
    assert "This network's channel is in Slack. Please press Announce there." in said
    assert "ask the admin" not in shown
    assert await outbox(runtime, "events:announce:") == []


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_moved_date_reaches_the_nurse_with_an_invite_that_replaces_hers(
    runtime: Runtime, files: Path
) -> None:
    await an_event(runtime.db)  # 09:00 to 10:00 on 8 December
    nurse = files / "nurse"
    await at_console(runtime, "nurse", "events", "1", "1", "quit", files=nurse)
    (invite,) = nurse.iterdir()
    moving = ("events manage", "4", "2026-12-08 14:00", "2026-12-08 15:00", "")
    shown = await at_console(runtime, "lead", *moving, "quit", files=files)
    assert "This date of “Lunch and learn” is moved. Everyone coming will be told." in shown

    clock(runtime).advance(hours=1)
    told = (await at_console(runtime, "nurse", "quit", files=nurse)).split("--- new message ---")
    assert "Lunch and learn has changed" in told[1]
    assert "Starts: Tue 8 Dec 2026 at 14:00 GMT" in told[1]
    (update,) = set(nurse.iterdir()) - {invite}
    before, after = (Calendar.from_ical(p.read_bytes()).walk("VEVENT")[0] for p in (invite, update))
    assert after["UID"] == before["UID"] and after["SEQUENCE"] > before["SEQUENCE"]


async def test_a_new_event_reaches_the_networks_members_when_they_next_look(
    runtime: Runtime, files: Path
) -> None:
    joined = await at_console(runtime, "nurse", "networks", "2", "quit", files=files)
    assert "You'll get a message when the LGBTQ+ Network posts a new event." in " ".join(
        joined.split()
    )
    made = await at_console(
        runtime, "lead", *new_event("2026-12-10 10:00", "2026-12-10 11:00"), files=files
    )
    assert "“Coffee morning” is saved." in made
    assert "--- new message ---" not in made

    clock(runtime).advance(hours=1)
    told = await at_console(runtime, "nurse", "1", "1", "quit", files=files)
    message = told.split("--- new message ---")[1]
    assert "New event: Coffee morning" in message and "From LGBTQ+ Network." in message
    assert "You're going to Coffee morning." in told  # [1] Open, then [1] Sign up
