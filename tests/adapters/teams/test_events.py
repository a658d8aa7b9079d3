"""Network events in Teams, end to end through the real /api/messages: the list with times on
each viewer's clock, sign up (and the waitlist) and cancel answered in place with the
calendar invite as a signed link, Sign up in a channel answered in a dialog, and a lead's
new event from a card form (a gap refused with everything typed kept) then announced."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from sqlmodel import col, select

from bot.conversation.inbound import PersonAddress, Platform
from bot.conversation.payloads import encode
from bot.events import places
from bot.events.payloads import OccurrenceRef
from storage.events import EventSeries, Occurrence
from tests.adapters.teams.activities import (
    CHANNEL,
    PERSONAL_CHAT,
    TENANT,
    fetch,
    pressed,
    said,
)
from tests.adapters.teams.cards import button, dialog_card, filled, texts, valid_cards
from tests.adapters.teams.harness import PUBLIC, Teams, serve
from tests.bot.events.places_fixtures import STARTS, an_event

LEAD = "a2000000-0000-4000-8000-00000000000b"  # Sam Doyle, the LGBTQ+ network's lead (org.yml)
LEAD_CHAT = "a:1leadCHAT"


@pytest.fixture
async def teams(sqlite_url: str) -> AsyncIterator[Teams]:
    async with serve(sqlite_url) as teams:
        yield teams


async def card_sent(
    teams: Teams, text: str, *, user: str | None = None, chat: str = PERSONAL_CHAT
) -> tuple[str, dict[str, Any]]:
    """`text` typed in `chat`: the id of the card peerbot answered with, and the card."""
    before = len(teams.connector.of("send", chat))
    who = {"user": user, "conversation": chat} if user else {}
    await teams.post(said(teams.url, text, number=100 + before, **who))
    sent = await teams.connector.wait_for("send", before + 1, chat)
    (card,) = valid_cards(sent[-1].body)
    return sent[-1].answered, card


async def press_on(
    teams: Teams, card_id: str, data: dict[str, Any], *, number: int, **who: str
) -> dict[str, Any]:
    """A button on the card `card_id` pressed: the card as peerbot updates it in place."""
    before = len(teams.connector.of("update"))
    await teams.post(pressed(teams.url, card_id, data, number=number, **who))
    updated = await teams.connector.wait_for("update", before + 1)
    assert updated[-1].activity_id == card_id
    (card,) = valid_cards(updated[-1].body)
    return card


def button_for(action: str, occurrence: int) -> dict[str, Any]:
    """What an event's button (Sign up, Cancel my place, ...) carries when pressed."""
    return {"peerbot": {"action": action, "value": encode(OccurrenceRef(occurrence=occurrence))}}


def calendar_link(card: dict[str, Any]) -> str:
    """The path of the card's calendar link, on peerbot's own server."""
    (link,) = [
        a["url"]
        for block in card["body"]
        if block["type"] == "ActionSet"
        for a in block["actions"]
        if a["title"] == "Add to my calendar"
    ]
    assert link.startswith(f"{PUBLIC}/files/")
    return urlsplit(link).path


async def invite(teams: Teams, card: dict[str, Any]) -> Calendar:
    """The calendar invite behind the card's link, fetched from peerbot's own server."""
    response = await teams.client.get(calendar_link(card))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert response.headers["Cache-Control"] == "no-store"
    return Calendar.from_ical(await response.read())


async def test_the_list_shows_each_event_on_the_viewers_own_clock(teams: Teams) -> None:
    occurrence = await an_event(teams.runtime.db)
    _card_id, card = await card_sent(teams, "events")
    said_there = texts(card)
    stamp = STARTS.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert any(f"{{{{DATE({stamp}, SHORT)}}}}" in line for line in said_there)
    assert any("Lunch and learn" in line for line in said_there)
    opened = [b for b in card["body"] if b["type"] == "ActionSet"]
    assert opened and button(card, "Open")["peerbot"]["value"] == str(occurrence)


