"""The .ics invite, read back as a calendar reads it: one UID per date of an event, kept
when the date moves and when it is cancelled, and the lead's words never read as markup."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component

from bot.conversation.replies import Attachment
from bot.events.invite import Method, invite
from storage.events import EventSeries, Occurrence

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
SLOT = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)
TITLE = "Coffee, cake; and a chat\nwith Zoë ☕ (all welcome)"


def series(**change: object) -> EventSeries:
    values: dict[str, object] = {
        "id": 7,
        "network": "lgbtq",
        "title": TITLE,
        "description": "Bring your own mug.",
        "place": "Room 2, Education Centre",
        "accessibility": "Step-free access; hearing loop",
        "first_start": SLOT,
        "minutes": 60,
        "time_zone": "Europe/London",
        "created_by": "slack:U07LEAD003",
        "created_at": NOW,
        **change,
    }
    return EventSeries.model_validate(values)


def occurrence(**change: object) -> Occurrence:
    values: dict[str, object] = {
        "id": 3,
        "series_id": 7,
        "slot": SLOT,
        "starts_at": SLOT,
        "ends_at": SLOT + timedelta(hours=1),
        "sequence": 0,
        **change,
    }
    return Occurrence.model_validate(values)


def read(attachment: Attachment) -> tuple[Component, Component]:
    calendar = Calendar.from_ical(attachment.data)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def made(
    method: Method = "REQUEST", the_series: EventSeries | None = None, **change: object
) -> Attachment:
    return invite(
        the_series or series(),
        occurrence(**change),
        method=method,
        organiser_name="LGBTQ+ Network",
        domain="riverside.example",
        now=NOW,
    )


def test_a_request_says_what_where_and_when_in_utc() -> None:
    attachment = made()
    assert attachment.media_type == "text/calendar"
    # named for what it is, its title cut short and its local date
    assert attachment.name == "coffee-cake-and-a-chat-with-zo-all-welcome-2026-12-03.ics"
    calendar, event = read(attachment)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "event-7-20261203T123000Z@riverside.example"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == SLOT
    assert event["DTSTART"].to_ical() == b"20261203T123000Z"  # UTC, not a floating time
    assert event.decoded("DTEND") == SLOT + timedelta(hours=1)
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Room 2, Education Centre"
    assert str(event["DESCRIPTION"]) == (
        "Bring your own mug.\n\nAccessibility: Step-free access; hearing loop"
    )
    assert "URL" not in event
    assert b"DTSTART:20261203T123000Z" in attachment.data


def test_the_title_is_kept_whole_whatever_it_holds() -> None:
    """Commas, semicolons and line breaks are escaped, not read as the calendar's own
    separators; a line break cannot start a property of its own."""
    hostile = TITLE + "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:someone-else"
    calendar, event = read(made(the_series=series(title=hostile)))
    assert str(event["SUMMARY"]) == hostile.replace("\r\n", "\n")
    assert len(calendar.walk("VEVENT")) == 1
    assert str(event["UID"]) == "event-7-20261203T123000Z@riverside.example"
    _, plain = read(made())
    assert str(plain["SUMMARY"]) == TITLE


def test_a_local_time_goes_into_the_calendar_as_utc() -> None:
    """12:30 in London in summer is 11:30 UTC: the calendar shows each person their own."""
    summer = datetime(2027, 6, 3, 12, 30, tzinfo=LONDON)
    _, event = read(made(slot=summer, starts_at=summer, ends_at=summer + timedelta(hours=1)))
    assert event.decoded("DTSTART") == datetime(2027, 6, 3, 11, 30, tzinfo=UTC)
    assert event["DTSTART"].to_ical() == b"20270603T113000Z"
    assert str(event["UID"]) == "event-7-20270603T113000Z@riverside.example"


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="without a zone"):
        made(starts_at=datetime(2026, 12, 3, 12, 30))


def test_a_moved_date_keeps_its_uid_with_a_higher_sequence() -> None:
    _, first = read(made())
    later = SLOT + timedelta(days=1, hours=2)
    _, moved = read(made(starts_at=later, ends_at=later + timedelta(hours=1), sequence=1))
    assert moved["UID"] == first["UID"]
    assert moved["SEQUENCE"] == 1
    assert moved.decoded("DTSTART") == later


def test_each_date_of_a_series_has_its_own_uid() -> None:
    _, first = read(made())
    week = SLOT + timedelta(days=7)
    _, second = read(made(slot=week, starts_at=week, ends_at=week + timedelta(hours=1)))
    _, other_series = read(made(the_series=series(id=8)))
    assert len({str(e["UID"]) for e in (first, second, other_series)}) == 3


def test_a_cancel_takes_back_the_same_event() -> None:
    """The caller bumps the occurrence's sequence before sending it (see bot.events.invite)."""
    _, request = read(made())
    calendar, cancel = read(made("CANCEL", sequence=1))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert cancel["UID"] == request["UID"]
    assert cancel["SEQUENCE"] == 1
    assert str(cancel["STATUS"]) == "CANCELLED"


def test_an_online_event_gives_its_link_as_place_and_url() -> None:
    online = series(place="", online_url="https://meet.example/abc?pwd=1")
    _, event = read(made(the_series=online))
    assert str(event["LOCATION"]) == "https://meet.example/abc?pwd=1"
    assert str(event["URL"]) == "https://meet.example/abc?pwd=1"
    assert "Join online: https://meet.example/abc?pwd=1" in str(event["DESCRIPTION"])


def test_a_date_with_its_own_place_uses_it() -> None:
    _, event = read(made(place="Lecture Theatre", online_url="https://meet.example/x"))
    assert str(event["LOCATION"]) == "Lecture Theatre"
    assert str(event["URL"]) == "https://meet.example/x"


def test_the_organiser_is_named_and_has_no_real_inbox() -> None:
    _, event = read(made())
    organiser = event["ORGANIZER"]
    assert str(organiser) == "mailto:noreply@riverside.example"
    assert organiser.params["CN"] == "LGBTQ+ Network"


def test_the_same_change_makes_the_same_file() -> None:
    assert made().data == made().data


def test_an_event_not_yet_stored_has_no_invite() -> None:
    with pytest.raises(ValueError, match="not yet stored"):
        made(the_series=series(id=None))


def test_the_invite_survives_the_outbox() -> None:
    """Queued replies are stored as JSON: the invite comes back byte for byte."""
    from bot.conversation.codec import reply_from_json, reply_to_json
    from bot.conversation.replies import say

    reply = replace(say("Your place is booked."), files=(made(),))
    assert reply_from_json(reply_to_json(reply)) == reply
