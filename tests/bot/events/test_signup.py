"""Staff's buttons on an event, through the real router on SQLite and PostgreSQL: each
press answered in plain words, with the calendar invite that goes with it, in place of
the card in a DM and to the presser alone anywhere else; access needs sealed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from icalendar import Calendar, Component
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import col, delete, select

from bot.conversation.inbound import FormSubmitted
from bot.conversation.replies import Form, Notice, Reply, TextInput, plain_text
from bot.conversation.sealing import generate_key, open_sealed, sealer
from bot.conversation.services import Services
from bot.events import actions, invite, listing
from bot.events.signup import NEEDS_QUESTION
from bot.organisation.sync import apply_org_file
from storage.engine import Database
from storage.events import Occurrence, Signup
from storage.outbox import OutboxRow
from tests.bot.events.places_fixtures import NOW, STARTS, an_event
from tests.bot.events.staff_fixtures import (
    CHANNEL,
    actor,
    change,
    dm,
    labels,
    pressed,
    router,
)
from tests.bot.organisation.test_directory_features import EXAMPLE
from tests.fakes import FakeClock

SEALER = sealer(generate_key())


@pytest.fixture
async def services(db: Database) -> Services:
    await apply_org_file(db, EXAMPLE)
    return Services(db=db, clock=FakeClock(current=NOW))


def calendar_of(reply: Reply) -> tuple[Component, Component]:
    (attached,) = reply.files
    assert attached.name == "lunch-and-learn-2026-12-08.ics"
    assert attached.media_type == "text/calendar"
    calendar = Calendar.from_ical(attached.data)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


async def test_signing_up_confirms_and_brings_the_invite(services: Services) -> None:
    occurrence = await an_event(services.db, capacity=2)
    reply = await pressed(router(), services, actions.SIGN_UP, occurrence)
    text = plain_text(reply)
    assert text.startswith("You're going to Lunch and learn. We've sent you a calendar invite.")
    assert reply.in_place and not reply.ephemeral  # the card pressed on, now up to date
    assert "You're going." in text and "place left" not in text  # theirs, not the count
    assert labels(reply) == ["Cancel my place"]
    calendar, event = calendar_of(reply)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART") == STARTS
    assert str(event["SUMMARY"]) == "Lunch and learn"
    assert int(event["SEQUENCE"]) == 1  # the date's 0, and their first invite
    assert str(event["UID"]).endswith(f"@{invite.DOMAIN}")  # the one every sender uses


async def test_a_double_press_signs_up_once_and_says_so(services: Services) -> None:
    occurrence = await an_event(services.db, capacity=2)
    await pressed(router(), services, actions.SIGN_UP, occurrence)
    again = await pressed(router(), services, actions.SIGN_UP, occurrence)
    assert plain_text(again).startswith("You're already signed up.")
    assert again.files == ()
    async with services.db.session(write=False) as session:
        row = await session.get(Occurrence, occurrence)
        assert row is not None and row.taken == 1


@pytest.mark.parametrize("lost_at", ["taking the place", "numbering the invite"])
async def test_a_press_cut_off_by_a_busy_database_leaves_nothing_and_its_retry_gives_the_place(
    services: Services, lost_at: str
) -> None:
    """The platform's answering tries a press again when the database is busy (see
    adapters.patience). Were the place given in one transaction and the invite numbered in
    another, a busy moment between them would leave the place taken, and the retry would
    tell its new holder only "You're already signed up", with no invite."""
    occurrence = await an_event(services.db, capacity=2)
    marker = {"taking the place": "SET taken", "numbering the invite": "SET invites"}[lost_at]
    busy = {"left": 1}

    def locked(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if marker in statement and busy["left"]:
            busy["left"] -= 1
            raise OperationalError(statement, None, Exception("database is locked"))

    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", locked)
    try:
        with pytest.raises(OperationalError):
            await pressed(router(), services, actions.SIGN_UP, occurrence)
    finally:
        event.remove(engine, "before_cursor_execute", locked)
    async with services.db.session(write=False) as session:
        row = await session.get(Occurrence, occurrence)
        assert row is not None and row.taken == 0
        assert (await session.exec(select(Signup))).all() == []
    retried = await pressed(router(), services, actions.SIGN_UP, occurrence)
    assert plain_text(retried).startswith("You're going to Lunch and learn.")
    _, invited = calendar_of(retried)
    assert int(invited["SEQUENCE"]) == 1


async def test_a_full_event_puts_you_on_the_waitlist_with_your_number(
    services: Services,
) -> None:
    occurrence = await an_event(services.db, capacity=1)
    staff = router()
    await pressed(staff, services, actions.SIGN_UP, occurrence, 1)
    await pressed(staff, services, actions.SIGN_UP, occurrence, 2)
    reply = await pressed(staff, services, actions.SIGN_UP, occurrence, 3)
    assert plain_text(reply).startswith(
        "The event is full, so you're on the waitlist: number 2. We'll message you if a place "
        "comes up — you'll have 24 hours to take it (less if the event is soon)."
    )
    assert reply.files == ()
    assert labels(reply) == ["Leave the waitlist"]
    again = await pressed(staff, services, actions.SIGN_UP, occurrence, 3)
    assert plain_text(again).startswith("You're already on the waitlist: number 2.")


@pytest.mark.parametrize(
    ("setup", "said"),
    [
        ("full", "Sorry, that event is full, and it has no waitlist."),
        ("closed", "Sign-up for that event has closed."),
        ("cancelled", "That event has been cancelled."),
        ("series cancelled", "That event has been cancelled."),
        ("deleted", "That event is no longer listed."),
    ],
)
async def test_when_there_is_no_way_in_it_says_why_kindly(
    services: Services, setup: str, said: str
) -> None:
    db = services.db
    occurrence = await an_event(db, capacity=1, waitlist=False, starts=NOW + timedelta(days=2))
    match setup:
        case "full":
            await pressed(router(), services, actions.SIGN_UP, occurrence, 9)
        case "closed":
            await change(db, occurrence, closes_before=3 * 24 * 60)
        case "cancelled":
            await change(db, occurrence, at_cancelled_at=NOW)
        case "series cancelled":
            await change(db, occurrence, cancelled_at=NOW)
        case "deleted":
            async with db.session() as session:
                await session.exec(delete(Occurrence).where(col(Occurrence.id) == occurrence))
    reply = await pressed(router(), services, actions.SIGN_UP, occurrence)
    assert plain_text(reply).startswith(said)
    assert reply.files == () and "Sign up" not in labels(reply)


async def test_cancelling_takes_it_out_of_the_calendar_and_offers_the_place_on(
    services: Services,
) -> None:
    occurrence = await an_event(services.db, capacity=1)
    await change(services.db, occurrence, at_sequence=2)
    staff = router()
    going = await pressed(staff, services, actions.SIGN_UP, occurrence, 1)
    await pressed(staff, services, actions.SIGN_UP, occurrence, 2)
    reply = await pressed(staff, services, actions.CANCEL, occurrence, 1)
    assert plain_text(reply).startswith(
        "You've cancelled your place at Lunch and learn. "
        "We've sent a calendar update to take it out of your calendar."
    )
    assert labels(reply) == ["Join the waitlist"]  # the place is held for the next in line
    _, sent = calendar_of(going)
    calendar, taken_back = calendar_of(reply)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(taken_back["UID"]) == str(sent["UID"])
    assert int(sent["SEQUENCE"]) > 2 and int(taken_back["SEQUENCE"]) > int(sent["SEQUENCE"])
    async with services.db.session(write=False) as session:
        keys = (await session.exec(select(OutboxRow.dedupe_key))).all()
    assert any(k.startswith("events:offer:") for k in keys)

    again = await pressed(staff, services, actions.CANCEL, occurrence, 1)
    assert plain_text(again) == "You've already cancelled your place."


async def test_signing_up_again_after_cancelling_puts_it_back_in_the_calendar(
    services: Services,
) -> None:
    """Each invite a person gets for a date outranks the one before, or their calendar
    would keep the cancellation and ignore the new invite."""
    occurrence = await an_event(services.db, capacity=None)
    staff = router()
    sent = [
        calendar_of(await pressed(staff, services, step, occurrence, 1))[1]
        for step in (actions.SIGN_UP, actions.CANCEL, actions.SIGN_UP)
    ]
    assert len({str(event["UID"]) for event in sent}) == 1
    first, taken_back, again = (int(event["SEQUENCE"]) for event in sent)
    assert first < taken_back < again


async def test_leaving_the_waitlist_sends_no_calendar_update(services: Services) -> None:
    occurrence = await an_event(services.db, capacity=1)
    staff = router()
    await pressed(staff, services, actions.SIGN_UP, occurrence, 1)
    await pressed(staff, services, actions.SIGN_UP, occurrence, 2)
    reply = await pressed(staff, services, actions.CANCEL, occurrence, 2)
    assert plain_text(reply).startswith("You've left the waitlist for Lunch and learn.")
    assert reply.files == ()
    assert labels(reply) == ["Join the waitlist"]


async def test_an_offered_place_taken_brings_the_invite(services: Services) -> None:
    occurrence = await an_event(services.db, capacity=1)
    staff = router()
    await pressed(staff, services, actions.SIGN_UP, occurrence, 1)
    await pressed(staff, services, actions.SIGN_UP, occurrence, 2)
    await pressed(staff, services, actions.CANCEL, occurrence, 1)
    reply = await pressed(staff, services, actions.CLAIM, occurrence, 2)
    assert plain_text(reply).startswith("You're going to Lunch and learn.")
    assert str(calendar_of(reply)[0]["METHOD"]) == "REQUEST"
    again = await pressed(staff, services, actions.CLAIM, occurrence, 2)
    assert plain_text(again).startswith("You're already signed up.")


async def test_an_offered_place_turned_down_passes_on(services: Services) -> None:
    occurrence = await an_event(services.db, capacity=1)
    staff = router()
    for n in (1, 2, 3):
        await pressed(staff, services, actions.SIGN_UP, occurrence, n)
    await pressed(staff, services, actions.CANCEL, occurrence, 1)
    reply = await pressed(staff, services, actions.DECLINE, occurrence, 2)
    assert plain_text(reply).startswith("No problem. We've let the place go")
    assert reply.files == ()
    again = await pressed(staff, services, actions.DECLINE, occurrence, 2)
    assert plain_text(again) == "That offer has already ended. Nothing has changed."
    offered = await pressed(staff, services, actions.OPEN, occurrence, 3)
    assert labels(offered) == ["Yes, I'll come", "No thanks"]


async def test_a_press_in_a_channel_answers_the_presser_alone(services: Services) -> None:
    occurrence = await an_event(services.db, capacity=2)
    reply = await pressed(router(), services, actions.SIGN_UP, occurrence, where=CHANNEL)
    assert reply.ephemeral and not reply.in_place  # never the announcement everyone sees
    assert plain_text(reply).startswith("You're going to Lunch and learn.")
    assert len(reply.files) == 1


async def test_access_needs_are_asked_only_with_a_sealer(services: Services) -> None:
    occurrence = await an_event(services.db, capacity=2)
    assert labels(await pressed(router(), services, actions.SIGN_UP, occurrence, 1)) == [
        "Cancel my place"
    ]
    reply = await pressed(router(SEALER), services, actions.SIGN_UP, occurrence, 2)
    assert labels(reply) == ["Cancel my place", "Tell the organisers about access needs"]


async def test_access_needs_are_sealed_and_only_for_the_leads(services: Services) -> None:
    occurrence = await an_event(services.db, capacity=1)
    staff = router(SEALER)
    await pressed(staff, services, actions.SIGN_UP, occurrence, 1)
    asked = await pressed(staff, services, actions.NEEDS, occurrence, 1)
    form = asked.form
    assert isinstance(form, Form) and form.form == actions.NEEDS
    (question,) = form.inputs
    assert isinstance(question, TextInput)
    assert (question.label, question.required, question.multiline) == (
        NEEDS_QUESTION,
        False,
        True,
    )
    words = "I use a wheelchair and need a seat near the door"
    submitted = FormSubmitted(
        actor=actor(1),
        conversation=dm(1),
        at=NOW,
        form=actions.NEEDS,
        values={**form.carried, "needs": words},
    )
    (done,) = await staff.handle(submitted, services)
    (notice,) = done.blocks
    assert isinstance(notice, Notice)
    assert "Only the LGBTQ+ Network's leads will see it." in notice.text
    async with services.db.session(write=False) as session:
        row = (await session.exec(select(Signup))).one()
        raw = (await session.exec(text("SELECT access_needs FROM event_signup"))).one()
    assert row.access_needs is not None and words not in str(raw)
    assert open_sealed(SEALER, row.access_needs) == {"text": words}

    blank = FormSubmitted(
        actor=actor(1), conversation=dm(1), at=NOW, form=actions.NEEDS, values=form.carried
    )
    (nothing,) = await staff.handle(blank, services)
    assert plain_text(nothing).startswith("NOTHING SENT")
    async with services.db.session(write=False) as session:
        kept = (await session.exec(select(Signup))).one().access_needs
    assert kept == row.access_needs


async def test_access_needs_from_someone_not_signed_up_are_not_kept(services: Services) -> None:
    occurrence = await an_event(services.db, capacity=1)
    staff = router(SEALER)
    refused = await pressed(staff, services, actions.NEEDS, occurrence, 5)
    assert plain_text(refused) == "Please sign up first, then tell the organisers."
    await pressed(staff, services, actions.SIGN_UP, occurrence, 5)
    form = (await pressed(staff, services, actions.NEEDS, occurrence, 5)).form
    assert form is not None
    await pressed(staff, services, actions.CANCEL, occurrence, 5)
    late = FormSubmitted(
        actor=actor(5),
        conversation=dm(5),
        at=NOW,
        form=actions.NEEDS,
        values={**form.carried, "needs": "A quiet room"},
    )
    (reply,) = await staff.handle(late, services)
    assert "Please sign up first" in plain_text(reply)
    async with services.db.session(write=False) as session:
        assert (await session.exec(select(Signup))).one().access_needs is None


async def test_an_over_long_answer_comes_back_with_everything_kept(services: Services) -> None:
    occurrence = await an_event(services.db, capacity=1)
    staff = router(SEALER)
    await pressed(staff, services, actions.SIGN_UP, occurrence, 1)
    form = (await pressed(staff, services, actions.NEEDS, occurrence, 1)).form
    assert form is not None
    long = "x" * 2500
    submitted = FormSubmitted(
        actor=actor(1),
        conversation=dm(1),
        at=NOW,
        form=actions.NEEDS,
        values={**form.carried, "needs": long},
    )
    (reply,) = await staff.handle(submitted, services)
    assert reply.form is not None and "needs" in reply.form.errors
    assert reply.form.carried == form.carried


async def test_buttons_pressed_after_the_date_was_cancelled_change_nothing_and_say_so(
    services: Services,
) -> None:
    """Cancel my place, No thanks, Yes I'll come and access needs sit in reminders and
    offers people still have after a lead cancels: a press then must not send another
    calendar cancellation, nor show the cancelled date with a Sign up button."""
    occurrence = await an_event(services.db, capacity=1)
    keyed = router(SEALER)
    await pressed(keyed, services, actions.SIGN_UP, occurrence, 1)
    await pressed(keyed, services, actions.SIGN_UP, occurrence, 2)
    await pressed(keyed, services, actions.CANCEL, occurrence, 1)  # 2 is offered the place
    await pressed(keyed, services, actions.SIGN_UP, occurrence, 3)  # 3 waits
    await pressed(keyed, services, actions.SIGN_UP, occurrence, 1)  # 1 waits again
    await change(services.db, occurrence, cancelled_at=NOW)
    async with services.db.session(write=False) as session:
        before = list((await session.exec(select(Signup).order_by(col(Signup.id)))).all())
    for n, action in (
        (2, actions.DECLINE),
        (2, actions.CLAIM),
        (3, actions.CANCEL),
        (1, actions.CANCEL),
        (3, actions.NEEDS),
        (4, actions.SIGN_UP),
    ):
        reply = await pressed(keyed, services, action, occurrence, n)
        assert plain_text(reply) == listing.CANCELLED, (n, action)
        assert reply.files == () and labels(reply) == []
    async with services.db.session(write=False) as session:
        after = list((await session.exec(select(Signup).order_by(col(Signup.id)))).all())
    assert [(s.status, s.changed_at) for s in after] == [(s.status, s.changed_at) for s in before]
    assert len(after) == 3  # and nobody new was put on it


async def test_access_needs_go_with_the_place_given_up(services: Services) -> None:
    """Sealed for the leads while someone is coming; not kept once they cancel, nor
    brought back if they sign up again."""
    occurrence = await an_event(services.db, capacity=2)
    keyed = router(SEALER)
    await pressed(keyed, services, actions.SIGN_UP, occurrence)
    await keyed.handle(
        FormSubmitted(
            actor=actor(1), conversation=dm(1), at=NOW, form=actions.NEEDS,
            values={"needs": "A step-free route, please", "occurrence": str(occurrence)},
        ),
        services,
    )  # fmt: skip
    async with services.db.session(write=False) as session:
        assert (await session.exec(select(Signup.access_needs))).one() is not None
    await pressed(keyed, services, actions.CANCEL, occurrence)
    await pressed(keyed, services, actions.SIGN_UP, occurrence)
    async with services.db.session(write=False) as session:
        assert (await session.exec(select(Signup.access_needs))).one() is None
