"""A network lead's tools in the console, through the real router on a real SQLite file,
and what the people coming see of them in consoles of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

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


async def test_who_is_coming_lists_each_group_under_its_count(
    runtime: Runtime, files: Path
) -> None:
    await an_event(runtime.db)
    await at_console(runtime, "nurse", "events", "1", "1", "quit", files=files)
    shown = await at_console(runtime, "lead", "events manage", "2", "quit", files=files)
    assert "Coming: 1\n  - nurse\nOffered a place: 0\nWaiting: 0\n" in shown
    assert "Coming: 1:" not in shown


async def test_announce_says_it_happens_in_the_networks_channel(
    runtime: Runtime, files: Path
) -> None:
    await an_event(runtime.db)
    shown = await at_console(runtime, "lead", "events manage", "3", "quit", files=files)
    said = " ".join(shown.split())
    assert "Announcing happens in the network's Slack or Teams channel, not in the console." in said
    assert "ask the admin" not in shown
    assert await outbox(runtime, "events:announce:") == []
