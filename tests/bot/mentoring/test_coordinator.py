"""A coordinator's tools through the real router, on SQLite and PostgreSQL: their
programmes, health in counts only, a pair with the notes shared with them, adding a pair
and changing the schedule (each mistake named beside its field, nothing written), and a
polite, audited refusal for anyone else. Also what comes to them on their own: a pair stuck
two rounds running, and the feedback counts at the end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from bot.conversation.services import Services
from bot.mentoring.actions import ADD_PAIR, FEEDBACK, HEALTH, OPEN_PAIR, SCHEDULE
from bot.mentoring.payloads import pair_value, programme_value
from bot.organisation.recurrence import CADENCE_WORDS
from bot.organisation.schedule import NEVER_FIRES
from storage.engine import Database
from storage.mentoring import Member, MentoringAudit, Pair, Round
from storage.organisation import Programme
from tests.bot.mentoring.chat import (
    COORDINATOR,
    form_in,
    pressed,
    router,
    submitted,
    text,
    typed,
)
from tests.bot.mentoring.fixtures import (
    DECEMBER,
    DOMAIN,
    NOVEMBER,
    OCTOBER,
    PROGRAMME,
    keys,
    pair,
    tick,
    underway,
)
from tests.bot.mentoring.test_checkin import check_in

REF = programme_value(PROGRAMME)


@pytest.fixture
async def services(db: Database) -> Services:
    """October's round open, an hour in; pair 3 nobody can reach."""
    return await underway(db, pair(1), pair(2), pair(3, platform=""))


async def pairs(db: Database) -> list[tuple[str, str]]:
    async with db.session(write=False) as session:
        query = select(Member.email, Member.role).order_by(col(Member.id))
        return list((await session.exec(query)).all())


async def test_a_coordinator_sees_their_programmes_with_their_tools(services: Services) -> None:
    shown = text(await typed(router(), services, COORDINATOR, "mentoring"))
    assert "PROGRAMMES YOU COORDINATE" in shown
    assert (
        "Reverse Mentoring for Inclusion: 3 pairs. Monthly on the first Tuesday at 10:00, "
        "1 Sep 2026 to 31 Jul 2027"
    ) in shown
    assert "Options: Programme health | Pairs | Add a pair | Change schedule" in shown


async def test_health_is_counts_only_round_by_round(services: Services, db: Database) -> None:
    await check_in(services, "s1", {"met": "met", "q1": "We talked about rotas."})
    await check_in(services, "f2", {"met": "help", "note": "Please call me."})
    shown = text(await pressed(router(), services, COORDINATOR, HEALTH, REF))
    assert "Active pairs: 3" in shown and "Not reachable yet: 2 people" in shown
    assert (
        "Round of 6 Oct 2026, 3 pairs: 1 met, 0 planned to meet, 0 not met yet, "
        "1 asked for help, 1 no answer."
    ) in shown
    assert "Actions agreed: 0" in shown
    assert "rotas" not in shown and "Please call me" not in shown


async def test_a_pair_shows_its_people_standing_and_the_notes_shared(
    services: Services,
) -> None:
    await check_in(services, "f1", {"met": "not_yet", "note": "Rotas make it hard.", "q1": "x"})
    shown = text(await pressed(router(), services, COORDINATOR, OPEN_PAIR, pair_value(1)))
    assert "Senior partner: Senior 1 · senior1@riverside.example.nhs.uk" in shown
    assert "Round of 6 Oct: not met yet" in shown
    assert "Frontline 1, 6 Oct: Rotas make it hard." in shown
    assert ": x" not in shown  # answers to the questions stay private
    unreachable = text(await pressed(router(), services, COORDINATOR, OPEN_PAIR, pair_value(3)))
    assert "frontline3@riverside.example.nhs.uk · not reachable yet" in unreachable


GOOD = {
    "senior_email": f"Ruth.Board@{DOMAIN}",
    "senior_name": "Ruth",
    "senior_console": "ruth",
    "frontline_email": f"amina@{DOMAIN}",
    "frontline_name": "",
    "frontline_console": "",
}


