"""What people are told when a lead changes, cancels or publishes an event: everyone with
a stake hears once per change, each in words that fit where they stand, and a network's
members hear of a new event unless they muted it."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event

from bot.conversation.payloads import decode
from bot.conversation.replies import Buttons, Reply, Text, When
from bot.events import invite, notices, places
from bot.events.actions import CANCEL, CLAIM, DECLINE, OPEN
from bot.events.payloads import OccurrenceRef
from storage.engine import Database
from storage.events import EventSeries, Membership, Occurrence
from storage.organisation import Network
from tests.bot.events.places_fixtures import NOW, STARTS, an_event, staff
from tests.bot.events.queued import queued

MOVED = STARTS + timedelta(days=1, hours=3)


async def everyone_placed(db: Database) -> int:
    """U00001 going, U00002 cancelled, U00003 offered the place U00002 gave up, U00004
    waiting."""
    occurrence = await an_event(db, capacity=2)
    for n in (1, 2, 3, 4):
        async with db.session() as session:
            await places.sign_up(session, occurrence, staff(n), now=NOW)
    async with db.session() as session:
        await places.cancel(session, occurrence, staff(2), now=NOW)
    return occurrence


async def move(db: Database, occurrence: int, to: str = "") -> int:
    """A lead's change: a new start (or place), the sequence bumped, the notice sent."""
    async with db.session() as session:
        found = await places.event_of(session, occurrence)
        assert found is not None
        row, series = found
        row.sequence += 1
        row.starts_at, row.ends_at = MOVED, MOVED + timedelta(hours=1)
        row.place = to
        session.add(row)
        await session.flush()
        return await notices.changed(session, row, series, now=NOW)


def labels(reply: Reply) -> list[tuple[str, object]]:
    rows = [block for block in reply.blocks if isinstance(block, Buttons)]
    return [(b.label, b.action) for row in rows for b in row.buttons]


def said(reply: Reply) -> str:
    return " ".join(b.text for b in reply.blocks if isinstance(b, Text))


async def test_a_change_tells_everyone_with_a_stake_once_per_change(db: Database) -> None:
    occurrence = await everyone_placed(db)
    assert await move(db, occurrence) == 3
    assert await move(db, occurrence, to="Room 2") == 3  # a second change is news again
    told = await queued(db, "events:changed:")
    assert list(told) == [
        f"events:changed:{occurrence}:1:1",
        f"events:changed:{occurrence}:1:3",
        f"events:changed:{occurrence}:1:4",
        f"events:changed:{occurrence}:2:1",
        f"events:changed:{occurrence}:2:3",
        f"events:changed:{occurrence}:2:4",
    ]
    assert [address for address, _ in told.values()][:3] == [staff(1), staff(3), staff(4)]
    going, offered, waiting = (reply for _, reply in list(told.values())[:3])
    for reply in (going, offered, waiting):
        assert When(label="Starts", at=MOVED) in reply.blocks
        assert reply.summary == "Lunch and learn has changed"
    assert labels(going) == [("Cancel my place", CANCEL)]
    assert labels(offered) == [("Yes, I'll come", CLAIM), ("No thanks", DECLINE)]
    assert labels(waiting) == [] and "still on the waitlist" in said(waiting)
    assert "Room 2" in str(list(told.values())[3][1].blocks)
    assert (offered.files, waiting.files) == ((), ())
    # the date's sequence (1, then 2) plus the invites this person has had (1, then 2)
    for sequence, reply in ((2, going), (4, list(told.values())[3][1])):
        event = calendar_event(reply, "REQUEST")
        assert (event["SEQUENCE"], event["UID"]) == (sequence, UID)
        assert event.decoded("DTSTART") == MOVED


def calendar_event(reply: Reply, method: str) -> Event:
    """The one .ics the reply carries, parsed back: its method and its one event."""
    (attached,) = reply.files
    assert attached.media_type == "text/calendar"
    calendar = Calendar.from_ical(attached.data)
    assert calendar["METHOD"] == method
    (event,) = calendar.walk("VEVENT")
    assert isinstance(event, Event)
    return event


UID = invite.uid(1, STARTS, invite.DOMAIN)
"""The UID everyone got when they signed up: the one series in a fresh database and the
date's slot, which stays when the date moves."""


