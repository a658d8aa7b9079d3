"""The check-in through the real router, on SQLite and PostgreSQL: a person sees their
pairing, answers once a round (answering again changes it), the senior partner records
actions after "Met" and is asked about each at the next round, the frontline partner sees
them; asking for help tells the coordinators at once, once; words are sealed, and without
a sealing key nothing is asked in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.conversation.codec import reply_from_json
from bot.conversation.inbound import FormSubmitted, Surface
from bot.conversation.replies import ChoiceInput, Form, Notice, Reply, TextInput
from bot.conversation.router import Router
from bot.conversation.services import Services
from bot.mentoring.actions import CHECK_IN
from storage.engine import Database
from storage.mentoring import CheckIn, Member, PairAction
from storage.outbox import OutboxRow
from tests.bot.mentoring.chat import (
    COORDINATOR,
    KEY,
    actor,
    button,
    form_in,
    pressed,
    router,
    submitted,
    text,
    typed,
    where,
)
from tests.bot.mentoring.fixtures import NOVEMBER, OCTOBER, keys, pair, tick, underway


@pytest.fixture
async def services(db: Database) -> Services:
    """October's round open, an hour in, with pair 1 (s1 and f1) asked."""
    return await underway(db, pair(1))


async def opened(chat: Router, services: Services, who: str) -> Form:
    """`mentoring`, then Check in: this round's form."""
    _, value = button(await typed(chat, services, who, "mentoring"), "Check in")
    return form_in(await pressed(chat, services, who, CHECK_IN, value))


async def check_in(
    services: Services, who: str, answers: dict[str, str], *, sealed: bool = True
) -> list[Reply]:
    chat = router(KEY if sealed else None)
    return await submitted(chat, services, who, await opened(chat, services, who), answers)


async def test_someone_in_a_pair_sees_it_and_how_this_round_stands(services: Services) -> None:
    said = text(await typed(router(), services, "f1", "mentoring"))
    assert "REVERSE MENTORING FOR INCLUSION" in said
    assert "Your partner: Senior 1" in said
    assert "Your check-in for this round is waiting for you." in said
    assert "Options: Check in | Snooze | Pause | Leave | My hours" in said


async def test_the_check_in_asks_the_programmes_questions_and_a_note_for_the_coordinator(
    services: Services,
) -> None:
    chat = router()
    form = await opened(chat, services, "f1")
    assert [i.field for i in form.inputs] == ["met", "planned_for", "q1", "q2", "note"]
    met = form.inputs[0]
    assert isinstance(met, ChoiceInput)
    assert [o.label for o in met.options] == [
        "Yes, we met",
        "We've planned to meet",
        "Not yet",
        "I'd like some help",
    ]
    assert [i.label for i in form.inputs[2:4]] == [
        "What went well since last time?",
        "What would you like to talk about next time?",
    ]
    note = form.inputs[-1]
    assert isinstance(note, TextInput) and "Only this is shared with your coordinator" in note.hint


async def test_answering_again_changes_the_one_answer_and_calls_off_the_reminder(
    services: Services, db: Database
) -> None:
    assert "No pressure" in text(await check_in(services, "f1", {"met": "not_yet"}))
    planned = (services.clock.now() + timedelta(days=3)).date().isoformat()
    again = await check_in(services, "f1", {"met": "planned", "planned_for": planned})
    assert "Good luck with the meeting" in text(again)
    async with db.session(write=False) as session:
        (row,) = (await session.exec(select(CheckIn))).all()
        me = (await session.exec(select(Member).where(Member.console == "f1"))).one()
    assert (row.answer, row.planned_for and row.planned_for.isoformat()) == ("planned", planned)
    assert me.remind_at is None


async def test_planned_needs_a_day_to_come(services: Services) -> None:
    refused = await check_in(services, "f1", {"met": "planned"})
    assert form_in(refused).errors == {
        "planned_for": "Please give the day you plan to meet, like 2026-12-01."
    }
    past = await check_in(services, "f1", {"met": "planned", "planned_for": "2026-10-01"})
    assert "That day has passed" in form_in(past).errors["planned_for"]


async def test_the_senior_records_actions_after_met_and_both_follow_them(
    services: Services, db: Database
) -> None:
    chat = router()
    after = await check_in(services, "s1", {"met": "met", "q1": "We talked rotas."})
    actions = form_in(after)
    assert actions.title == "Record actions" and len(actions.inputs) == 5
    saved = await submitted(
        chat, services, "s1", actions, {"a1": "Ask HR about night rotas", "a2": "Visit ward 7"}
    )
    assert "Saved. Frontline 1 can see them" in text(saved)
    seen = text(await typed(chat, services, "f1", "mentoring"))
    assert "Ask HR about night rotas: To do" in seen and "Visit ward 7: To do" in seen
    async with db.session(write=False) as session:
        stored = (await session.exec(select(PairAction))).all()
        (checkin,) = (await session.exec(select(CheckIn))).all()
    assert all("night rotas" not in (a.text or "") for a in stored)  # sealed at rest
    assert "rotas" not in (checkin.answers or "")


