"""A lead's tools through the real router on a real SQLite file: create, change, move, cancel,
announce, who is coming, attended, export; and everyone else politely refused, and audited."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, func, select

from adapters.runtime import Runtime, wire
from bot.conversation.actions import ActionId
from bot.conversation.codec import reply_from_json
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Conversation,
    FieldValue,
    FormSubmitted,
    PersonAddress,
    Platform,
    TextMessage,
)
from bot.conversation.payloads import decode, encode
from bot.conversation.replies import Buttons, Form, Reply, plain_text
from bot.conversation.sealing import generate_key, seal
from bot.events import announce, attendees, lead, leads, places
from bot.events.actions import SIGN_UP
from bot.events.payloads import OccurrenceRef, SeriesRef
from bot.organisation.config import load_settings
from bot.organisation.sync import apply_org_file
from storage.engine import Database
from storage.events import EventAudit, EventSeries, Occurrence, Signup, SignupStatus
from storage.outbox import OutboxRow
from tests.bot.organisation.test_directory_features import EXAMPLE
from tests.fakes import FakeClock
from tests.scenarios.test_speak_up import table_dump

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
LEAD = Actor(platform=Platform.SLACK, tenant="T1", user_id="U07LEAD003")  # leads lgbtq
OTHER_LEAD = Actor(platform=Platform.SLACK, tenant="T1", user_id="U07LEAD001")  # race equality
NURSE = Actor(platform=Platform.SLACK, tenant="T1", user_id="U0NURSE01")
DM = Conversation(platform=Platform.SLACK, tenant="T1", channel_id="D1")


@pytest.fixture
async def runtime(db: Database) -> Runtime:
    """As `peerbot run` wires it, on a real SQLite file (and on PostgreSQL when set)."""
    await apply_org_file(db, EXAMPLE)
    settings = load_settings(
        database_url="postgresql://peerbot@db.invalid/peerbot",
        PEERBOT_SEALING_KEY=generate_key(),
    )
    return wire(settings, db, FakeClock(NOW))


async def said(runtime: Runtime, text: str, who: Actor = LEAD) -> list[Reply]:
    event = TextMessage(actor=who, conversation=DM, at=NOW, text=text)
    return await runtime.router.handle(event, runtime.services)


async def press(runtime: Runtime, action: ActionId, value: str, who: Actor = LEAD) -> list[Reply]:
    event = ButtonPressed(actor=who, conversation=DM, at=NOW, action=action, value=value)
    return await runtime.router.handle(event, runtime.services)


async def send(
    runtime: Runtime,
    form: ActionId,
    values: Mapping[str, FieldValue],
    who: Actor = LEAD,
    submission: str = "",
) -> list[Reply]:
    event = FormSubmitted(
        actor=who, conversation=DM, at=NOW, form=form, values=values, submission=submission
    )
    return await runtime.router.handle(event, runtime.services)


def answers(form: Form, **changes: FieldValue) -> dict[str, FieldValue]:
    """What a form sends back as it stands (its initial answers and what it carries)."""
    values: dict[str, FieldValue] = dict(form.carried)
    for spec in form.inputs:
        initial = spec.initial
        if isinstance(initial, tuple) and not getattr(spec, "multiple", True):
            initial = initial[0] if initial else ""
        values[spec.field] = initial
    values.update(changes)
    return values


EVENT: dict[str, FieldValue] = {
    "title": "Lunch and chat",
    "description": "Bring your lunch.",
    "start": "2026-12-03 12:30",
    "end": "2026-12-03 13:30",
    "place": "Room 4",
    "capacity": "2",
    "repeats": "weekly",
    "count": "4",
}


async def create(runtime: Runtime, **changes: FieldValue) -> EventSeries:
    (opened,) = await said(runtime, "events new")
    assert opened.form is not None
    (done,) = await send(runtime, leads.EVENT_FORM, answers(opened.form, **{**EVENT, **changes}))
    assert done.form is None, done.form.errors if done.form else None
    async with runtime.db.session(write=False) as session:
        series = (
            await session.exec(select(EventSeries).order_by(col(EventSeries.id).desc()))
        ).first()
    assert series is not None
    return series


async def dates(runtime: Runtime, series: EventSeries | None = None) -> list[Occurrence]:
    async with runtime.db.session(write=False) as session:
        query = select(Occurrence).order_by(col(Occurrence.slot))
        if series is not None:
            query = query.where(col(Occurrence.series_id) == series.id)
        return list((await session.exec(query)).all())


async def count(runtime: Runtime, table: Any) -> int:
    async with runtime.db.session(write=False) as session:
        return int((await session.exec(select(func.count()).select_from(table))).one())


async def audits(runtime: Runtime) -> list[EventAudit]:
    async with runtime.db.session(write=False) as session:
        return list((await session.exec(select(EventAudit).order_by(col(EventAudit.id)))).all())


def staff(n: int) -> PersonAddress:
    return PersonAddress(platform=Platform.SLACK, tenant="T1", user_id=f"U0STAFF{n:02d}")


async def sign_up(runtime: Runtime, occurrence: Occurrence, who: PersonAddress) -> places.Result:
    assert occurrence.id is not None
    async with runtime.db.session() as session:
        return await places.sign_up(session, occurrence.id, who, now=NOW)


def ref(occurrence: Occurrence) -> str:
    assert occurrence.id is not None
    return encode(OccurrenceRef(occurrence=occurrence.id))


async def test_a_lead_creates_a_weekly_event_and_each_date_is_its_own(runtime: Runtime) -> None:
    (opened,) = await said(runtime, "events new")
    assert opened.form is not None and opened.form.form == leads.EVENT_FORM
    assert opened.form.carried == {"network": "lgbtq"}  # they lead one: nothing to ask
    (done,) = await send(runtime, leads.EVENT_FORM, answers(opened.form, **EVENT), submission="V1")
    assert "is saved" in plain_text(done) and "4 dates" in plain_text(done)
    again = await send(runtime, leads.EVENT_FORM, answers(opened.form, **EVENT), submission="V1")
    assert "Already saved" in plain_text(again[0])
    assert await count(runtime, EventSeries) == 1
    occurrences = await dates(runtime)
    assert [o.starts_at for o in occurrences] == [
        datetime(2026, 12, d, 12, 30, tzinfo=UTC) for d in (3, 10, 17, 24)
    ]
    assert all(
        o.slot == o.starts_at and o.ends_at - o.starts_at == timedelta(hours=1) for o in occurrences
    )
    (audit,) = [a for a in await audits(runtime) if a.action == "create"]
    assert (audit.network, audit.refused, audit.user_id) == ("lgbtq", False, "U07LEAD003")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": "2026-12-03 12:00"}, "end"),
        ({"start": "2026-11-20 12:30", "end": "2026-11-20 13:30"}, "start"),
        ({"count": "", "until": "2026-12-01"}, "until"),
        ({"title": "x" * 10_000}, "title"),
        ({"capacity": "lots"}, "capacity"),
        ({"link": "http://insecure.example.org"}, "link"),
    ],
)
async def test_bad_input_is_sent_back_beside_its_field_and_writes_nothing(
    runtime: Runtime, changes: dict[str, FieldValue], field: str
) -> None:
    (opened,) = await said(runtime, "events new")
    assert opened.form is not None
    values = answers(opened.form, **{**EVENT, **changes})
    (back,) = await send(runtime, leads.EVENT_FORM, values, submission="V2")
    assert back.form is not None and field in back.form.errors
    assert {i.field: i.initial for i in back.form.inputs}["description"] == "Bring your lunch."
    for table in (EventSeries, Occurrence, EventAudit):
        assert await count(runtime, table) == 0
    fixed = {**values, **{k: EVENT.get(k, "") for k in changes}}
    (done,) = await send(runtime, leads.EVENT_FORM, fixed, submission="V2")  # same view, fixed
    assert "is saved" in plain_text(done)


async def test_a_forged_network_is_refused_and_writes_nothing(runtime: Runtime) -> None:
    (opened,) = await said(runtime, "events new")
    assert opened.form is not None
    values = answers(opened.form, **EVENT, network="race-equality")
    (back,) = await send(runtime, leads.EVENT_FORM, values)
    assert back.form is not None and "network you lead" in back.form.errors["title"]
    assert await count(runtime, EventSeries) == 0


async def test_anyone_else_is_refused_politely_and_audited_without_what_they_tried(
    runtime: Runtime,
) -> None:
    series = await create(runtime)
    first = (await dates(runtime, series))[0]
    await sign_up(runtime, first, staff(1))
    before = len(await audits(runtime))
    tries = [
        said(runtime, "events new", NURSE),
        press(runtime, attendees.ATTENDEES, ref(first), NURSE),
        press(runtime, attendees.ATTENDEES, ref(first), OTHER_LEAD),  # leads another network
        press(runtime, attendees.EXPORT, ref(first), NURSE),
        send(runtime, leads.CANCEL_DATE_FORM, {"occurrence": str(first.id), "sure": "yes"}, NURSE),
        send(runtime, leads.EVENT_FORM, {**EVENT, "network": "lgbtq"}, NURSE),
    ]
    for attempt in tries:
        (reply,) = await attempt
        assert plain_text(reply) == lead.REFUSAL
        assert "U0STAFF01" not in plain_text(reply)
    refused = (await audits(runtime))[before:]
    assert [a.action for a in refused] == [
        "new",
        "attendees",
        "attendees",
        "export",
        "cancel_date",
        "create",
    ]
    assert all(a.refused and a.network == "" and a.occurrence_id is None for a in refused)
    assert {a.user_id for a in refused} == {"U0NURSE01", "U07LEAD001"}
    assert (await dates(runtime, series))[0].cancelled_at is None


async def test_moving_one_date_alone_then_changing_the_series(runtime: Runtime) -> None:
    series = await create(runtime)
    first, second, third, fourth = await dates(runtime, series)
    (opened,) = await press(runtime, leads.MOVE, ref(second))
    assert opened.form is not None
    moved = answers(opened.form, start="2026-12-11 17:00", end="2026-12-11 18:00", place="Hall")
    (done,) = await send(runtime, leads.MOVE_FORM, moved)
    assert "moved" in plain_text(done)

    (opened,) = await press(runtime, leads.EDIT, encode(SeriesRef(series=series.id or 0)))
    assert opened.form is not None
    changed = answers(opened.form, start="2026-12-03 13:00", end="2026-12-03 14:30", count="3")
    (done,) = await send(runtime, leads.EVENT_FORM, changed)
    assert "is changed" in plain_text(done), plain_text(done)

    after = {o.id: o for o in await dates(runtime, series)}
    one, two, three, four = (after[o.id] for o in (first, second, third, fourth))
    assert one.starts_at.astimezone(LONDON).strftime("%H:%M") == "13:00"
    assert one.ends_at - one.starts_at == timedelta(minutes=90)
    assert (two.starts_at, two.place) == (datetime(2026, 12, 11, 17, 0, tzinfo=UTC), "Hall")
    assert three.starts_at == datetime(2026, 12, 17, 13, 0, tzinfo=UTC)
    assert four.cancelled_at is not None  # three times now, not four
    assert [one.sequence, two.sequence, three.sequence, four.sequence] == [1, 1, 1, 1]
    assert [o.slot for o in (one, three)] == [first.slot, third.slot]  # the invite's UID stays


async def test_dates_made_in_summer_time_stay_at_local_time_after_the_clocks_go_back(
    runtime: Runtime,
) -> None:
    """Dates made in summer time stay at 12:30 local after the clocks go back."""
    series = await create(
        runtime, start="2027-10-21 12:30", end="2027-10-21 13:30", count="3", capacity=""
    )
    starts = [o.starts_at for o in await dates(runtime, series)]
    assert starts == [
        datetime(2027, 10, 21, 11, 30, tzinfo=UTC),
        datetime(2027, 10, 28, 11, 30, tzinfo=UTC),
        datetime(2027, 11, 4, 12, 30, tzinfo=UTC),  # the clocks went back on 31 October
    ]


async def test_raising_capacity_offers_the_new_place_and_lowering_below_taken_is_refused(
    runtime: Runtime,
) -> None:
    series = await create(runtime, repeats="never", count="")
    (only,) = await dates(runtime, series)
    results = [await sign_up(runtime, only, staff(n)) for n in range(3)]
    assert [r.outcome for r in results] == ["going", "going", "waiting"]
    (opened,) = await press(runtime, leads.EDIT, encode(SeriesRef(series=series.id or 0)))
    assert opened.form is not None
    before = await table_dump(runtime)
    (back,) = await send(runtime, leads.EVENT_FORM, answers(opened.form, capacity="1"))
    assert back.form is not None and "2 people already have a place" in back.form.errors["capacity"]
    assert back.form.inputs and dict(answers(back.form)) == dict(answers(opened.form, capacity="1"))
    assert await table_dump(runtime) == before  # nothing written, not even an audit row
    (done,) = await send(runtime, leads.EVENT_FORM, answers(opened.form, capacity="3"))
    assert "is changed" in plain_text(done)
    async with runtime.db.session(write=False) as session:
        waiting = (await session.exec(select(Signup).where(Signup.user_id == "U0STAFF02"))).one()
    assert waiting.status == SignupStatus.OFFERED


async def test_cancelling_one_date_then_the_whole_event(runtime: Runtime) -> None:
    series = await create(runtime)
    first, second, *_ = await dates(runtime, series)
    (opened,) = await press(runtime, leads.CANCEL_DATE, ref(first))
    assert opened.form is not None
    (done,) = await send(runtime, leads.CANCEL_DATE_FORM, answers(opened.form, sure="yes"))
    assert "cancelled" in plain_text(done)
    after = await dates(runtime, series)
    assert after[0].cancelled_at is not None and after[0].sequence == 1
    assert after[1].cancelled_at is None
    (again,) = await send(runtime, leads.CANCEL_DATE_FORM, answers(opened.form, sure="yes"))
    assert "was already cancelled" in plain_text(again)  # the same form sent twice
    for button in (leads.MOVE, leads.CANCEL_DATE):  # no form to fill for nothing
        (said,) = await press(runtime, button, ref(first))
        assert said.form is None and plain_text(said) == leads.DATE_CANCELLED
    assert (await dates(runtime, series))[0].sequence == 1  # nobody was told twice

    (opened,) = await press(runtime, leads.CANCEL_EVENT, encode(SeriesRef(series=series.id or 0)))
    assert opened.form is not None
    (done,) = await send(runtime, leads.CANCEL_EVENT_FORM, answers(opened.form, sure="yes"))
    after = await dates(runtime, series)
    assert all(o.cancelled_at is not None for o in after)
    assert [o.sequence for o in after] == [1, 1, 1, 1]  # the first cancelled once, not twice
    (gone,) = await press(runtime, announce.ANNOUNCE, ref(second))
    assert "cancelled" in plain_text(gone)
    (no_edit,) = await press(runtime, leads.EDIT, encode(SeriesRef(series=series.id or 0)))
    assert plain_text(no_edit) == leads.CANCELLED


async def test_announcing_queues_the_event_for_the_channel_without_who_is_coming(
    runtime: Runtime,
) -> None:
    series = await create(runtime)
    first = (await dates(runtime, series))[0]
    await sign_up(runtime, first, staff(1))
    (reply,) = await press(runtime, announce.ANNOUNCE, ref(first))
    assert "will be announced" in plain_text(reply)
    (again,) = await press(runtime, announce.ANNOUNCE, ref(first))
    assert "announced already" in plain_text(again)
    async with runtime.db.session(write=False) as session:
        rows = (await session.exec(select(OutboxRow))).all()
    (row,) = [r for r in rows if r.dedupe_key.startswith("events:announce:")]
    assert row.dedupe_key == f"events:announce:{series.id}:{first.id}"
    assert row.address is not None and row.address["channel_id"] == "C07LGBTQ"
    assert row.address["is_private"] is False
    assert row.reply is not None
    announced = reply_from_json(row.reply)
    (buttons,) = [b for b in announced.blocks if isinstance(b, Buttons)]
    (sign,) = buttons.buttons
    assert sign.action == SIGN_UP and decode(OccurrenceRef, sign.value).occurrence == first.id
    assert announced.summary == "New event: Lunch and chat"
    assert "U0STAFF01" not in str(row.reply)


async def test_leads_see_who_is_coming_and_access_needs_mark_attended_and_export(
    runtime: Runtime,
) -> None:
    series = await create(runtime)
    first = (await dates(runtime, series))[0]
    for n in range(4):
        await sign_up(runtime, first, staff(n))
    await sign_up(
        runtime, first, PersonAddress(platform=Platform.SLACK, tenant="T1", user_id="U07LEAD001")
    )
    assert runtime.sealer is not None
    async with runtime.db.session() as session:
        row = (await session.exec(select(Signup).where(Signup.user_id == "U0STAFF00"))).one()
        row.access_needs = seal(runtime.sealer, {"text": "Step-free route please"})
        session.add(row)

    (shown,) = await press(runtime, attendees.ATTENDEES, ref(first))
    text = plain_text(shown)
    assert shown.ephemeral
    assert "Coming: 2" in text and "Waiting: 3" in text
    kwame = "kwame.mensah@riverside.example.nhs.uk"  # in the org file: named by email
    assert text.index("U0STAFF02") < text.index("U0STAFF03") < text.index(kwame)
    assert "Step-free route please" in text

    (opened,) = await press(runtime, attendees.MARK, ref(first))
    assert opened.form is not None
    going = {o.label: o.value for o in opened.form.inputs[0].options}  # type: ignore[union-attr]
    assert set(going) == {"U0STAFF00", "U0STAFF01"}
    (done,) = await send(
        runtime, attendees.MARK_FORM, answers(opened.form, attended=(going["U0STAFF01"],))
    )
    assert "1 of 2 came" in plain_text(done)

    (exported,) = await press(runtime, attendees.EXPORT, ref(first))
    (file,) = exported.files
    lines = list(csv.reader(io.StringIO(file.data.decode())))
    assert lines[0] == ["platform", "user_id", "email", "status", "attended"]
    assert lines[1:3] == [
        ["slack", "U0STAFF00", "", "going", "no"],
        ["slack", "U0STAFF01", "", "going", "yes"],
    ]
    assert ["slack", "U07LEAD001", "kwame.mensah@riverside.example.nhs.uk", "waiting", ""] in lines
    assert "Step-free" not in file.data.decode()


async def test_a_leads_list_and_home_show_their_events_and_no_one_elses(runtime: Runtime) -> None:
    await create(runtime)
    (listed,) = await said(runtime, "manage events")
    assert "LUNCH AND CHAT" in plain_text(listed) and "0 of 2 taken" in plain_text(listed)
    first = (await dates(runtime))[0]  # the soonest is listed first
    assert f"Date number: {first.id} (for the attendance export)" in plain_text(listed)
    (elsewhere,) = await said(runtime, "manage events", OTHER_LEAD)
    assert "LUNCH AND CHAT" not in plain_text(elsewhere)
    (refused,) = await said(runtime, "events manage", NURSE)
    assert plain_text(refused) == lead.REFUSAL
    (events,) = [f for f in runtime.router.features if f.name == "events"]
    assert events.home is not None
    nurses = str(await events.home(NURSE, runtime.services))  # everyone's part, no lead's
    assert "You lead" not in nurses and "New event" not in nurses and "LGBTQ+" not in nurses
    assert "LGBTQ+ Network" in str(await events.home(LEAD, runtime.services))


async def test_a_leads_list_pages_through_every_date_to_come(runtime: Runtime) -> None:
    """Fourteen dates, ten to a page: the last four are a button away, not out of reach."""
    await create(runtime, count="14")
    (first,) = await said(runtime, "manage events")
    text = plain_text(first)
    assert "Dates 1 to 10 of 14." in text and "Later dates" in text and "Sooner" not in text
    (later,) = [
        b for block in first.blocks if isinstance(block, Buttons) for b in block.buttons
        if b.label == "Later dates"
    ]  # fmt: skip
    (second,) = await press(runtime, later.action, later.value)
    shown = plain_text(second)
    assert "Dates 11 to 14 of 14." in shown and "Sooner dates" in shown
    assert "Later dates" not in shown
    numbers = [d.id for d in await dates(runtime)]
    assert all(f"Date number: {n} " in text for n in numbers[:10])
    assert all(f"Date number: {n} " in shown for n in numbers[10:])
    (few,) = await said(runtime, "manage events", OTHER_LEAD)
    assert "Dates " not in plain_text(few)  # one page: no paging said


async def test_a_form_carrying_a_date_that_is_not_one_gets_help_not_an_error(
    runtime: Runtime,
) -> None:
    """A tampered form's date is checked as a button's is: help, not a crash or a guess."""
    for carried in ("0", "x", "-1", "1:2", "9" * 30):
        values = {"occurrence": carried, "sure": "yes"}
        (reply,) = await send(runtime, leads.CANCEL_DATE_FORM, values)
        assert plain_text(reply).startswith("Sorry, I didn't understand that."), carried


async def test_a_stale_button_is_answered_kindly(runtime: Runtime) -> None:
    await create(runtime)
    (reply,) = await press(runtime, attendees.ATTENDEES, encode(OccurrenceRef(occurrence=999)))
    assert plain_text(reply) == lead.GONE


async def test_repeating_events_get_their_next_dates_as_time_passes(runtime: Runtime) -> None:
    series = await create(runtime, count="", capacity="")
    made = await dates(runtime, series)
    assert len(made) == 27  # six months of Thursdays, the first included
    assert isinstance(runtime.clock, FakeClock)
    runtime.clock.advance(weeks=10)
    (events,) = [f for f in runtime.router.features if f.name == "events"]
    (chore,) = [c for c in events.chores if c.name == "events-dates"]
    assert await chore.run(runtime.services) == 8  # to six months from now, not from the start
    assert await chore.run(runtime.services) == 0  # every replica may run it: once each
    later = await dates(runtime, series)
    horizon = runtime.clock.now() + timedelta(weeks=26)
    assert later[-1].starts_at <= horizon < later[-1].starts_at + timedelta(weeks=1)
    local = [o.starts_at.astimezone(LONDON) for o in later]
    assert {f"{t:%A %H:%M}" for t in local} == {"Thursday 12:30"}  # the clocks went forward too
    assert {(b.date() - a.date()).days for a, b in itertools.pairwise(local)} == {7}


async def test_a_bad_move_is_sent_back_and_writes_nothing(runtime: Runtime) -> None:
    series = await create(runtime)
    first = (await dates(runtime, series))[0]
    (opened,) = await press(runtime, leads.MOVE, ref(first))
    assert opened.form is not None
    before = len(await audits(runtime))
    for wrong, field in (
        ({"start": "2026-12-04 12:00", "end": "2026-12-04 11:00"}, "end"),
        ({"start": "2026-11-01 12:00", "end": "2026-11-01 13:00"}, "start"),
    ):
        (back,) = await send(runtime, leads.MOVE_FORM, answers(opened.form, **wrong))
        assert back.form is not None and field in back.form.errors
        assert {i.field: i.initial for i in back.form.inputs}["start"] == wrong["start"]
    assert len(await audits(runtime)) == before
    after = (await dates(runtime, series))[0]
    assert (after.starts_at, after.ends_at, after.place, after.sequence) == (
        first.starts_at,
        first.ends_at,
        first.place,
        0,
    )


def test_announce_from_where_the_network_has_no_channel_says_where_it_has_one() -> None:
    assert announce.elsewhere(["slack", "teams"]).startswith(
        "This network's channel is in Slack and Teams. Please press Announce there."
    )
    assert "no channel to announce in yet" in announce.elsewhere([])