async def test_the_same_change_told_again_is_not_sent_again(db: Database) -> None:
    occurrence = await everyone_placed(db)
    await move(db, occurrence)
    async with db.session() as session:
        found = await places.event_of(session, occurrence)
        assert found is not None
        assert await notices.changed(session, *found, now=NOW) == 0
    assert len(await queued(db, "events:changed:")) == 3


async def test_a_cancelled_date_tells_everyone_with_a_stake_once(db: Database) -> None:
    occurrence = await everyone_placed(db)
    for _ in range(2):
        async with db.session() as session:
            found = await places.event_of(session, occurrence)
            assert found is not None
            if found[0].cancelled_at is None:  # as the lead does: the sequence goes up
                found[0].cancelled_at, found[0].sequence = NOW, found[0].sequence + 1
            await notices.cancelled(session, *found, now=NOW)
    told = await queued(db, "events:cancelled:")
    assert list(told) == [f"events:cancelled:{occurrence}:{n}" for n in (1, 3, 4)]
    going, *others = (reply for _, reply in told.values())
    assert [reply.files for reply in others] == [(), ()]
    for _, reply in told.values():
        assert reply.summary == "Lunch and learn is cancelled"
        assert When(label="It was due to start", at=STARTS) in reply.blocks
        assert "don't need to do anything" in said(reply)
    assert [address for address, _ in told.values()] == [staff(1), staff(3), staff(4)]
    event = calendar_event(going, "CANCEL")
    assert (event["SEQUENCE"], event["STATUS"]) == (2, "CANCELLED")  # the date's 1, their 1st
    assert event["UID"] == UID


async def join(db: Database, n: int, network: str = "lgbtq", *, muted: bool = False) -> int:
    who = staff(n)
    async with db.session() as session:
        row = Membership(
            network=network,
            platform=who.platform,
            tenant=who.tenant,
            user_id=who.user_id,
            muted=muted,
            joined_at=NOW,
        )
        session.add(row)
        await session.flush()
        assert row.id is not None
        return row.id


async def publish(db: Database, occurrence: int) -> int:
    async with db.session() as session:
        row = await session.get(Occurrence, occurrence)
        assert row is not None
        series = await session.get(EventSeries, row.series_id)
        assert series is not None
        return await notices.published(session, series, now=NOW)


async def test_a_new_event_is_told_to_its_networks_unmuted_members_once(db: Database) -> None:
    async with db.session() as session:
        session.add(Network(key="lgbtq", name="LGBTQ+ Network", description=""))
    await join(db, 1)
    await join(db, 2, muted=True)
    await join(db, 3, network="women")
    occurrence = await an_event(db)
    assert await publish(db, occurrence) == 1
    assert await publish(db, occurrence) == 0
    told = await queued(db, "events:new:")
    async with db.session(write=False) as session:
        row = await session.get(Occurrence, occurrence)
        assert row is not None
    assert list(told) == [f"events:new:{row.series_id}:slack:T1:U00001"]
    ((address, reply),) = told.values()
    assert address == staff(1)
    assert reply.summary == "New event: Lunch and learn"
    assert "From LGBTQ+ Network." in said(reply)
    assert When(label="Starts", at=STARTS) in reply.blocks
    assert "“networks” to mute" in said(reply)
    (buttons,) = [b for b in reply.blocks if isinstance(b, Buttons)]
    (button,) = buttons.buttons
    assert (button.label, button.action) == ("Open", OPEN)
    assert decode(OccurrenceRef, button.value) == OccurrenceRef(occurrence=occurrence)


async def test_an_event_with_no_date_ahead_is_not_told(db: Database) -> None:
    await join(db, 1)
    past = await an_event(db, starts=NOW - timedelta(hours=1))
    assert await publish(db, past) == 0
    assert await queued(db, "events:new:") == {}


async def test_an_offer_running_out_on_a_cancelled_date_is_not_told_as_gone_to_another(
    db: Database,
) -> None:
    occurrence = await everyone_placed(db)
    async with db.session() as session:
        found = await places.event_of(session, occurrence)
        assert found is not None
        found[0].cancelled_at, found[0].sequence = NOW, 1
        await notices.cancelled(session, *found, now=NOW)
    async with db.session() as session:
        assert await places.expire_offers(session, now=NOW + timedelta(hours=25)) == 1
    assert await queued(db, "events:lapsed:") == {}
    assert f"events:cancelled:{occurrence}:3" in await queued(db, "events:cancelled:")
