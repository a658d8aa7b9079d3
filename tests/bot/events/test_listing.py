"""Staff's list of events, through the real router on a real database: what is coming up,
soonest first, in every active network or one; their own sign-ups; one event opened; their
home page. Counts only, never who is coming."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.conversation.actions import OPEN as OPEN_FEATURE
from bot.conversation.inbound import ButtonPressed
from bot.conversation.payloads import encode
from bot.conversation.replies import Buttons, Link, Reply, When, plain_text
from bot.conversation.services import Services
from bot.events import actions, listing
from bot.events.payloads import OccurrenceRef
from bot.organisation.sync import apply_org_file
from storage.engine import Database
from tests.bot.events.places_fixtures import NOW, STARTS, an_event
from tests.bot.events.staff_fixtures import actor, change, dm, labels, pressed, router, typed
from tests.bot.organisation.test_directory_features import EXAMPLE
from tests.fakes import FakeClock


@pytest.fixture
async def services(db: Database) -> Services:
    await apply_org_file(db, EXAMPLE)
    return Services(db=db, clock=FakeClock(current=NOW))


async def listed(services: Services, text: str = "events", n: int = 1) -> Reply:
    (reply,) = await typed(router(), services, text, n)
    return reply


def opened(reply: Reply) -> list[str]:
    """The values of the list's Open buttons, in order."""
    return [
        b.value
        for block in reply.blocks
        if isinstance(block, Buttons)
        for b in block.buttons
        if b.action == actions.OPEN
    ]


def ref(occurrence: int) -> str:
    return encode(OccurrenceRef(occurrence=occurrence))


async def test_upcoming_events_soonest_first_with_when_where_and_places(
    services: Services,
) -> None:
    db = services.db
    later = await an_event(db, capacity=2, network="lgbtq", starts=STARTS + timedelta(days=3))
    await change(db, later, title="Pride planning", place="Room 2, Education Centre")
    sooner = await an_event(db, capacity=None, network="race-equality", starts=STARTS)
    await change(db, sooner, title="Black History Month talk", online_url="https://meet.example/x")
    full = await an_event(db, capacity=1, network="womens", starts=STARTS + timedelta(days=5))
    await change(db, full, title="Menopause cafe")
    await pressed(router(), services, actions.SIGN_UP, full, 9)
    shut = await an_event(db, capacity=1, waitlist=False, starts=STARTS + timedelta(days=6))
    await change(db, shut, title="Quiz night")
    await pressed(router(), services, actions.SIGN_UP, shut, 9)
    cancelled = await an_event(db, starts=STARTS + timedelta(days=1))
    await change(db, cancelled, title="Called off", at_cancelled_at=NOW)
    over = await an_event(db, starts=NOW - timedelta(hours=2))
    await change(db, over, title="Already over")

    reply = await listed(services)
    text = plain_text(reply)
    assert opened(reply) == [ref(sooner), ref(later), ref(full), ref(shut)]
    assert "Called off" not in text and "Already over" not in text
    assert "Black History Month talk · Race Equality Network · No limit on places" in text
    assert "Pride planning · LGBTQ+ Network · 2 places left" in text
    assert "Menopause cafe · Women's Network · Full — join the waitlist" in text
    assert "Quiz night · LGBTQ+ Network · Full" in text
    assert "Where: Room 2, Education Centre" in text
    assert Link(label="Join online", url="https://meet.example/x") in reply.blocks
    whens = [b.at for b in reply.blocks if isinstance(b, When)]
    assert whens == [
        STARTS,
        STARTS + timedelta(days=3),
        *(STARTS + timedelta(days=d) for d in (5, 6)),
    ]
    assert all(at.utcoffset() == timedelta(0) for at in whens)
    assert "U00009" not in text  # who signed up is nobody else's business


async def test_an_event_still_under_way_is_listed_until_it_ends(services: Services) -> None:
    started = await an_event(services.db, starts=NOW - timedelta(minutes=30))
    assert opened(await listed(services)) == [ref(started)]