@pytest.mark.parametrize(
    ("changed", "field", "error"),
    [
        ({"senior_email": "ruth.board"}, "senior_email", "Ruth.board is not an email address."),
        (
            {"frontline_email": "amina@gmail.com"},
            "frontline_email",
            "Unknown email: nobody here has an address at gmail.com "
            "(staff addresses end @riverside.example.nhs.uk).",
        ),
        (
            {"frontline_email": f"ruth.board@{DOMAIN}"},
            "frontline_email",
            "The same person is on both sides.",
        ),
        (
            {"frontline_email": f"frontline1@{DOMAIN}"},
            "frontline_email",
            f"Frontline1@{DOMAIN} is already in a pair in this programme.",
        ),
        (
            {"senior_console": "s1"},
            "senior_console",
            f"Console id s1 already belongs to senior1@{DOMAIN}.",
        ),
    ],
)
async def test_adding_a_pair_names_each_mistake_beside_its_field_and_writes_nothing(
    services: Services, db: Database, changed: dict[str, str], field: str, error: str
) -> None:
    chat = router()
    form = form_in(await pressed(chat, services, COORDINATOR, ADD_PAIR, REF))
    before = await pairs(db)
    refused = form_in(await submitted(chat, services, COORDINATOR, form, {**GOOD, **changed}))
    assert refused.errors == {field: error}
    assert await pairs(db) == before


async def test_a_pair_added_is_asked_this_round(services: Services, db: Database) -> None:
    chat = router()
    form = form_in(await pressed(chat, services, COORDINATOR, ADD_PAIR, REF))
    assert [i.label for i in form.inputs][:3] == [
        "Senior partner: email",
        "Senior partner: name",
        "Senior partner: console name",
    ]
    done = text(await submitted(chat, services, COORDINATOR, form, GOOD, submission="V1"))
    assert "Ruth and amina@riverside.example.nhs.uk are paired in Reverse Mentoring" in done
    again = text(await submitted(chat, services, COORDINATOR, form, GOOD, submission="V1"))
    assert "Already added." in again  # a double tap adds one pair
    assert (await pairs(db))[-2:] == [
        (f"ruth.board@{DOMAIN}", "senior"),
        (f"amina@{DOMAIN}", "frontline"),
    ]
    assert await tick(db, services.clock.now()) == 1  # Ruth, on the console; Amina unreachable


@pytest.mark.parametrize(
    ("changed", "errors"),
    [
        ({"ends": "2026-08-01"}, {"ends": "The end is before the start; check the dates."}),
        (
            {"cadence": "monthly on day 31", "ends": "2026-09-29"},
            {"cadence": f"{NEVER_FIRES[0].upper()}{NEVER_FIRES[1:]}."},
        ),
        (
            {"cadence": "sometimes"},
            {"cadence": f"U{CADENCE_WORDS[1:]}."},
        ),
        (
            {"at": "9am", "starts": "soon"},
            {
                "at": "Use a 24-hour time like 10:00.",
                "starts": "Please give a date like 2026-09-01.",
            },
        ),
    ],
)
async def test_a_schedule_that_cannot_work_is_refused_beside_its_field(
    services: Services, db: Database, changed: dict[str, str], errors: dict[str, str]
) -> None:
    chat = router()
    form = form_in(await pressed(chat, services, COORDINATOR, SCHEDULE, REF))
    was = {i.field: getattr(i, "initial", "") for i in form.inputs}
    assert was == {
        "cadence": "Monthly on the first Tuesday",
        "at": "10:00",
        "starts": "2026-09-01",
        "ends": "2027-07-31",
    }
    refused = form_in(await submitted(chat, services, COORDINATOR, form, {**was, **changed}))
    assert refused.errors == errors
    async with db.session(write=False) as session:
        kept = (await session.exec(select(Programme).where(Programme.key == PROGRAMME))).one()
    assert kept.cadence == "FREQ=MONTHLY;BYDAY=+1TU"