async def test_signing_up_answers_in_place_with_an_invite_to_tap(teams: Teams) -> None:
    occurrence = await an_event(teams.runtime.db)
    card_id, _card = await card_sent(teams, "events")
    signed_up = await press_on(teams, card_id, button_for("events.signup", occurrence), number=2)
    assert "You're going to Lunch and learn. We've sent you a calendar invite." in texts(signed_up)
    calendar = await invite(teams, signed_up)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == STARTS

    cancelled = await press_on(teams, card_id, button_for("events.cancel", occurrence), number=3)
    assert any(
        line.startswith("You've cancelled your place at Lunch and learn.")
        for line in texts(cancelled)
    )
    assert str((await invite(teams, cancelled))["METHOD"]) == "CANCEL"
    assert len(teams.connector.of("send")) == 1  # only the list: the rest was in place


async def test_a_full_event_offers_the_waitlist_and_a_place_in_it(teams: Teams) -> None:
    occurrence = await an_event(teams.runtime.db, capacity=1)
    async with teams.runtime.db.session() as session:
        someone = PersonAddress(platform=Platform.TEAMS, tenant=TENANT, user_id="29:1someoneELSE")
        await places.sign_up(session, occurrence, someone, now=teams.runtime.clock.now())
    card_id, _card = await card_sent(teams, "events")
    waiting = await press_on(teams, card_id, button_for("events.signup", occurrence), number=2)
    assert any("you're on the waitlist: number 1" in line for line in texts(waiting))


async def test_an_expired_or_forged_file_link_is_refused(teams: Teams) -> None:
    occurrence = await an_event(teams.runtime.db)
    card_id, _card = await card_sent(teams, "events")
    signed_up = await press_on(teams, card_id, button_for("events.signup", occurrence), number=2)
    path = calendar_link(signed_up)
    token, name = path.split("/")[2:4]
    forged = f"/files/{token[:-4]}AAAA/{name}"
    assert (await teams.client.get(forged)).status == 404
    teams.runtime.clock.advance(days=8)  # type: ignore[attr-defined]
    assert (await teams.client.get(path)).status == 404


async def test_sign_up_pressed_in_a_channel_answers_in_a_dialog_for_the_presser_alone(
    teams: Teams,
) -> None:
    occurrence = await an_event(teams.runtime.db)
    data = {"msteams": {"type": "task/fetch"}, **button_for("events.signup", occurrence)}
    in_channel = {"conversation": CHANNEL, "kind": "channel"}
    answer = dialog_card(await teams.invoke(fetch(teams.url, data, **in_channel)))
    assert any(line.startswith("You're going to Lunch and learn.") for line in texts(answer))
    assert str((await invite(teams, answer))["METHOD"]) == "REQUEST"
    assert teams.connector.calls == []  # nothing in the channel, nothing updated there


LEAD_ANSWERS = {
    "title": "Pride month planning",
    "start": "2026-12-03",
    "start.time": "12:30",
    "end": "2026-12-03",
    "end.time": "13:30",
    "place": "Room 4",
    "capacity": "12",
    "waitlist": "yes",
    "reminders": "1440,60",
    "repeats": "fortnightly",
    "until": "2027-01-31",
}


async def stored(teams: Teams) -> tuple[list[EventSeries], list[Occurrence]]:
    async with teams.runtime.db.session(write=False) as session:
        series = list((await session.exec(select(EventSeries))).all())
        dates = list((await session.exec(select(Occurrence).order_by(col(Occurrence.slot)))).all())
    return series, dates