async def test_a_network_by_key_or_any_word_of_its_name(services: Services) -> None:
    lgbtq = await an_event(services.db, network="lgbtq")
    race = await an_event(services.db, network="race-equality")
    for typed_filter in ("lgbtq", "LGBTQ+", "lgbt", "LGBTQ+ network"):
        reply = await listed(services, f"events {typed_filter}")
        assert opened(reply) == [ref(lgbtq)], typed_filter
        assert "LGBTQ+ Network" in plain_text(reply)
    for typed_filter in ("race", "Race Equality", "race-equality", "EQUALITY"):
        assert opened(await listed(services, f"events {typed_filter}")) == [ref(race)]


async def test_an_unknown_network_names_the_ones_there_are(services: Services) -> None:
    text = plain_text(await listed(services, "events knitting"))
    assert "I couldn't find a network called “knitting”" in text
    for key in ("race-equality", "disabled-staff", "lgbtq", "womens", "multi-faith"):
        assert key in text


async def test_a_network_with_nothing_coming_up_says_so(services: Services) -> None:
    await an_event(services.db, network="lgbtq")
    text = plain_text(await listed(services, "events womens"))
    assert "That network has no upcoming events just now" in text
    assert opened(await listed(services, "events womens")) == []


async def test_nothing_at_all_coming_up_says_so(services: Services) -> None:
    assert "There are no upcoming events just now." in plain_text(await listed(services))


async def test_a_long_list_is_cut_short_and_says_how_to_narrow_it(services: Services) -> None:
    made = [
        await an_event(services.db, starts=STARTS + timedelta(days=d), network="lgbtq")
        for d in range(12)
    ]
    reply = await listed(services)
    assert opened(reply) == [ref(o) for o in made[:10]]
    text = plain_text(reply)
    assert "These are the next 10 of 12." in text
    assert "like “events lgbtq”" in text


async def test_events_mine_shows_going_waiting_with_place_and_offered(services: Services) -> None:
    db, staff = services.db, router()
    going = await an_event(db, starts=STARTS + timedelta(days=1))
    await change(db, going, title="Going one")
    waiting = await an_event(db, capacity=1, starts=STARTS)
    await change(db, waiting, title="Waiting one")
    offered = await an_event(db, capacity=1, starts=STARTS + timedelta(days=2))
    await change(db, offered, title="Offered one")
    left = await an_event(db, starts=STARTS + timedelta(days=3))
    await change(db, left, title="Left one")
    await pressed(staff, services, actions.SIGN_UP, going, 1)
    for n in (2, 3, 1):
        await pressed(staff, services, actions.SIGN_UP, waiting, n)
    for n in (2, 1):
        await pressed(staff, services, actions.SIGN_UP, offered, n)
    await pressed(staff, services, actions.CANCEL, offered, 2)  # the place is offered to 1
    await pressed(staff, services, actions.SIGN_UP, left, 1)
    await pressed(staff, services, actions.CANCEL, left, 1)

    reply = await listed(services, "events mine")
    text = plain_text(reply)
    assert opened(reply) == [ref(waiting), ref(going), ref(offered)]
    assert "Waiting one · LGBTQ+ Network · You're on the waitlist: number 2" in text
    assert "Going one · LGBTQ+ Network · You're going" in text
    assert "Offered one · LGBTQ+ Network · A place is yours if you want it" in text
    assert "Left one" not in text
    assert "You're not signed up for any events" in plain_text(
        await listed(services, "events mine", 4)
    )
    for said in ("my events", "My Events", "event mine"):  # as people type it
        assert plain_text(await listed(services, said)) == text, said


