"""Two `peerbot run` replicas behind a load balancer, one PostgreSQL database: every nudge
and alert reaches Slack exactly once, places are never over-given, nothing is lost; and
when one replica is killed mid-round, the other finishes the round alone.

Real processes throughout: the replicas, the fake Slack Web API (which records every call
and answers conversations.history from what it recorded), `peerbot mentoring import`;
requests are signed as Slack signs them and sent to the replicas in turn."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from adapters.slack.app import VIEW_DEADLINE
from bench.events_rush import checked, person, press
from bench.harness import Poured, p
from storage.engine import POOL_SIZE
from storage.mentoring import Member
from storage.outbox import OutboxStatus
from storage.speakup.cases import Case
from tests.bot.events.places_fixtures import an_event
from tests.scenarios.cluster import (
    GUARDIANS,
    Cluster,
    cluster,
    concern,
    figure,
    not_once,
    posted_keys,
    posted_to,
    replica_token,
    texts_to,
    until,
)

PAIRS = int(os.environ.get("PEERBOT_TEST_PAIRS", "1000"))
"""Pairs in the round (2 check-ins each); fewer for a quick look on a busy machine."""
PLACES = 100
PRESSES = 300
CASES = 40
WIDTH = 16
"""Presses in flight to each replica at once; concerns come two at a time to each."""


def acked(name: str, done: Poured) -> str:
    return (
        f"{name} acked: p50 {p(done.latencies, 0.5):.0f} ms, "
        f"p99 {p(done.latencies, 0.99):.0f} ms, max {max(done.latencies) * 1000:.0f} ms"
    )


def sent_by_replica(c: Cluster) -> list[int]:
    """How the deliveries were shared, from each replica's log."""
    return [r.err.count(b"sent to slack") for r in c.replicas]


async def test_two_replicas_deliver_a_round_a_rush_and_alerts_exactly_once(
    tmp_path: Path, postgres_url: str
) -> None:
    async with cluster(tmp_path, postgres_url) as c:
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
        occurrence = await an_event(c.db, capacity=PLACES, starts=starts)
        began = time.monotonic()
        async with c.connections_counted() as connections:
            await c.import_pairs(range(PAIRS))  # both replicas tick every second from here
            rush, speak = await asyncio.gather(
                c.pour([press(person(n), occurrence) for n in range(1, PRESSES + 1)], WIDTH),
                c.pour([concern(n) for n in range(CASES)], 2),
            )
            expected = 2 * PAIRS + CASES
            await c.delivered(expected, within=300)
        took = time.monotonic() - began
        posted = await c.settled()
        queued = await c.queued_keys()
        assert set(posted) == queued, "every queued message posted, and nothing else"
        assert not {key: n for key, n in posted.items() if n > 1}
        assert not_once(c, range(PAIRS)) == {}
        assert posted_to(c.api, "sealed:")[GUARDIANS] == CASES  # one alert per case
        assert (await c.outbox())[OutboxStatus.SENT] == expected

        assert not rush.failed and not speak.failed
        assert max(rush.latencies) < 3.0, "every press acked within Slack's three seconds"
        # A form's ack carries its outcome, so it waits for the core up to VIEW_DEADLINE;
        # a second more allows for a machine shared with other tests.
        assert max(speak.latencies) < VIEW_DEADLINE + 1.0
        told = texts_to(c.api)
        assert all(len(told.get(f"D0{person(n)}", [])) == 1 for n in range(1, PRESSES + 1))
        last_told = {channel: said[-1] for channel, said in told.items()}
        assert await checked(c.db, occurrence, PRESSES, PLACES, last_told) == []
        async with c.db.session(write=False) as session:
            cases = (await session.exec(select(func.count()).select_from(Case))).one()
            members = (await session.exec(select(func.count()).select_from(Member))).one()
        assert cases == CASES and members == 2 * PAIRS
        assert max(connections) <= 2 * POOL_SIZE + 1  # each replica within its pool

    figure(
        f"{PAIRS} pairs, {PRESSES} presses for {PLACES} places, {CASES} concerns, through "
        f"2 replicas: {expected} outbox messages delivered in {took:.1f} s "
        f"(by replica: {sent_by_replica(c)}), {sum(posted.values()) - len(posted)} "
        f"duplicates, {len(queued - set(posted))} lost"
    )
    figure(
        f"connections to PostgreSQL meanwhile: at most {max(connections)} (both replicas, "
        f"pools of {POOL_SIZE} each, and a read of the test's own), "
        f"median {sorted(connections)[len(connections) // 2]}"
    )
    figure(acked("presses", rush))
    figure(acked("concerns", speak))


async def test_a_replica_killed_mid_round_leaves_the_round_to_the_other(
    tmp_path: Path, postgres_url: str
) -> None:
    """Killed while a message it posted waits for Slack's answer: the survivor takes its
    leased rows once the leases run out, finds that message already in the conversation's
    history (by the key in its metadata) and does not post it again, and sends the rest."""
    async with cluster(tmp_path, postgres_url) as c:
        expected = 2 * PAIRS
        began = time.monotonic()
        # Armed before the round: however fast it goes, one replica is caught mid-round.
        await c.api.hold_post(after=expected // 8)
        await c.import_pairs(range(PAIRS))
        await until(c.api.held, within=180, every=0.05)
        ((held, token),) = await c.api.held()
        first, second = c.replicas
        victim, survivor = (first, second) if token == replica_token(0) else (second, first)
        victim.kill()
        killed = time.monotonic()
        await c.api.sync()
        at_kill = len(posted_keys(c.api))
        await c.api.release()
        after = await c.delivered(expected, within=180)
        posted = await c.settled()
        assert set(posted) == await c.queued_keys()
        assert not {key: n for key, n in posted.items() if n > 1}
        assert not_once(c, range(PAIRS)) == {}
        assert posted[held] == 1  # posted by the victim, found there by the survivor
        looked = c.api.of("conversations.history")
        assert looked, "the survivor asked Slack about the rows the victim left in doubt"
    assert survivor.returncode == 0
    found = survivor.err.count(b"was delivered before; not sent again")
    assert found >= 1
    figure(
        f"killed one of 2 replicas with {at_kill} of {expected} check-ins delivered "
        f"({killed - began:.1f} s in); the other finished the round {after:.1f} s later: "
        f"{len(posted)} delivered, {sum(posted.values()) - len(posted)} duplicates, "
        f"{expected - len(posted)} lost; {len(looked)} rows in doubt checked in the history, "
        f"{found} found delivered already"
    )