async def test_a_new_schedule_counts_its_rounds_from_now(services: Services, db: Database) -> None:
    chat = router()
    form = form_in(await pressed(chat, services, COORDINATOR, SCHEDULE, REF))
    answers = {"cadence": "every 2 weeks", "at": "09:30", "starts": "2026-10-13", "ends": ""}
    done = text(await submitted(chat, services, COORDINATOR, form, answers))
    assert "Every other week at 09:30, from 13 Oct 2026." in done
    async with db.session(write=False) as session:
        changed = (await session.exec(select(Programme).where(Programme.key == PROGRAMME))).one()
    assert (changed.cadence, changed.ends, changed.rounds_from) == (
        "FREQ=WEEKLY;INTERVAL=2",
        None,
        None,
    )
    assert await tick(db, services.clock.now()) == 0  # before the first new round
    async with db.session(write=False) as session:
        old = (await session.exec(select(Round).where(Round.programme == PROGRAMME))).all()
    assert [(r.opens_at, r.state) for r in old] == [(OCTOBER, "closed")]  # ended by the change
    assert await tick(db, OCTOBER + timedelta(days=7, minutes=30)) == 4


async def test_anyone_else_is_refused_politely_and_audited(
    services: Services, db: Database
) -> None:
    chat = router()
    for action in (HEALTH, ADD_PAIR, SCHEDULE):
        said = text(await pressed(chat, services, "s1", action, REF))
        assert said == "Only the programme's coordinators can do that."
    other = programme_value("nursing-mentoring")  # Linda's, not Kwame's
    assert "Only the programme's" in text(await pressed(chat, services, COORDINATOR, HEALTH, other))
    async with db.session(write=False) as session:
        audits = (await session.exec(select(MentoringAudit).order_by(col(MentoringAudit.id)))).all()
    assert [(a.user_id, a.action, a.refused, a.programme) for a in audits] == [
        ("s1", "health", True, ""),
        ("s1", "add_pair", True, ""),
        ("s1", "schedule", True, ""),
        (COORDINATOR, "health", True, ""),
    ]


async def test_a_pair_stuck_two_rounds_running_is_told_to_the_coordinator_once(
    services: Services, db: Database
) -> None:
    """Pair 1 met in October; pair 2 answered "not yet" twice, and pair 3 (nobody can reach
    them) never answered: when November's round closes, the coordinator hears of pairs 2
    and 3 (on each of their platforms), once."""
    await check_in(services, "s1", {"met": "met"})
    await check_in(services, "s2", {"met": "not_yet"})
    await tick(db, NOVEMBER)
    assert await keys(db, "mentoring:stuck:") == []  # one round is not two
    services.clock.current = NOVEMBER + timedelta(hours=1)  # type: ignore[attr-defined]
    await check_in(services, "f2", {"met": "not_yet"})
    await tick(db, DECEMBER)
    await tick(db, DECEMBER + timedelta(minutes=1))
    assert await keys(db, "mentoring:stuck:") == [
        f"mentoring:stuck:{n}:2026-11-03T10:00Z:{where}"
        for n in (2, 3)
        for where in ("console:kwame", "slack:U07LEAD001")
    ]
    services.clock.current = DECEMBER + timedelta(hours=1)  # type: ignore[attr-defined]
    shown = text(await pressed(router(), services, COORDINATOR, HEALTH, REF))
    assert "Pairs that have not met for two rounds running: 2." in shown  # 2 and 3


async def test_at_the_end_both_people_are_asked_once_and_the_coordinator_sees_the_counts(
    services: Services, db: Database
) -> None:
    async with db.session() as session:
        programme = (await session.exec(select(Programme).where(Programme.key == PROGRAMME))).one()
        programme.ends = date(2026, 11, 30)
        session.add(programme)
    await tick(db, NOVEMBER)
    over = DECEMBER + timedelta(hours=1)
    assert await tick(db, over) == 4  # pairs 1 and 2; pair 3 cannot be reached
    assert await tick(db, over + timedelta(minutes=1)) == 0
    assert len(await keys(db, "mentoring:feedback:")) == 4
    async with db.session(write=False) as session:
        assert {p.status for p in (await session.exec(select(Pair))).all()} == {"ended"}
    services.clock.current = over  # type: ignore[attr-defined]
    chat = router()
    for who, score in (("s1", "5"), ("f1", "4")):
        asked = await typed(chat, services, who, "mentoring")
        assert "MENTORING PROGRAMMES" in text(asked)  # ended: no live pair any more
        form = form_in(await pressed(chat, services, who, FEEDBACK, pair_value(1)))
        assert "Thank you" in text(await submitted(chat, services, who, form, {"score": score}))
    shown = text(await pressed(router(), services, COORDINATOR, HEALTH, REF))
    assert "End feedback: 2 given, average 4.5 out of 5." in shown