async def test_an_opened_event_shows_everything_but_who_is_coming(services: Services) -> None:
    db = services.db
    occurrence = await an_event(db, capacity=3)
    await change(
        db,
        occurrence,
        description="A friendly lunch.",
        accessibility="Step-free; hearing loop.",
        place="Room 2",
    )
    await pressed(router(), services, actions.SIGN_UP, occurrence, 7)
    reply = await pressed(router(), services, actions.OPEN, occurrence, 1)
    text = plain_text(reply)
    for part in ("LUNCH AND LEARN", "LGBTQ+ Network", "A friendly lunch.", "Where: Room 2"):
        assert part in text
    assert "Accessibility: Step-free; hearing loop." in text
    assert "2 places left" in text
    assert [(b.label, b.at) for b in reply.blocks if isinstance(b, When)] == [
        ("Starts", STARTS),
        ("Ends", STARTS + timedelta(hours=1)),
    ]
    assert labels(reply) == ["Sign up"]
    assert "U00007" not in repr(reply)
    assert not reply.in_place  # the list it was opened from stays


async def test_the_buttons_follow_where_the_viewer_stands(services: Services) -> None:
    staff = router()
    occurrence = await an_event(services.db, capacity=1)
    assert labels(await pressed(staff, services, actions.OPEN, occurrence, 1)) == ["Sign up"]
    await pressed(staff, services, actions.SIGN_UP, occurrence, 1)
    assert labels(await pressed(staff, services, actions.OPEN, occurrence, 1)) == [
        "Cancel my place"
    ]
    assert labels(await pressed(staff, services, actions.OPEN, occurrence, 2)) == [
        "Join the waitlist"
    ]
    await pressed(staff, services, actions.SIGN_UP, occurrence, 2)
    waiting = await pressed(staff, services, actions.OPEN, occurrence, 2)
    assert labels(waiting) == ["Leave the waitlist"]
    assert "You're on the waitlist: number 1." in plain_text(waiting)
    await pressed(staff, services, actions.CANCEL, occurrence, 1)
    assert labels(await pressed(staff, services, actions.OPEN, occurrence, 2)) == [
        "Yes, I'll come",
        "No thanks",
    ]


async def test_a_cancelled_or_deleted_event_opened_says_so(services: Services) -> None:
    occurrence = await an_event(services.db)
    await change(services.db, occurrence, cancelled_at=NOW)
    reply = await pressed(router(), services, actions.OPEN, occurrence)
    assert plain_text(reply) == listing.CANCELLED
    reply = await pressed(router(), services, actions.OPEN, occurrence + 100)
    assert plain_text(reply) == "That event is no longer listed."


async def test_home_shows_my_next_three_and_a_way_to_all(services: Services) -> None:
    staff = router()
    made = [await an_event(services.db, starts=STARTS + timedelta(days=d)) for d in range(4)]
    (home,) = await typed(staff, services, "home")
    assert "Staff network events: see what's on and sign up." in plain_text(home)
    for occurrence in made:
        await pressed(staff, services, actions.SIGN_UP, occurrence)
    (home,) = await typed(staff, services, "home")
    text = plain_text(home)
    assert "Your next events" in text
    assert text.count("Lunch and learn · You're going") == 3
    see_all = next(
        b
        for block in home.blocks
        if isinstance(block, Buttons)
        for b in block.buttons
        if b.label == "See all events"
    )
    press = ButtonPressed(
        actor=actor(1), conversation=dm(1), at=NOW, action=OPEN_FEATURE, value=see_all.value
    )
    (everything,) = await staff.handle(press, services)
    assert opened(everything) == [ref(o) for o in made]
    assert see_all.action == OPEN_FEATURE


async def test_the_list_shows_where_i_stand_and_others_only_counts(services: Services) -> None:
    occurrence = await an_event(services.db, capacity=2)
    await pressed(router(), services, actions.SIGN_UP, occurrence, 1)
    assert "Lunch and learn · LGBTQ+ Network · You're going" in plain_text(
        await listed(services, "events", 1)
    )
    theirs = plain_text(await listed(services, "events", 2))
    assert "Lunch and learn · LGBTQ+ Network · 1 place left" in theirs
    assert "going" not in theirs.lower()
