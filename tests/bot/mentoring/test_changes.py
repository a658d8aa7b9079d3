"""Snooze, pause, resume and leave through the real router, on SQLite and PostgreSQL: each
tells the other person and the coordinators once, kindly; a nudge still waiting is taken
back; a paused pair is not asked, and is asked again on resume; leaving frees both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.conversation.codec import reply_from_json
from bot.conversation.outbox import DeliveryWorker
from bot.conversation.replies import plain_text
from bot.conversation.services import Services
from bot.mentoring.actions import LEAVE, PAUSE, RESUME, SNOOZE
from storage.engine import Database
from storage.mentoring import Member, MentoringAudit, Pair
from storage.outbox import OutboxRow
from tests.bot.mentoring.chat import (
    COORDINATOR,
    button,
    form_in,
    my_hours,
    pressed,
    router,
    submitted,
    text,
    typed,
)
from tests.bot.mentoring.fixtures import (
    NOVEMBER,
    OCTOBER,
    add_pairs,
    keys,
    pair,
    tick,
    underway,
)
from tests.fakes import FakeClock, RecordingSender


@pytest.fixture
async def services(db: Database) -> Services:
    """The day before October's round opens, with pair 1 (s1 and f1)."""
    return await underway(db, pair(1), asked=False, now=OCTOBER - timedelta(days=1))


