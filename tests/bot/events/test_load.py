"""Correctness under load, on SQLite and PostgreSQL: a rush of sign-ups never gives more
places than there are, cancellations racing promotions and offers running out never give
a place twice or to someone who did not take it, and replicas ticking at the same moment
in separate processes queue each reminder once."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, func, select

from bot.conversation.inbound import PersonAddress
from bot.events import places
from bot.events.places import Outcome
from storage.due import DueWindow
from storage.engine import Database
from storage.events import Occurrence, Signup, SignupStatus
from storage.outbox import OutboxRow
from tests.bot.events.places_fixtures import NOW, STARTS, an_event, staff
from tests.replicas import tick_at_once


async def press(
    db: Database, step: str, occurrence: int, who: PersonAddress, at: datetime
) -> Outcome:
    action: Callable[..., Awaitable[places.Result]] = getattr(places, step)
    async with db.session() as session:
        return (await action(session, occurrence, who, now=at)).outcome


async def rows(db: Database, occurrence: int) -> list[Signup]:
    async with db.session(write=False) as session:
        query = select(Signup).where(col(Signup.occurrence_id) == occurrence)
        return list((await session.exec(query.order_by(col(Signup.id)))).all())


async def taken(db: Database, occurrence: int) -> int:
    async with db.session(write=False) as session:
        row = await session.get(Occurrence, occurrence)
        assert row is not None
        return row.taken


async def queue_positions(db: Database, occurrence: int) -> list[tuple[str, int]]:
    """Everyone waiting with their position, in the order they joined the queue."""
    async with db.session(write=False) as session:
        query = (
            select(Signup)
            .where(
                col(Signup.occurrence_id) == occurrence, col(Signup.status) == SignupStatus.WAITING
            )
            .order_by(col(Signup.queued_at), col(Signup.id))
        )
        waiting = (await session.exec(query)).all()
        return [(row.user_id, await places.position(session, row)) for row in waiting]


async def signed_up(
    db: Database, occurrence: int, who: PersonAddress, at: datetime
) -> places.Result:
    async with db.session() as session:
        return await places.sign_up(session, occurrence, who, now=at)


async def test_two_hundred_press_sign_up_at_once_for_a_hundred_places(db: Database) -> None:
    """All at once, each with the moment it was pressed: exactly a hundred places are
    given, and the other hundred wait, numbered 1 to 100, each still at the number they
    were told. Presses are taken in turn, each having read the clock before its turn, so
    the queue is the order of the turns: someone told "number 5" is never pushed to 6 by
    a press that read the clock earlier but reached the date later."""
    occurrence = await an_event(db, capacity=100)
    moments = [NOW + timedelta(milliseconds=random.randrange(50)) for _ in range(200)]
    results = await asyncio.gather(
        *(signed_up(db, occurrence, staff(n), moments[n]) for n in range(200))
    )
    assert Counter(r.outcome for r in results) == {Outcome.GOING: 100, Outcome.WAITING: 100}
    everyone = await rows(db, occurrence)
    assert Counter(row.status for row in everyone) == {"going": 100, "waiting": 100}
    assert await taken(db, occurrence) == 100
    queue = await queue_positions(db, occurrence)
    assert [position for _, position in queue] == list(range(1, 101))
    told = {r.signup.user_id: r.position for r in results if r.signup and r.position}
    assert dict(queue) == told


async def test_places_given_back_as_newcomers_press_never_stand_free_while_they_wait(
    db: Database,
) -> None:
    """Round after round, everyone going cancels at the moment as many newcomers sign
    up, with nobody waiting before: each newcomer ends up going or offered a place,
    never waiting beside a place given back."""
    occurrence = await an_event(db, capacity=10, starts=NOW + timedelta(days=30))
    going = list(range(10))
    for n in going:
        await press(db, "sign_up", occurrence, staff(n), NOW)
    for round_ in range(1, 6):
        at = NOW + timedelta(minutes=round_)
        newcomers = list(range(round_ * 100, round_ * 100 + 10))
        await asyncio.gather(
            *(press(db, "cancel", occurrence, staff(n), at) for n in going),
            *(press(db, "sign_up", occurrence, staff(n), at) for n in newcomers),
        )
        statuses = {row.user_id: row.status for row in await rows(db, occurrence)}
        waiting = [n for n in newcomers if statuses[staff(n).user_id] not in ("going", "offered")]
        assert waiting == [], statuses
        assert await taken(db, occurrence) == 10
        async with db.session() as session:  # whoever was offered takes it
            for n in newcomers:
                await places.claim(session, occurrence, staff(n), now=at)
        going = newcomers


CAPACITY = 10
PEOPLE = 60
WAVES = 8


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_cancellations_racing_promotions_and_expiries_never_give_a_place_twice(
    db: Database, seed: int
) -> None:
    """Waves of presses at once, chosen at random from where people stand (seeded, so a
    failure can be replayed): people going and waiting cancel, people offered a place
    claim it, decline it or cancel it (some pressing twice) around the moment the offer
    runs out while the expiry chore runs on two replicas, and newcomers sign up. After
    every wave the rules hold: the places counted are exactly those going or held for an
    offer, never more than there are; each offer was told once; nobody is going who did
    not press for it; and no place stands free while someone waits."""
    rng = random.Random(seed)
    occurrence = await an_event(db, capacity=CAPACITY, starts=NOW + timedelta(days=30))
    pressed: dict[str, list[Outcome]] = {}

    async def step(name: str, n: int, at: datetime) -> None:
        outcome = await press(db, name, occurrence, staff(n), at)
        pressed.setdefault(staff(n).user_id, []).append(outcome)

    async def chore(at: datetime) -> None:
        async with db.session() as session:
            await places.expire_offers(session, now=at)

    for n in range(CAPACITY * 2):
        await step("sign_up", n, NOW)
    clock = NOW
    for _ in range(WAVES):
        everyone = {int(row.user_id[1:]): row for row in await rows(db, occurrence)}
        expiries = [r.offer_expires for r in everyone.values() if r.offer_expires]
        clock = min(expiries) if expiries else clock + timedelta(hours=1)

        presses = choose(rng, everyone)
        moments = [clock + timedelta(minutes=rng.randint(-30, 30)) for _ in range(len(presses) + 2)]
        await asyncio.gather(
            *(step(name, n, at) for (name, n), at in zip(presses, moments, strict=False)),
            chore(moments[-1]),
            chore(moments[-2]),
        )
        await the_rules_hold(db, occurrence, pressed)


def choose(rng: random.Random, everyone: dict[int, Signup]) -> list[tuple[str, int]]:
    """A wave's presses, by person number: some of those going and waiting cancel, those
    offered a place answer (some twice at once), and a few newcomers sign up."""

    def some(status: SignupStatus, k: int) -> list[int]:
        those = [n for n, row in everyone.items() if row.status == status]
        return rng.sample(those, min(k, len(those)))

    presses = [("cancel", n) for n in some(SignupStatus.GOING, 3)]
    presses += [("cancel", n) for n in some(SignupStatus.WAITING, 2)]
    for n in some(SignupStatus.OFFERED, CAPACITY):
        presses += [(rng.choice(["claim", "claim", "sign_up", "decline", "cancel"]), n)]
        if rng.random() < 0.3:
            presses += [(rng.choice(["claim", "cancel", "decline"]), n)]
    out = (SignupStatus.CANCELLED, SignupStatus.LAPSED)
    newcomers = [n for n in range(PEOPLE) if n not in everyone or everyone[n].status in out]
    presses += [("sign_up", n) for n in rng.sample(newcomers, min(5, len(newcomers)))]
    rng.shuffle(presses)
    return presses


async def the_rules_hold(
    db: Database, occurrence: int, pressed: dict[str, list[Outcome]], capacity: int = CAPACITY
) -> None:
    everyone = await rows(db, occurrence)
    count = Counter(row.status for row in everyone)
    holding = count[SignupStatus.GOING] + count[SignupStatus.OFFERED]
    assert await taken(db, occurrence) == holding <= capacity, count
    if count[SignupStatus.WAITING]:
        assert holding == capacity, f"a place stands free while people wait: {count}"
    for row in everyone:
        if row.status == SignupStatus.GOING:  # in by their own press, never silently
            assert Outcome.GOING in pressed[row.user_id], (row.user_id, pressed[row.user_id])
        if row.status == SignupStatus.OFFERED:
            assert row.offer_expires is not None
    async with db.session(write=False) as session:
        query = select(OutboxRow.dedupe_key).where(
            col(OutboxRow.dedupe_key).startswith("events:offer:")
        )
        offers = Counter(key.split(":")[2] for key in (await session.exec(query)).all())
    ours = {str(row.id): row.offers for row in everyone}
    assert {k: n for k, n in offers.items() if k in ours} == {k: n for k, n in ours.items() if n}


STEPS = st.tuples(
    st.sampled_from(["sign_up", "sign_up", "cancel", "claim", "decline", "expire"]),
    st.integers(min_value=0, max_value=9),
    st.integers(min_value=0, max_value=3600),
)


@settings(
    max_examples=25,
    deadline=None,
    # Each example makes its own event in the test's database: nothing carries over.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(waves=st.lists(st.lists(STEPS, min_size=1, max_size=12), min_size=1, max_size=5))
async def test_any_interleaving_of_presses_and_expiries_keeps_the_rules(
    db: Database, waves: list[list[tuple[str, int, int]]]
) -> None:
    """Hypothesis draws the waves: who presses what, and when in the hour, with the
    expiry chore among them; each wave runs all at once, half a day after the one
    before, so offers run out between some of them. The rules hold after every wave."""
    occurrence = await an_event(db, capacity=3, starts=NOW + timedelta(days=30))
    pressed: dict[str, list[Outcome]] = {}

    async def step(name: str, n: int, at: datetime) -> None:
        if name == "expire":
            async with db.session() as session:
                await places.expire_offers(session, now=at)
            return
        outcome = await press(db, name, occurrence, staff(n), at)
        pressed.setdefault(staff(n).user_id, []).append(outcome)

    for number, wave in enumerate(waves):
        start = NOW + timedelta(hours=13 * number)
        await asyncio.gather(*(step(n, who, start + timedelta(seconds=s)) for n, who, s in wave))
        await the_rules_hold(db, occurrence, pressed, capacity=3)


async def test_a_tick_on_two_processes_at_once_queues_each_reminder_once(db: Database) -> None:
    """Two replicas, each its own OS process with its own connections, tick at the same
    moment over a hundred people due a reminder: each reminder is queued once."""
    occurrence = await an_event(db, capacity=100, starts=STARTS)
    for n in range(100):
        await press(db, "sign_up", occurrence, staff(n), NOW)
    queued = await tick_at_once(db.url, STARTS - timedelta(minutes=30), "events")
    assert sum(queued) == 100, queued
    async with db.session(write=False) as session:
        keys = (await session.exec(select(OutboxRow.dedupe_key))).all()
        windows = (await session.exec(select(func.count()).select_from(DueWindow))).one()
    reminders = Counter(k for k in keys if k.startswith(f"events:remind:{occurrence}:60:"))
    assert len(reminders) == 100 and set(reminders.values()) == {1}
    assert windows == 100
