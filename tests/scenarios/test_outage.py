"""A database outage of thirty seconds under two `peerbot run` replicas: PostgreSQL is cut
off by a proxy between them and it (the server itself is never touched). Slack is acked
within its three seconds all the while, people are told kindly to try again in a minute,
/healthz says 503 so a load balancer knows, and once the database is back everything goes
on by itself: the round that was being delivered, the tick, new requests; nothing is lost
and nothing is sent twice."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from adapters.answering import TRY_LATER
from bench.events_rush import checked, person, press
from bot.conversation.forms import SAVE_LATER
from storage.speakup.cases import Case
from tests.adapters.slack.test_endpoint import dm
from tests.bot.events.places_fixtures import an_event
from tests.outage import proxy_to
from tests.scenarios.cluster import (
    GUARDIANS,
    Cluster,
    cluster,
    concern,
    figure,
    not_once,
    posted_keys,
    posted_to,
    texts_to,
    until,
)

OUTAGE = 30.0
"""Seconds the database is away: the issue's figure."""
PAIRS = 200
LATER_PAIRS = range(PAIRS, PAIRS + 50)
"""Pairs added once the database is back: only a tick that survived the outage asks them."""
PLACES = 5
PEOPLE = 10
CASES = 4


def asks_for_events(n: int) -> bytes:
    """Someone types `events` in their DM with peerbot: an answer only the database has."""
    sent = dm("events", event_id=f"EvOutage{n}")
    sent["event"] |= {"channel": f"DOUTAGE{n}", "user": f"UOUTAGE{n}"}
    return json.dumps(sent).encode()


def apologised(c: Cluster) -> dict[str, list[str]]:
    """Who was told to try again, in a message only they see."""
    return {
        channel: said
        for channel, said in texts_to(c.api, "chat.postEphemeral").items()
        if TRY_LATER in said
    }


async def test_a_database_outage_is_told_kindly_and_left_behind(
    tmp_path: Path, postgres_url: str
) -> None:
    async with proxy_to(postgres_url) as proxy, cluster(tmp_path, postgres_url, proxy=proxy) as c:
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
        occurrence = await an_event(c.db, capacity=PLACES, starts=starts)
        await c.import_pairs(range(PAIRS))
        await c.posted(PAIRS // 2, within=120)  # the round is being delivered

        await proxy.down()
        down = time.monotonic()
        links_before = proxy.links
        before = len(posted_keys(c.api))
        dms = [asks_for_events(n) for n in range(PEOPLE)]
        presses = [press(person(n), occurrence) for n in range(1, PEOPLE + 1)]
        during = await c.pour(dms + presses, 4)
        forms = [await c.send(n % 2, concern(n)) for n in range(CASES)]
        health_during = await c.health()
        await until(lambda: told_all(c), within=OUTAGE - (time.monotonic() - down))
        apologies_in = time.monotonic() - down
        await asyncio.sleep(OUTAGE - (time.monotonic() - down))
        assert await c.health() == [503, 503]  # still away at the end of the window
        await proxy.up()
        up = time.monotonic()

        await until(lambda: healthy(c), within=60)
        recovered = time.monotonic() - up
        again = await c.pour(presses + [concern(n) for n in range(CASES)], 4)  # as asked
        await c.import_pairs(LATER_PAIRS)
        expected = 2 * (PAIRS + len(LATER_PAIRS)) + CASES
        await c.delivered(expected, within=240)
        finished = time.monotonic() - up
        posted = await c.settled()

        acks = during.latencies + [seconds for _, _, seconds in forms]
        assert not during.failed and max(acks) < 3.0
        kept_open = {"response_action": "errors", "errors": {"what": SAVE_LATER}}
        assert [(status, body) for status, body, _ in forms] == [(200, kept_open)] * CASES
        assert health_during == [503, 503]
        assert set(posted) == await c.queued_keys()
        assert not {key: n for key, n in posted.items() if n > 1}
        assert not_once(c, range(PAIRS + len(LATER_PAIRS))) == {}
        assert posted_to(c.api, "sealed:")[GUARDIANS] == CASES
        sorry = apologised(c)
        asked = [f"DOUTAGE{n}" for n in range(PEOPLE)] + [
            f"D0{person(n)}" for n in range(1, PEOPLE + 1)
        ]
        assert {channel: len(sorry.get(channel, [])) for channel in asked} == dict.fromkeys(
            asked, 1
        )
        assert not again.failed
        answers = texts_to(c.api)
        assert all(len(answers.get(f"D0{person(n)}", [])) == 1 for n in range(1, PEOPLE + 1))
        last = {channel: said[-1] for channel, said in answers.items()}
        assert await checked(c.db, occurrence, PEOPLE, PLACES, last) == []
        async with c.db.session(write=False) as session:
            assert (await session.exec(select(func.count()).select_from(Case))).one() == CASES
        assert proxy.links > links_before  # the replicas connected again by themselves
        looked = c.api.of("conversations.history")

    figure(
        f"outage of {OUTAGE:.0f} s, begun with {before} of {2 * PAIRS} check-ins delivered: "
        f"{len(acks)} requests acked with 200 during it (slowest {max(acks) * 1000:.0f} ms), "
        f"{len(sorry)} people told to try again within {apologies_in:.1f} s, {CASES} forms "
        f"kept open to send again, /healthz {health_during}"
    )
    figure(
        f"after it: healthy {recovered:.1f} s after the database came back; the round, the "
        f"concerns sent again and {len(LATER_PAIRS)} pairs added afterwards all delivered "
        f"{finished:.1f} s after it: {len(posted)} messages, "
        f"{sum(posted.values()) - len(posted)} duplicates, {expected - len(posted)} lost; "
        f"{len(looked)} rows in doubt checked in the history"
    )


async def told_all(c: Cluster) -> bool:
    await c.api.sync()
    return len(apologised(c)) >= 2 * PEOPLE


async def healthy(c: Cluster) -> bool:
    return await c.health() == [200, 200]
