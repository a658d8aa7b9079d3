"""Mentoring in Teams, end to end through the real /api/messages with the runtime's own tick
and outbox: the coordinator adds a pair from a card form (a field refused with everything
typed kept), the round's check-in reaches each person's chat (one stored from an install,
one Teams opens for peerbot), the check-in is answered with its card form and the senior
partner's actions in the form that takes its place, the reminder comes once, a request for
help reaches each coordinator's chat once, a change to the pairing is told kindly to the
partner, My hours is saved, the coordinator's views and schedule answer in the
coordinator's chat, a pair stuck two rounds and the end of the programme are told once,
the longest of these cards fit in a Teams message, and `home` typed in the chat (Teams has no
Home tab) shows the person's pairing and everything peerbot does.
People are named by their Entra object id, as the organisation file and the CSV name them."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.conversation.tick import Ticker
from bot.mentoring.private import sealed
from storage.mentoring import PairAction, Round, RoundState
from tests.adapters.teams.activities import TENANT, installed, pressed
from tests.adapters.teams.cards import actions, button, filled, texts, valid_cards
from tests.adapters.teams.fake_connector import Call
from tests.adapters.teams.harness import Teams, serve
from tests.adapters.teams.test_events import card_sent, press_on
from tests.bot.mentoring.fixtures import NOVEMBER, OCTOBER
from tests.fakes import FakeClock

COORDINATOR = "a3000000-0000-4000-8000-00000000000c"  # Kwame Mensah (org.yml)
SECOND = "a4000000-0000-4000-8000-00000000000d"  # Grace Adeyemi, who never wrote to peerbot
SENIOR = "b1000000-0000-4000-8000-000000000001"
FRONTLINE = "b2000000-0000-4000-8000-000000000002"
COORDINATOR_CHAT, SENIOR_CHAT = "a:1kwameCHAT", "a:1ruthCHAT"
FRONTLINE_CHAT = f"a:opened-{FRONTLINE}"
"""Amina never wrote to peerbot: Teams opens her chat when her first check-in is sent."""
CHATS = {
    COORDINATOR: COORDINATOR_CHAT,
    SECOND: f"a:opened-{SECOND}",
    SENIOR: SENIOR_CHAT,
    FRONTLINE: FRONTLINE_CHAT,
}
DOMAIN = "riverside.example.nhs.uk"
PROGRAMME = "Reverse Mentoring for Inclusion"
MAX_TEXT = 300
"""The most an action, or why, may say (the actions form's limit)."""
NUMBERS = itertools.count(500)
"""Activity numbers, each used once, so no activity is taken for another delivered twice."""


@pytest.fixture
async def teams(sqlite_url: str) -> AsyncIterator[Teams]:
    async with serve(sqlite_url) as teams:
        yield teams


def as_(user: str) -> dict[str, str]:
    return {"user": user, "conversation": CHATS[user]}


async def says(teams: Teams, user: str, text: str) -> tuple[str, dict[str, Any]]:
    """`text` typed in the person's own chat: the card peerbot answered with, and its id."""
    return await card_sent(teams, text, user=user, chat=CHATS[user])


async def opens(
    teams: Teams, user: str, card_id: str, data: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """A button pressed on a card in the person's chat that answers with a new card (a form
    to fill in, a view): that card, and its id."""
    chat = CHATS[user]
    before = len(teams.connector.of("send", chat))
    await teams.post(pressed(teams.url, card_id, data, number=next(NUMBERS), **as_(user)))
    sent = await teams.connector.wait_for("send", before + 1, chat)
    (card,) = valid_cards(sent[-1].body)
    return sent[-1].answered, card


async def sends(teams: Teams, user: str, card_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """A card's form sent: the card that takes its place."""
    return await press_on(teams, card_id, data, number=next(NUMBERS), **as_(user))


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["id"]: b for b in card["body"] if b["type"].startswith("Input.")}


def said(card: dict[str, Any]) -> str:
    return " ".join(texts(card))


async def tick(teams: Teams) -> None:
    """One tick of the runtime's due sources, and what it queued delivered."""
    runtime = teams.runtime
    await Ticker(
        runtime.db, runtime.router.due_sources, runtime.clock, sealer=runtime.sealer
    ).tick()
    await teams.delivered()


def later(teams: Teams, **delta: float) -> None:
    clock = teams.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.advance(**delta)


PAIR = {
    "senior_email": f"ruth.board@{DOMAIN}",
    "senior_name": "Ruth",
    "senior_teams": SENIOR,
    "frontline_email": f"amina.ward@{DOMAIN}",
    "frontline_name": "Amina",
    "frontline_teams": FRONTLINE,
}


async def coordinator_view(teams: Teams) -> tuple[str, dict[str, Any]]:
    menu_id, menu = await says(teams, COORDINATOR, "mentoring")
    assert "Programmes you coordinate" in texts(menu)
    return menu_id, menu


async def paired(teams: Teams, pair: dict[str, str] = PAIR) -> None:
    """Ruth adds peerbot in Teams; then Kwame adds her pair with Amina (as `pair` says) from
    his coordinator view, an hour into November's round (Tuesday 3 November, 11:00 London).
    The runtime's own tick is stopped first: a run of it begun before the clock moved (its
    first, at start) would queue what was due before, for the pair added after. The tests
    tick by hand instead."""
    assert teams.runtime.jobs is not None
    await teams.runtime.jobs.stop()
    clock = teams.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.current = NOVEMBER + timedelta(hours=1)
    await teams.post(installed(teams.url, number=next(NUMBERS), **as_(SENIOR)))
    await teams.connector.wait_for("send", 1, SENIOR_CHAT)  # the greeting
    menu_id, menu = await coordinator_view(teams)
    form_id, form = await opens(teams, COORDINATOR, menu_id, button(menu, "Add a pair"))
    assert "Senior partner: Microsoft Entra object ID" in texts(form)
    done = await sends(teams, COORDINATOR, form_id, filled(form, **pair))
    assert f"are paired in {PROGRAMME}." in said(done)


def sent_to(teams: Teams, user: str, starting: str) -> list[Call]:
    """The messages peerbot sent to the person's chat whose summary starts `starting`."""
    sent = teams.connector.of("send", CHATS[user])
    return [c for c in sent if c.body["summary"].startswith(starting)]


def nudge(teams: Teams, user: str) -> tuple[str, dict[str, Any]]:
    """The round's last check-in message in the person's chat: its id and its card."""
    last = sent_to(teams, user, "Time for your")[-1]
    (card,) = valid_cards(last.body)
    return last.answered, card


async def check_in_form(teams: Teams, user: str) -> tuple[str, dict[str, Any]]:
    """Check in pressed on the round's message: the form, posted in the chat."""
    nudge_id, card = nudge(teams, user)
    return await opens(teams, user, nudge_id, button(card, "Check in"))


async def test_the_round_reaches_both_chats_and_is_answered_with_card_forms(teams: Teams) -> None:
    await paired(teams)
    await tick(teams)
    await tick(teams)  # a second tick, or another replica: nothing new
    ruths, aminas = sent_to(teams, SENIOR, "Time"), teams.connector.of("send", FRONTLINE_CHAT)
    summaries = [c.body["summary"] for c in ruths + aminas]
    assert summaries == [f"Time for your {PROGRAMME} check-in"] * 2
    (created,) = teams.connector.of("create")  # Amina's chat, opened by her Entra object id
    assert created.body["members"] == [{"id": FRONTLINE}]
    assert created.body["channelData"] == {"tenant": {"id": TENANT}}  # the organisation's own
    _id, card = nudge(teams, SENIOR)
    assert f"{PROGRAMME}: how are things going with Amina? It takes a minute." in texts(card)
    assert "{{DATE(2026-11-03T10:00:00Z, SHORT)}}" in said(card)  # on each reader's clock

    form_id, form = await check_in_form(teams, SENIOR)
    assert list(inputs(form)) == ["met", "planned_for", "q1", "q2", "note"]
    assert [c["title"] for c in inputs(form)["met"]["choices"]] == [
        "Yes, we met",
        "We've planned to meet",
        "Not yet",
        "I'd like some help",
    ]
    assert "What went well since last time?" in texts(form)
    actions = await sends(teams, SENIOR, form_id, filled(form, met="met", q1="Rotas."))
    assert "Record actions" in texts(actions)  # the next form, in the same card
    assert list(inputs(actions)) == ["a1", "a2", "a3", "a4", "a5"]
    saved = await sends(teams, SENIOR, form_id, filled(actions, a1="Ask HR about night rotas"))
    assert "Saved. Amina can see them in “mentoring”." in said(saved)

    form_id, form = await check_in_form(teams, FRONTLINE)
    gap = await sends(teams, FRONTLINE, form_id, filled(form, met="planned", q1="Nights."))
    assert "Please give the day you plan to meet, like 2026-12-01." in texts(gap)
    assert inputs(gap)["q1"]["value"] == "Nights." and inputs(gap)["met"]["value"] == "planned"
    planned = filled(gap, met="planned", planned_for="2026-11-20", q1="Nights.")
    thanks = await sends(teams, FRONTLINE, form_id, planned)
    assert "Thank you. Good luck with the meeting." in texts(thanks)
    assert "Ask HR about night rotas" in said(thanks) and "To do" in said(thanks)


async def test_not_yet_is_thanked_and_the_reminder_comes_once(teams: Teams) -> None:
    await paired(teams)
    await tick(teams)
    form_id, form = await check_in_form(teams, SENIOR)
    thanks = await sends(teams, SENIOR, form_id, filled(form, met="not_yet"))
    assert "Thank you for letting us know. No pressure: meet when you can." in texts(thanks)
    later(teams, days=3)
    await tick(teams)
    later(teams, hours=1)
    await tick(teams)
    await tick(teams)
    assert sent_to(teams, SENIOR, "A gentle reminder") == []  # she answered
    (reminder,) = sent_to(teams, FRONTLINE, "A gentle reminder")
    assert reminder.body["summary"] == f"A gentle reminder: your {PROGRAMME} check-in"
    (card,) = valid_cards(reminder.body)
    assert "This round closes" in texts(card)
    assert button(card, "Check in")["peerbot"]["action"] == "mentoring.checkin"
    assert len(teams.connector.of("create")) == 1  # Amina's chat, opened once and then kept


async def test_asking_for_help_reaches_each_coordinators_chat_once(teams: Teams) -> None:
    await paired(teams)
    await tick(teams)
    form_id, form = await check_in_form(teams, FRONTLINE)
    answers = filled(form, met="help", note="Call me, please.")
    for _ in range(2):  # sent twice in the same round: one alert each
        thanks = await sends(teams, FRONTLINE, form_id, answers)
        assert "Thank you for telling us. Grace Adeyemi or Kwame Mensah will be in touch soon." in (
            texts(thanks)
        )
    await teams.delivered()
    (alert,) = sent_to(teams, COORDINATOR, "Someone in")
    (second,) = sent_to(teams, SECOND, "Someone in")
    assert second.body["attachments"] == alert.body["attachments"]
    assert alert.body["summary"] == f"Someone in {PROGRAMME} would like some help"
    (card,) = valid_cards(alert.body)
    assert f"Amina (amina.ward@{DOMAIN}) asked for help" in said(card)
    assert "Call me, please." in texts(card)
    opened = [c.body["members"] for c in teams.connector.of("create")]
    assert opened == [[{"id": FRONTLINE}], [{"id": SECOND}]]  # Kwame's chat was kept

    _id, pair = await opens(teams, COORDINATOR, alert.answered, button(card, "Open pair"))
    assert f"{PROGRAMME}: pair 1" in texts(pair)
    assert "Notes for you" in texts(pair) and "Call me, please." in texts(pair)


@pytest.mark.parametrize(
    ("label", "answers", "told"),
    [
        ("Snooze", {"weeks": "2"}, "Ruth is having a short break from check-ins until Tue 17 Nov."),
        ("Pause", {"sure": "yes"}, f"Ruth has paused your {PROGRAMME} pairing for now."),
        ("Leave", {"sure": "yes"}, f"Ruth has left your {PROGRAMME} pairing."),
    ],
)
async def test_a_change_to_the_pairing_is_told_kindly_to_the_partner_and_coordinator(
    teams: Teams, label: str, answers: dict[str, str], told: str
) -> None:
    await paired(teams)
    await tick(teams)
    nudge_id, card = nudge(teams, SENIOR)
    form_id, form = await opens(teams, SENIOR, nudge_id, button(card, label))
    done = await sends(teams, SENIOR, form_id, filled(form, **answers))
    assert inputs(done) == {}  # the form's card now says it is done
    await teams.delivered()
    (notice,) = sent_to(teams, FRONTLINE, "Ruth ")
    assert notice.body["summary"].startswith(told)
    assert "Nothing you need to do" in notice.body["summary"]
    (card,) = valid_cards(notice.body)
    assert texts(card) == [notice.body["summary"]]
    for coordinator in (COORDINATOR, SECOND):
        assert len(sent_to(teams, coordinator, f"{PROGRAMME}, pair 1: Ruth ")) == 1


async def test_my_hours_are_saved_from_a_card_that_keeps_what_was_typed(teams: Teams) -> None:
    await paired(teams)
    await tick(teams)
    form_id, form = await says(teams, FRONTLINE, "mentoring hours")
    assert "The days you work" in texts(form)
    assert inputs(form)["days"]["value"] == "0,1,2,3,4"
    wrong = {"days": "4,5,6", "quiet_from": "22:00", "quiet_until": "6am", "time_zone": ""}
    back = await sends(teams, FRONTLINE, form_id, filled(form, **wrong))
    assert "Please give a 24-hour time like 20:00." in texts(back)
    assert (
        inputs(back)["days"]["value"] == "4,5,6" and inputs(back)["quiet_from"]["value"] == "22:00"
    )
    right = {**wrong, "quiet_until": "06:00"}
    saved = await sends(teams, FRONTLINE, form_id, filled(back, **right))
    assert "Saved. Messages come on Fri, Sat, Sun, never from 22:00 to 06:00." in texts(saved)


async def test_the_members_page_shows_their_partner_and_buttons(teams: Teams) -> None:
    await paired(teams)
    await tick(teams)
    _id, page = await says(teams, FRONTLINE, "mentoring")
    assert "Your partner" in texts(page) and "Ruth" in texts(page)
    assert "Your check-in for this round is waiting for you." in texts(page)
    titles = [a["title"] for a in actions(page)]
    assert titles == ["Check in", "Snooze", "Pause", "Leave", "My hours"]


async def test_a_partner_given_no_name_is_named_by_email_never_by_an_id(teams: Teams) -> None:
    await paired(teams, {**PAIR, "senior_name": "", "frontline_name": ""})
    _id, page = await says(teams, FRONTLINE, "mentoring")
    assert "Your partner" in texts(page) and f"ruth.board@{DOMAIN}" in texts(page)
    assert SENIOR not in json.dumps(page)


async def test_the_coordinators_view_health_and_pairs_answer_in_their_chat(teams: Teams) -> None:
    await paired(teams)
    await tick(teams)
    menu_id, menu = await coordinator_view(teams)
    _id, health = await opens(teams, COORDINATOR, menu_id, button(menu, "Programme health"))
    assert f"{PROGRAMME}: programme health" in texts(health)
    assert (
        "Round of 3 Nov 2026, 1 pair: 0 met, 0 planned to meet, 0 not met yet, "
        "0 asked for help, 1 no answer." in texts(health)
    )
    pairs_id, pairs = await opens(teams, COORDINATOR, menu_id, button(menu, "Pairs"))
    assert "Pair 1: Ruth and Amina (active)" in texts(pairs)
    _id, pair = await opens(teams, COORDINATOR, pairs_id, button(pairs, "Open"))
    assert f"Ruth · ruth.board@{DOMAIN}" in texts(pair)
    assert json.dumps(pair).count(SENIOR) == 0  # named by name and email, never by an id

    nudge_id, _card = nudge(teams, SENIOR)  # Ruth sends what the coordinator's button sends
    _id, refused = await opens(teams, SENIOR, nudge_id, button(menu, "Programme health"))
    assert "Only the programme's coordinators can do that." in said(refused)


async def test_a_pair_with_fields_refused_keeps_everything_typed(teams: Teams) -> None:
    menu_id, menu = await coordinator_view(teams)
    form_id, form = await opens(teams, COORDINATOR, menu_id, button(menu, "Add a pair"))
    typos = {**PAIR, "frontline_email": "amina.ward@gmail.com", "senior_teams": "29:1ruthTEAMS"}
    back = await sends(teams, COORDINATOR, form_id, filled(form, **typos))
    assert any("nobody here has an address at gmail.com" in line for line in texts(back))
    assert any("is not a Microsoft Entra object ID, which looks like" in t for t in texts(back))
    kept = inputs(back)
    assert kept["senior_teams"]["value"] == "29:1ruthTEAMS"
    assert kept["frontline_email"]["value"] == "amina.ward@gmail.com"
    assert kept["frontline_name"]["value"] == "Amina"
    in_capitals = {**PAIR, "senior_teams": SENIOR.upper()}  # as an admin centre may show it
    done = await sends(teams, COORDINATOR, form_id, filled(back, **in_capitals))
    assert f"Ruth and Amina are paired in {PROGRAMME}." in said(done)
    _id, page = await says(teams, SENIOR, "mentoring")
    assert "Your partner" in texts(page) and "Amina" in texts(page)  # Teams sends lower case


async def a_year_of_actions(teams: Teams, count: int) -> None:
    """`count` actions agreed at October's round, each as long as can be written, each with a
    why as long: what the longest of mentoring's cards carry. October's round is recorded
    when the runtime's own first tick came before the clock was moved on, else here."""
    runtime = teams.runtime
    assert runtime.sealer is not None
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        query = select(Round).where(col(Round.opens_at) == OCTOBER)
        october = (await session.exec(query)).first() or Round(
            programme="reverse-mentoring",
            opens_at=OCTOBER,
            closes_at=NOVEMBER,
            state=RoundState.CLOSED,
            seen_at=OCTOBER,
        )
        session.add(october)
        await session.flush()
        assert october.id is not None
        for n in range(count):
            text = f"{n}: " + "ask about the rota for the night shifts " * 8
            session.add(
                PairAction(
                    pair_id=1,
                    round_id=october.id,
                    text=sealed(runtime.sealer, text[:MAX_TEXT]) or "",
                    why=sealed(runtime.sealer, ("Because the ward needs it. " * 12)[:MAX_TEXT]),
                    created_at=now,
                    changed_at=now,
                )
            )


async def test_the_longest_check_in_cards_fit_in_a_teams_message(teams: Teams) -> None:
    """The senior's form asks about five actions of 300 characters; the thanks shows twenty
    with their whys (the fake connector refuses more than Teams takes, as Teams does)."""
    await paired(teams)
    await a_year_of_actions(teams, 30)
    await tick(teams)
    _id, form = await check_in_form(teams, SENIOR)
    assert len([i for i in inputs(form) if i.startswith("action_")]) == 5
    form_id, form = await check_in_form(teams, FRONTLINE)
    thanks = await sends(teams, FRONTLINE, form_id, filled(form, met="met"))
    assert "Actions agreed" in texts(thanks)
    assert sum("Because the ward needs it." in line for line in texts(thanks)) == 20


async def test_the_coordinator_changes_the_schedule_from_a_card(teams: Teams) -> None:
    menu_id, menu = await coordinator_view(teams)
    form_id, form = await opens(teams, COORDINATOR, menu_id, button(menu, "Change schedule"))
    assert inputs(form)["cadence"]["value"] == "Monthly on the first Tuesday"
    wrong = {"cadence": "now and then", "at": "10:00", "starts": "2026-09-01", "ends": ""}
    back = await sends(teams, COORDINATOR, form_id, filled(form, **wrong))
    assert "Please check the answers marked below." in texts(back)
    assert inputs(back)["cadence"]["value"] == "now and then"
    assert inputs(back)["starts"]["value"] == "2026-09-01"
    fixed = {**wrong, "cadence": "every 2 weeks"}
    done = await sends(teams, COORDINATOR, form_id, filled(back, **fixed))
    assert texts(done) == [
        "Schedule changed",
        f"{PROGRAMME}: Every other week at 10:00, from 1 Sep 2026.",
    ]


async def test_a_pair_not_met_two_rounds_running_is_told_to_each_coordinator_once(
    teams: Teams,
) -> None:
    await paired(teams)
    await tick(teams)  # November's round
    later(teams, days=28)  # Tuesday 1 December: November's round closes
    await tick(teams)
    later(teams, days=35)  # Tuesday 5 January: December's closes, and nobody has met
    await tick(teams)
    await tick(teams)
    for coordinator in (COORDINATOR, SECOND):
        (alert,) = sent_to(teams, coordinator, "A pair in")
        assert alert.body["summary"] == f"A pair in {PROGRAMME} may need a hand"
        (card,) = valid_cards(alert.body)
        assert f"{PROGRAMME}: Ruth and Amina have not met for two rounds in a row." in texts(card)


async def test_at_the_end_each_person_is_asked_once_how_it_went(teams: Teams) -> None:
    await paired(teams)
    clock = teams.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.current = datetime(2027, 8, 2, 9, 0, tzinfo=UTC)  # the Monday after it ends
    await tick(teams)
    await tick(teams)
    for user in (SENIOR, FRONTLINE):
        assert len(sent_to(teams, user, f"{PROGRAMME} has ended")) == 1
    (asked,) = sent_to(teams, FRONTLINE, f"{PROGRAMME} has ended")
    (card,) = valid_cards(asked.body)
    form_id, form = await opens(teams, FRONTLINE, asked.answered, button(card, "Tell us"))
    assert [c["title"] for c in inputs(form)["score"]["choices"]] == [
        "Very well",
        "Well",
        "OK",
        "Not so well",
        "Not well at all",
    ]
    thanks = await sends(teams, FRONTLINE, form_id, filled(form, score="5", line="Thank you."))
    assert "Thank you. It helps us make the programme better for the next people." in texts(thanks)


async def test_home_typed_in_the_chat_is_the_persons_home_with_its_fallback(teams: Teams) -> None:
    """Teams has no Home tab: `home` typed in the chat is it. Amina's shows her pairing with
    its buttons, which work from there, then everything peerbot does."""
    await paired(teams)
    await tick(teams)
    home_id, home = await says(teams, FRONTLINE, "home")
    (sent,) = sent_to(teams, FRONTLINE, "Your peerbot")
    assert sent.body["summary"] == "Your peerbot"
    shown = texts(home)
    assert shown[0] == "Your peerbot"
    assert PROGRAMME in shown and "Your partner" in shown and "Ruth" in shown
    assert "Everything peerbot can help with:" in shown
    titles = [a["title"] for a in actions(home)]
    start = titles.index("Check in")
    assert titles[start : start + 5] == ["Check in", "Snooze", "Pause", "Leave", "My hours"]
    assert {"Speak up", "Mentoring", "Support"} <= set(titles)  # the menu of everything
    fallback = home["fallbackText"]  # for a client that cannot show the card
    assert fallback.startswith("YOUR PEERBOT\n") and "Ruth" in fallback
    _id, form = await opens(teams, FRONTLINE, home_id, button(home, "My hours"))
    assert "The days you work" in texts(form)


async def test_home_for_someone_in_no_programme_is_the_menu(teams: Teams) -> None:
    _id, home = await says(teams, SENIOR, "home")
    assert texts(home)[0] == "Your peerbot"
    assert PROGRAMME not in texts(home)  # nothing of mentoring for someone not in it
    assert "Everything peerbot can help with:" in texts(home)
    assert home["fallbackText"].startswith("YOUR PEERBOT\n")