async def told(db: Database, prefix: str) -> dict[str, str]:
    """Each message queued under `prefix`: key -> its words."""
    async with db.session(write=False) as session:
        rows = (await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
    return {
        r.dedupe_key: plain_text(reply_from_json(r.reply or {}))
        for r in rows
        if r.dedupe_key.startswith(prefix)
    }


async def change(services: Services, who: str, label: str, answers: dict[str, str]) -> str:
    chat = router()
    action, value = button(await typed(chat, services, who, "mentoring"), label)
    form = form_in(await pressed(chat, services, who, action, value))
    return text(await submitted(chat, services, who, form, answers))


async def test_a_pause_tells_the_partner_and_coordinators_once_and_stops_the_round(
    services: Services, db: Database
) -> None:
    done = await change(services, "s1", "Pause", {"sure": "yes"})
    assert "The pairing is paused." in done
    notices = await told(db, "mentoring:pause:")
    assert list(notices.values()) == [
        "Senior 1 has paused your Reverse Mentoring for Inclusion pairing for now. "
        "Nothing you need to do.",
        "Reverse Mentoring for Inclusion, pair 1: Senior 1 paused the pairing.",
        "Reverse Mentoring for Inclusion, pair 1: Senior 1 paused the pairing.",
    ]  # to f1, then to the coordinator on Slack and on the console
    assert "Your pairing is paused" in text(await typed(router(), services, "f1", "mentoring"))
    assert await tick(db, OCTOBER) == 0  # nobody asked while paused


async def test_resume_asks_this_round_after_all(services: Services, db: Database) -> None:
    await change(services, "s1", "Pause", {"sure": "yes"})
    await tick(db, OCTOBER)
    services.clock.current = OCTOBER + timedelta(days=1)  # type: ignore[attr-defined]
    chat = router()
    action, value = button(await typed(chat, services, "f1", "mentoring"), "Resume")
    assert action == RESUME
    assert "Welcome back" in text(await pressed(chat, services, "f1", action, value))
    assert "has started your Reverse Mentoring for Inclusion pairing again" in str(
        await told(db, "mentoring:resume:")
    )
    assert await tick(db, services.clock.now()) == 2
    assert await tick(db, services.clock.now()) == 0


async def test_a_pause_takes_back_a_check_in_still_waiting_and_resume_sends_it_once(
    services: Services, db: Database
) -> None:
    """f1 works nights (quiet 09:00 to 17:30): October's 10:00 check-in waits for 17:30.
    Paused at noon, it is taken back, while s1's, sent at 10:00, is not asked again;
    resumed, f1's is queued again, once."""
    await my_hours(services, "f1", "1,2", ("09:00", "17:30"))
    await tick(db, OCTOBER)
    await DeliveryWorker(db, {"console": RecordingSender()}, FakeClock(OCTOBER)).run_once()
    services.clock.current = OCTOBER + timedelta(hours=2)  # type: ignore[attr-defined]
    await change(services, "s1", "Pause", {"sure": "yes"})
    assert [k.rsplit(":", 1)[1] for k in await keys(db, "mentoring:checkin:")] == ["1"]
    chat = router()
    action, value = button(await typed(chat, services, "s1", "mentoring"), "Resume")
    await pressed(chat, services, "s1", action, value)
    assert await tick(db, services.clock.now()) == 1
    assert await tick(db, services.clock.now()) == 0
    assert sorted(k.rsplit(":", 1)[1] for k in await keys(db, "mentoring:checkin:")) == ["1", "2"]


async def test_a_snooze_tells_the_partner_and_waits_to_the_snooze_end(
    services: Services, db: Database
) -> None:
    services.clock.current = OCTOBER - timedelta(days=2)  # type: ignore[attr-defined]
    done = await change(services, "f1", "Snooze", {"weeks": "1"})
    assert "No check-ins until Sun 11 Oct. Take care of yourself." in done
    (to_partner, *_) = (await told(db, "mentoring:snooze:")).values()
    assert to_partner == (
        "Frontline 1 is having a short break from check-ins until Sun 11 Oct. "
        "Nothing you need to do."
    )
    await tick(db, OCTOBER)
    async with db.session(write=False) as session:
        rows = (await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
    checkins = {
        r.dedupe_key.rsplit(":", 1)[1]: r.due_at for r in rows if ":checkin:" in r.dedupe_key
    }
    assert checkins["1"] == OCTOBER
    assert checkins["2"] == datetime(2026, 10, 12, 7, 0, tzinfo=UTC)  # Monday 08:00 London


async def test_leaving_frees_both_and_tells_them_once(services: Services, db: Database) -> None:
    assert "You've left the pairing" in await change(services, "f1", "Leave", {"sure": "yes"})
    notices = await told(db, "mentoring:leave:")
    assert len(notices) == 3
    assert "Frontline 1 has left your Reverse Mentoring for Inclusion pairing" in str(notices)
    async with db.session(write=False) as session:
        members = (await session.exec(select(Member))).all()
        (pair_row,) = (await session.exec(select(Pair))).all()
    assert {m.active_in for m in members} == {None} and pair_row.status == "left"
    assert "MENTORING PROGRAMMES" in text(await typed(router(), services, "f1", "mentoring"))
    assert await add_pairs(db, pair(1))  # both may be paired again
    assert "Your partner: Senior 1" in text(await typed(router(), services, "f1", "mentoring"))


async def test_only_the_pair_and_its_coordinator_may_change_it(
    services: Services, db: Database
) -> None:
    chat = router()
    _, value = button(await typed(chat, services, "s1", "mentoring"), "Pause")
    for action in (PAUSE, SNOOZE, LEAVE):
        assert "isn't one of yours" in text(await pressed(chat, services, "nurse", action, value))
    asked = text(await pressed(chat, services, COORDINATOR, PAUSE, value))
    assert "PAUSE THE PAIRING\nNo check-ins for either of them" in asked
    assert "isn't one of yours" in text(await pressed(chat, services, COORDINATOR, LEAVE, value))
    async with db.session(write=False) as session:
        assert (await session.exec(select(MentoringAudit))).all() == []


async def test_the_coordinator_pauses_and_both_are_told(services: Services, db: Database) -> None:
    chat = router()
    _, value = button(await typed(chat, services, "s1", "mentoring"), "Pause")
    form = form_in(await pressed(chat, services, COORDINATOR, PAUSE, value))
    await submitted(chat, services, COORDINATOR, form, {"sure": "yes"})
    assert (
        list((await told(db, "mentoring:pause:")).values())
        == [
            "Your coordinator has paused your Reverse Mentoring for Inclusion pairing for now. "
            "Nothing you need to do."
        ]
        * 2
    )
    await tick(db, NOVEMBER)
    assert await keys(db, "mentoring:checkin:") == []