async def test_at_the_next_round_the_senior_says_what_happened_with_each_action(
    services: Services, db: Database
) -> None:
    chat = router()
    actions = form_in(await check_in(services, "s1", {"met": "met"}))
    await submitted(chat, services, "s1", actions, {"a1": "Ask HR about night rotas"})
    await tick(db, NOVEMBER)
    services.clock.current = NOVEMBER + timedelta(hours=1)  # type: ignore[attr-defined]
    async with db.session(write=False) as session:
        (action,) = (await session.exec(select(PairAction))).all()
    form = await opened(chat, services, "s1")
    asked = next(i for i in form.inputs if i.field == f"action_{action.id}")
    assert asked.label == "What happened with: Ask HR about night rotas"
    answers = {"met": "not_yet", f"action_{action.id}": "done", f"why_{action.id}": "HR agreed"}
    done = await submitted(chat, services, "s1", form, answers)
    assert "Ask HR about night rotas: Done: HR agreed" in text(done)
    assert "Ask HR about night rotas: Done: HR agreed" in text(
        await typed(chat, services, "f1", "mentoring")
    )


async def test_a_check_in_asks_about_five_open_actions_those_longest_without_news_first(
    services: Services, db: Database
) -> None:
    chat = router()
    actions = form_in(await check_in(services, "s1", {"met": "met"}))
    for batch in ("abcd", "efgh"):  # recorded twice over: eight actions open
        await submitted(
            chat, services, "s1", actions, {f"a{n}": f"Do {c}" for n, c in enumerate(batch, 1)}
        )
    await tick(db, NOVEMBER)
    services.clock.current = NOVEMBER + timedelta(hours=1)  # type: ignore[attr-defined]

    def asked(form: Form) -> list[str]:
        return [
            i.label.removeprefix("What happened with: Do ")
            for i in form.inputs
            if i.field.startswith("action_")
        ]

    form = await opened(chat, services, "s1")
    assert asked(form) == ["a", "b", "c", "d", "e"]
    going = {i.field: "in_progress" for i in form.inputs if i.field.startswith("action_")}
    await submitted(chat, services, "s1", form, {"met": "not_yet", **going})
    assert asked(await opened(chat, services, "s1")) == ["a", "b", "f", "g", "h"]


async def test_asking_for_help_tells_each_coordinator_once_sealed(
    services: Services, db: Database
) -> None:
    answers = {"met": "help", "note": "My partner keeps cancelling."}
    told = await check_in(services, "f1", answers)
    (thanks,) = [b for r in told for b in r.blocks if isinstance(b, Notice)]
    assert thanks.text == "Thank you for telling us. Kwame Mensah will be in touch soon."
    await check_in(services, "f1", answers)  # answering help again alerts nobody twice
    async with db.session(write=False) as session:
        rows = (await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
    alerts = [r for r in rows if r.sealed is not None]
    assert len(alerts) == 2  # Kwame on Slack and on the console
    assert all(r.address is None and r.reply is None for r in alerts)  # nothing in clear
    assert not [k for k in await keys(db) if k.startswith("mentoring:help")]  # keyed hashes


async def test_without_a_sealing_key_nothing_is_asked_in_words(services: Services) -> None:
    chat = router(None)
    form = await opened(chat, services, "s1")
    assert [i.field for i in form.inputs] == ["met", "planned_for"]
    after = await submitted(chat, services, "s1", form, {"met": "met"})
    assert "It's good to hear you met" in text(after)  # no actions form: nothing to seal with
    coordinator = text(await typed(chat, services, COORDINATOR, "mentoring"))
    assert "Reverse Mentoring for Inclusion: 1 pair." in coordinator


async def test_someone_elses_pair_is_not_theirs_to_check_in(services: Services) -> None:
    chat = router()
    _, value = button(await typed(chat, services, "s1", "mentoring"), "Check in")
    assert "isn't one of yours" in text(await pressed(chat, services, "nurse", CHECK_IN, value))


async def test_the_reminder_comes_once_to_whoever_has_not_answered(
    services: Services, db: Database
) -> None:
    await check_in(services, "s1", {"met": "met"})
    reminders_due = OCTOBER + timedelta(days=3)
    assert await tick(db, reminders_due - timedelta(minutes=1)) == 0
    assert await tick(db, reminders_due) == 1
    assert await tick(db, reminders_due + timedelta(days=1)) == 0
    (reminder,) = await keys(db, "mentoring:remind:")
    assert reminder.endswith(":2")  # f1, who has not answered
    async with db.session(write=False) as session:
        row = (await session.exec(select(OutboxRow).where(OutboxRow.dedupe_key == reminder))).one()
    said = reply_from_json(row.reply or {})
    assert said.summary == "A gentle reminder: your Reverse Mentoring for Inclusion check-in"


async def test_the_zone_a_platform_gives_is_kept_for_when_they_choose_none(
    services: Services, db: Database
) -> None:
    """Someone whose platform says they are in New York, with no zone of their own: the
    next round reaches them at 08:00 there, not at 10:00 London (05:00 for them)."""
    chat = router()
    form = await opened(chat, services, "f1")
    sent = FormSubmitted(
        actor=replace(actor("f1"), time_zone="America/New_York"),
        conversation=where("f1"),
        at=services.clock.now(),
        form=form.form,
        values={**form.carried, "met": "not_yet"},
        surface=Surface(in_form=True),
    )
    await chat.handle(sent, services)
    await tick(db, NOVEMBER)
    async with db.session(write=False) as session:
        query = select(OutboxRow).where(col(OutboxRow.dedupe_key).startswith("mentoring:checkin"))
        theirs = [r for r in (await session.exec(query)).all() if r.dedupe_key.endswith(":2")]
    assert [r.due_at for r in theirs][-1] == NOVEMBER + timedelta(hours=3)
