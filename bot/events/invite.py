"""The calendar invite (.ics) for one date of an event, and the one that takes it back.

A calendar knows an event by its UID and keeps the copy with the highest SEQUENCE, so:
- the UID comes from the series and the occurrence's `slot` (the start its series gave
  it), never from `starts_at`: a moved occurrence keeps its UID and replaces itself in
  people's calendars instead of appearing twice;
- SEQUENCE is the occurrence's `sequence`. Whoever changes or cancels an occurrence bumps
  `sequence` first and then sends the new invite; a CANCEL sent with the sequence of the
  REQUEST it takes back is ignored by some calendars, and the event stays in them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

from bot.conversation.replies import Attachment
from storage.events import EventSeries, Occurrence

PRODID = "-//peerbot//network events//EN"
MEDIA_TYPE = "text/calendar"
"""The method travels inside the calendar (METHOD), not as a media type parameter."""
Method = Literal["REQUEST", "CANCEL"]
DOMAIN = "peerbot.invalid"
"""The domain in the UID and organiser address of every invite peerbot sends, whoever
sends it (a sign-up, a change, a cancellation): changed once invites are out, calendars
would hold each event twice. Reserved (RFC 2606), so it is nobody's."""


def uid(series_id: int, slot: datetime, domain: str) -> str:
    """The occurrence's name in every calendar it reaches, for as long as it exists."""
    return f"event-{series_id}-{utc(slot):%Y%m%dT%H%M%SZ}@{domain}"


def invite(
    series: EventSeries,
    occurrence: Occurrence,
    *,
    method: Method,
    organiser_name: str,
    domain: str,
    now: datetime,
    sequence: int | None = None,
) -> Attachment:
    """The invite to add (REQUEST) or take back (CANCEL) one date of `series`.

    `sequence`, when given, replaces the occurrence's: one person's copy may be ahead of
    the date's own (see bot.events.notices.next_sequence).

    `organiser_name` is shown as who sent it (the network, say); its address is
    `noreply@{domain}`, as iTIP wants an organiser and nobody is there to read replies.
    `now` is the DTSTAMP, given so the same change always makes the same file.
    """
    if series.id is None:
        raise ValueError("an event not yet stored has no invite")
    place = occurrence.place or series.place
    link = occurrence.online_url or series.online_url

    event = Event()
    event.add("uid", uid(series.id, occurrence.slot, domain))
    event.add("sequence", occurrence.sequence if sequence is None else sequence)
    event.add("dtstamp", utc(now))
    event.add("dtstart", utc(occurrence.starts_at))
    event.add("dtend", utc(occurrence.ends_at))
    event.add("summary", series.title)
    if description := _description(series, link):
        event.add("description", description)
    if place or link:
        event.add("location", place or link)
    if link:
        event.add("url", link)
    organiser = vCalAddress(f"mailto:noreply@{domain}")
    organiser.params["cn"] = organiser_name
    event.add("organizer", organiser)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    name = file_name(series.title, occurrence.starts_at.astimezone(ZoneInfo(series.time_zone)))
    return Attachment(name=name, media_type=MEDIA_TYPE, data=calendar.to_ical())


def file_name(title: str, starts: datetime) -> str:
    """`lunch-and-learn-2026-12-08.ics`: what the file is, to a person looking through
    their downloads (and the console's folder keeps one file a date, not one in all)."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = "-".join(words)[:60].strip("-") or "event"
    return f"{slug}-{starts:%Y-%m-%d}.ics"


def _description(series: EventSeries, link: str) -> str:
    """What the lead wrote, how to join online, and the accessibility information, each
    as its own paragraph: a calendar shows only this text to someone deciding whether
    they can come."""
    parts = [series.description.strip()]
    if link:
        parts.append(f"Join online: {link}")
    if series.accessibility.strip():
        parts.append(f"Accessibility: {series.accessibility.strip()}")
    return "\n\n".join(p for p in parts if p)


def utc(at: datetime) -> datetime:
    """`at` in UTC. A time with no zone is refused: read as the server's local time it
    would put the event at the wrong hour in everyone's calendar."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a time without a zone cannot go into a calendar")
    return at.astimezone(UTC)