async def test_a_lead_creates_an_event_from_a_card_that_keeps_what_was_typed(teams: Teams) -> None:
    form_id, form = await card_sent(teams, "events new", user=LEAD, chat=LEAD_CHAT)
    assert "Title" in texts(form)
    as_lead = {"user": LEAD, "conversation": LEAD_CHAT}

    gap = filled(form, **{**LEAD_ANSWERS, "title": ""})
    refused = await press_on(teams, form_id, gap, number=20, **as_lead)
    inputs = {b["id"]: b for b in refused["body"] if b["type"].startswith("Input.")}
    assert "Please fill in “Title”" in texts(refused)
    assert inputs["place"]["value"] == "Room 4" and inputs["capacity"]["value"] == "12"
    assert (inputs["start"]["value"], inputs["start.time"]["value"]) == ("2026-12-03", "12:30")
    assert inputs["reminders"]["value"] == "1440,60"
    assert await stored(teams) == ([], [])

    done = await press_on(teams, form_id, filled(refused, **LEAD_ANSWERS), number=21, **as_lead)
    assert any("is saved" in line for line in texts(done))
    (series,), dates = await stored(teams)
    assert (series.network, series.title, series.capacity) == ("lgbtq", "Pride month planning", 12)
    assert [d.starts_at.day for d in dates] == [3, 17, 31, 14, 28]


async def test_a_lead_announces_a_date_in_the_channel_which_never_names_who_is_coming(
    teams: Teams,
) -> None:
    form_id, form = await card_sent(teams, "events new", user=LEAD, chat=LEAD_CHAT)
    as_lead = {"user": LEAD, "conversation": LEAD_CHAT}
    await press_on(teams, form_id, filled(form, **LEAD_ANSWERS), number=20, **as_lead)
    first = (await stored(teams))[1][0]
    assert first.id is not None
    async with teams.runtime.db.session() as session:
        for n in range(3):
            who = PersonAddress(platform=Platform.TEAMS, tenant=TENANT, user_id=f"29:1coming{n}")
            await places.sign_up(session, first.id, who, now=teams.runtime.clock.now())
    ref = encode(OccurrenceRef(occurrence=first.id))

    await teams.post(
        pressed(
            teams.url,
            form_id,
            {"peerbot": {"action": "events.lead_announce", "value": ref}},
            number=22,
            **as_lead,
        )
    )
    await teams.connector.wait_for("send", 2, LEAD_CHAT)
    await teams.delivered()
    (posted,) = teams.connector.messages("19:lgbtqnetwork@thread.tacv2")
    (card,) = valid_cards(posted.body)
    sign_up = button(card, "Sign up")
    assert sign_up["msteams"] == {"type": "task/fetch"}  # answers the presser alone
    assert sign_up["peerbot"] == {"action": "events.signup", "value": ref}
    assert "Pride month planning" in texts(card)
    assert "29:1coming" not in json.dumps(posted.body)


async def test_a_leads_whos_coming_names_people_by_email_where_known_never_by_teams_id(
    teams: Teams,
) -> None:
    """A Teams card shows only the words it is given: someone the organisation file names
    appears by their email, not as an Entra object id nobody can read."""
    form_id, form = await card_sent(teams, "events new", user=LEAD, chat=LEAD_CHAT)
    as_lead = {"user": LEAD, "conversation": LEAD_CHAT}
    await press_on(teams, form_id, filled(form, **LEAD_ANSWERS), number=20, **as_lead)
    first = (await stored(teams))[1][0]
    assert first.id is not None
    kwame = "a3000000-0000-4000-8000-00000000000c"  # in org.yml, with an email
    stranger = "b9000000-0000-4000-8000-000000000099"  # signed up, in no file
    async with teams.runtime.db.session() as session:
        for who in (kwame, stranger):
            person = PersonAddress(platform=Platform.TEAMS, tenant=TENANT, user_id=who)
            await places.sign_up(session, first.id, person, now=teams.runtime.clock.now())
    ref = encode(OccurrenceRef(occurrence=first.id))
    before = len(teams.connector.of("send", LEAD_CHAT))
    await teams.post(
        pressed(
            teams.url,
            form_id,
            {"peerbot": {"action": "events.lead_attendees", "value": ref}},
            number=22,
            **as_lead,
        )
    )
    await teams.connector.wait_for("send", before + 1, LEAD_CHAT)
    shown = json.dumps([m.body for m in teams.connector.of("send", LEAD_CHAT)[before:]])
    assert "kwame.mensah@riverside.example.nhs.uk" in shown and kwame not in shown
    assert "Coming: 2" in shown
