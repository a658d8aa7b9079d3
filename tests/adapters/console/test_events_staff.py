"""Staff using events in the console, through the real router on a real SQLite file: the
waitlist and its offers, cancelling, `events mine`, networks and access needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from icalendar import Calendar
from sqlmodel import col, select

from adapters.runtime import Runtime
from bot.conversation.sealing import open_sealed
from storage.events import Membership, Signup
from tests.adapters.console.consoles import at_console, clock
from tests.bot.events.places_fixtures import an_event
from tests.scenarios.test_speak_up import runtime as runtime  # the fixture


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return tmp_path / "files"


async def memberships(runtime: Runtime) -> list[tuple[str, str, bool]]:
    async with runtime.db.session(write=False) as session:
        found = (await session.exec(select(Membership))).all()
        return [(m.network, m.user_id, m.muted) for m in found]


async def test_networks_join_mute_and_leave_each_keep_their_numbers(
    runtime: Runtime, files: Path
) -> None:
    """The list is shown again after each press: a number typed twice must not do two
    different things because the list under it changed."""
    shown = await at_console(runtime, "nurse", "networks", "1", "1", "6", "7", "quit", files=files)
    steps = shown.split("you> ")
    assert steps[1].index("[1] Join") < steps[1].index("LGBTQ+ Network")  # Disabled Staff
    assert "You'll get a message when the Disabled Staff Network posts a new event." in (
        " ".join(steps[2].split())
    )
    assert "  [6] Mute\n  [7] Leave\n" in steps[2]
    assert "Option 1 isn't there any more: the list has changed." in steps[3]
    assert "  [8] Unmute\n  [7] Leave\n" in steps[4]
    assert "You've left the Disabled Staff Network." in " ".join(steps[5].split())
    assert steps[5].index("[1] Join") < steps[5].index("LGBTQ+ Network")  # 1 is Join again
    assert await memberships(runtime) == []


async def test_a_command_typed_at_the_access_needs_question_is_checked_before_it_is_kept(
    runtime: Runtime, files: Path
) -> None:
    """Someone who pressed "Tell the organisers" by mistake types `events` to get back to
    the list: that is asked about, not sealed and passed on as their access need."""
    await an_event(runtime.db)
    # open, sign up ([1] gone: [2] Cancel my place, [3] Tell the organisers)
    signed_up = ["events", "1", "1"]
    shown = await at_console(
        runtime, "nurse", *signed_up, "3", "events", "2", "1", "2", NEEDS, "quit", files=files
    )
    assert "“events” is also something you can type to peerbot." in shown
    left = shown.split("[2] Stop this form and go to events (nothing is sent)")[1]
    assert left.index("Form cancelled. Nothing was sent.") < left.index("Upcoming events")
    assert "We've passed this on. Only the LGBTQ+ Network's leads will see it." in shown
    assert await needs_of(runtime, "nurse") == NEEDS

    lead = await at_console(runtime, "lead", "events manage", "2", "quit", files=files)
    assert f"Access needs (only leads see these)\n  nurse: {NEEDS}" in lead


NEEDS = "A seat near the door, please."


async def needs_of(runtime: Runtime, user: str) -> str | None:
    """What someone told the organisers, opened with the sealing key; None if nothing."""
    async with runtime.db.session(write=False) as session:
        signup = (await session.exec(select(Signup).where(col(Signup.user_id) == user))).one()
    if signup.access_needs is None:
        return None
    assert runtime.sealer is not None and NEEDS.encode() not in signup.access_needs.encode()
    return str(open_sealed(runtime.sealer, signup.access_needs)["text"])


async def test_the_waitlist_a_cancelled_place_and_an_offer_taken_up_in_the_console(
    runtime: Runtime, files: Path
) -> None:
    """The porter has the only place; the nurse waits. The porter cancels (and gets the
    calendar cancellation); the offer waits for the nurse, who takes it next time she
    opens the console and gets the invite."""
    await an_event(runtime.db, capacity=1)
    porter, nurse = files / "porter", files / "nurse"
    await at_console(runtime, "porter", "events", "1", "1", "quit", files=porter)

    waiting = await at_console(runtime, "nurse", "events", "1", "1", "events mine", files=nurse)
    assert "Lunch and learn · LGBTQ+ Network · Full — join the waitlist" in waiting
    assert "[1] Join the waitlist" in waiting
    assert "you're on the waitlist: number 1." in " ".join(waiting.split())
    mine = waiting.split("you> events mine")[1]
    assert "Your events" in mine
    assert "Lunch and learn · LGBTQ+ Network · You're on the waitlist: number 1" in mine

    # the porter's list shows where they stand; open it, and [1] is Cancel my place
    cancelled = await at_console(runtime, "porter", "events", "1", "1", "quit", files=porter)
    assert "Lunch and learn · LGBTQ+ Network · You're going" in cancelled
    assert "You've cancelled your place at Lunch and learn." in " ".join(cancelled.split())
    assert "--- new message ---" not in cancelled  # the offer is the nurse's
    invite, cancellation = (porter / f"lunch-and-learn-2026-12-08{n}.ics" for n in ("", "-1"))
    assert ical(cancellation)["METHOD"] == "CANCEL"
    assert ical(invite)["UID"] == ical(cancellation)["UID"]

    clock(runtime).advance(minutes=5)
    offered = await at_console(runtime, "nurse", "1", "events mine", "quit", files=nurse)
    message = offered.split("--- new message ---")[1]
    assert "A place has come up at Lunch and learn." in message
    assert "  [1] Yes, I'll come\n  [2] No thanks" in message
    assert "You're going to Lunch and learn. We've sent you a calendar invite." in offered
    assert "Lunch and learn · LGBTQ+ Network · You're going" in offered.split("events mine")[1]
    (taken,) = nurse.iterdir()
    assert ical(taken)["METHOD"] == "REQUEST"


def ical(path: Path) -> dict[str, str]:
    """The calendar's method and its event's UID."""
    calendar = Calendar.from_ical(path.read_bytes())
    (event,) = calendar.walk("VEVENT")
    return {"METHOD": str(calendar["METHOD"]), "UID": str(event["UID"])}
