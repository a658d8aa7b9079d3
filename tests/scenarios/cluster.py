"""Several `peerbot run` replicas on loopback against one PostgreSQL database, a fake Slack
Web API in a process of its own, and a load balancer's way of sending them requests: each
to the next replica in turn.

Everything the replicas share goes through the database (or the proxy in front of it, for
an outage); what they sent is read back from the fake, which records every call, and from
the database itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import func, text
from sqlmodel import col, select

from adapters.slack.sender import METADATA_TYPE
from bench.harness import Poured, pour
from bot.conversation.sealing import generate_key
from storage.engine import Database
from storage.mentoring import Hours
from storage.outbox import OutboxRow, OutboxStatus
from tests.adapters.running import PEERBOT, Running, peerbot_running
from tests.adapters.slack.fake_api_process import FakeApiProcess, fake_slack_api_process
from tests.adapters.slack.test_endpoint import SECRET, signed
from tests.adapters.slack.test_speakup_anonymity import submission
from tests.adapters.test_cli import ROOT
from tests.outage import Proxy
from tests.scenarios.test_speak_up import EXAMPLE

PROGRAMME = "scale-mentoring"
DOMAIN = "riverside.example.nhs.uk"
GUARDIANS = "C07GUARDIANS"
"""The example organisation's guardians' channel on Slack: every new-case alert goes there."""


def organisation_file(folder: Path, today: date) -> Path:
    """The example organisation on Slack alone (its console ids dropped: nothing waits for
    a console nobody opens), with one more programme: weekly rounds from three days ago, so
    a round is open whenever the test runs, and no reminder within it."""
    slack_only = "".join(
        line for line in EXAMPLE.read_text().splitlines(keepends=True) if "console:" not in line
    )
    text = slack_only.replace(
        "programmes:\n",
        "programmes:\n"
        f"  - key: {PROGRAMME}\n"
        "    name: Scale-out Mentoring\n"
        "    kind: mentoring\n"
        "    coordinators:\n"
        "      - name: Linda Marsh\n"
        f"        email: linda.marsh@{DOMAIN}\n"
        "    cadence: weekly\n"
        '    at: "00:00"\n'
        f"    starts: {today - timedelta(days=3)}\n"
        "    remind_after_days: 0\n",
        1,
    )
    path = folder / "org.yml"
    path.write_text(text)
    return path


def mentor(n: int) -> tuple[str, str]:
    return f"mentor{n:05d}@{DOMAIN}", f"UMENTOR{n:05d}"


def mentee(n: int) -> tuple[str, str]:
    return f"mentee{n:05d}@{DOMAIN}", f"UMENTEE{n:05d}"


def pairs_csv(folder: Path, numbers: range) -> Path:
    lines = ["mentor_email,mentee_email,mentor_slack,mentee_slack"]
    for n in numbers:
        (mentor_email, mentor_id), (mentee_email, mentee_id) = mentor(n), mentee(n)
        lines.append(f"{mentor_email},{mentee_email},{mentor_id},{mentee_id}")
    path = folder / f"pairs-{numbers.start}-{numbers.stop}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def concern(n: int) -> bytes:
    """Someone's anonymous concern, sent from the speak-up modal (each its own form)."""
    sent = submission({"callback_id": "speakup.raise", "private_metadata": "{}"}, "anonymous")
    sent["user"]["id"] = f"USPEAK{n:04d}"
    sent["view"]["id"] = f"VSPEAK{n:04d}"
    return urlencode({"payload": json.dumps(sent)}).encode()


def figure(line: str) -> None:
    """Figures for the record, printed where `pytest -s` shows them."""
    print(f"[scale] {line}", flush=True)


def signed_as_slack(body: bytes) -> dict[str, str]:
    """Events are JSON; interactions and commands are forms."""
    kind = "application/json" if body.startswith(b"{") else "application/x-www-form-urlencoded"
    return signed(body, kind)


async def command(env: dict[str, str], *args: str) -> str:
    """`peerbot ARGS` run with `env`, as an operator runs it beside the replicas; its output."""
    done = await asyncio.create_subprocess_exec(
        str(PEERBOT),
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await done.communicate()
    assert done.returncode == 0, err.decode()
    return out.decode()


async def import_pairs(db: Database, env: dict[str, str], folder: Path, numbers: range) -> None:
    """`peerbot mentoring import` of these pairs into the programme, with every person's
    hours set first to any day, any time: a round's check-ins are then due at once whenever
    it runs (nights and weekends included)."""
    async with db.session() as session:
        for n in numbers:
            for email, _ in (mentor(n), mentee(n)):
                every_day = Hours(
                    email=email, days=list(range(7)), quiet_from="00:00", quiet_until="00:00"
                )
                session.add(every_day)
    said = await command(
        env, "mentoring", "import", str(pairs_csv(folder, numbers)), "--programme", PROGRAMME
    )
    assert f"Added {len(numbers)} pairs" in said


@dataclass
class Cluster:
    api: FakeApiProcess
    replicas: list[Running]
    db: Database
    """A connection of the test's own, straight to PostgreSQL (never through the proxy)."""
    env: dict[str, str]
    """What the replicas were started with, for peerbot commands run beside them."""
    folder: Path
    http: aiohttp.ClientSession

    async def command(self, *args: str) -> str:
        """`peerbot ARGS` as an operator runs it beside the replicas; its output."""
        return await command(self.env, *args)

    async def import_pairs(self, numbers: range) -> None:
        await import_pairs(self.db, self.env, self.folder, numbers)

    async def pour(self, bodies: Sequence[bytes], width: int) -> Poured:
        """`bodies` to the replicas in turn (the first to the first, the second to the
        next, ...), each replica sent `width` at a time, signed as Slack signs them."""
        share = len(self.replicas)
        parts = await asyncio.gather(
            *(
                pour(self.http, r.base, list(bodies[i::share]), width, signed_as_slack)
                for i, r in enumerate(self.replicas)
            )
        )
        latencies = [0.0] * len(bodies)
        failed = []
        for i, part in enumerate(parts):
            latencies[i::share] = part.latencies
            failed += [i + share * f for f in part.failed]
        return Poured(latencies, sorted(failed), max(p.seconds for p in parts))

    async def send(self, replica: int, body: bytes) -> tuple[int, dict[str, Any], float]:
        """One request to one replica, signed as Slack signs it: the status, the JSON
        answer (empty when there is none) and the seconds it took."""
        began = time.monotonic()
        url = f"{self.replicas[replica].base}/slack/events"
        async with self.http.post(url, data=body, headers=signed_as_slack(body)) as answer:
            text = await answer.text()
        return answer.status, json.loads(text) if text else {}, time.monotonic() - began

    async def health(self) -> list[int]:
        statuses = []
        for replica in self.replicas:
            try:
                async with self.http.get(f"{replica.base}/healthz") as answer:
                    statuses.append(answer.status)
            except aiohttp.ClientConnectionError:
                statuses.append(0)
        return statuses

    async def outbox(self) -> Counter[str]:
        """The outbox's rows by status."""
        async with self.db.session(write=False) as session:
            query = select(OutboxRow.status, func.count()).group_by(col(OutboxRow.status))
            return Counter({status: n for status, n in (await session.exec(query)).all()})

    @asynccontextmanager
    async def connections_counted(self) -> AsyncIterator[list[int]]:
        """While the block runs, how many connections the database has open from anyone
        else (the replicas, and the test's other read), every tenth of a second."""
        counted: list[int] = []
        others = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )

        async def count() -> None:
            while True:
                async with self.db.session(write=False) as session:
                    counted.append(int((await session.exec(others)).scalar_one()))  # type: ignore[call-overload]
                await asyncio.sleep(0.1)

        counting = asyncio.create_task(count())
        try:
            yield counted
        finally:
            counting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await counting

    async def queued_keys(self) -> set[str]:
        async with self.db.session(write=False) as session:
            return set((await session.exec(select(OutboxRow.dedupe_key))).all())

    async def delivered(self, count: int, *, within: float) -> float:
        """Wait until the fake holds `count` distinct outbox messages and the outbox has no
        row left to send; the seconds it took. Fails the test after `within` seconds."""
        began = time.monotonic()

        async def done() -> bool:
            await self.api.sync()
            left = await self.outbox()
            waiting = left[OutboxStatus.PENDING] + left[OutboxStatus.SENDING]
            return len(posted_keys(self.api)) >= count and not waiting

        await until(done, within=within, every=0.5)
        return time.monotonic() - began

    async def settled(self) -> Counter[str]:
        """Every outbox message posted, by key, after a moment more for a second copy of
        any of them to show."""
        await asyncio.sleep(2)
        await self.api.sync()
        return posted_keys(self.api)

    async def posted(self, count: int, *, within: float) -> None:
        """Until the fake holds at least `count` distinct outbox messages."""

        async def enough() -> bool:
            await self.api.sync()
            return len(posted_keys(self.api)) >= count

        await until(enough, within=within)


async def until(
    check: Callable[[], Awaitable[object]], *, within: float, every: float = 0.2
) -> None:
    """Ask `check` every `every` seconds until it says yes; fail after `within` seconds.
    (What is waited for happens in other processes: nothing here can be told of it.)"""
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(every)


def posted_keys(api: FakeApiProcess) -> Counter[str]:
    """How often each outbox message was posted, by the key each carries in its metadata."""
    return Counter(
        m["metadata"]["event_payload"]["key"]
        for m in api.of("chat.postMessage")
        if isinstance(m.get("metadata"), dict) and m["metadata"].get("event_type") == METADATA_TYPE
    )


def posted_to(api: FakeApiProcess, key_prefix: str = "") -> Counter[str]:
    """Outbox messages by channel (those whose key starts with `key_prefix`)."""
    return Counter(
        str(m["channel"])
        for m in api.of("chat.postMessage")
        if isinstance(m.get("metadata"), dict)
        and m["metadata"].get("event_type") == METADATA_TYPE
        and str(m["metadata"]["event_payload"]["key"]).startswith(key_prefix)
    )


def not_once(c: Cluster, pairs: range) -> dict[str, int]:
    """The people in `pairs` not sent exactly one check-in in their own DM, and how many."""
    by_channel = posted_to(c.api, "mentoring:checkin:")
    people = [f"D{who(n)[1]}" for n in pairs for who in (mentor, mentee)]
    return {channel: by_channel[channel] for channel in people if by_channel[channel] != 1}


def texts_to(api: FakeApiProcess, method: str = "chat.postMessage") -> dict[str, list[str]]:
    """What each channel was told directly (not through the outbox), in order."""
    said: dict[str, list[str]] = {}
    for m in api.of(method):
        if not isinstance(m.get("metadata"), dict):
            said.setdefault(str(m["channel"]), []).append(str(m.get("text", "")))
    return said


@asynccontextmanager
async def cluster(
    tmp_path: Path,
    database_url: str,
    *,
    replicas: int = 2,
    proxy: Proxy | None = None,
) -> AsyncIterator[Cluster]:
    """`replicas` of `peerbot run` started together against `database_url` (through
    `proxy` when given), ticking every second. Each has a bot token of its own only so
    that the fake can tell who sent what; they share every other setting."""
    plain_url = database_url.replace("+asyncpg", "")
    async with AsyncExitStack() as stack:
        api = await stack.enter_async_context(fake_slack_api_process())
        env = replica_settings(tmp_path, proxy.url(plain_url) if proxy else plain_url, api.base_url)
        started = await start_replicas(stack, tmp_path, env, replicas)
        db = Database(database_url, pool_size=2)  # the test's own reads: two at most
        stack.push_async_callback(db.dispose)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        yield Cluster(api=api, replicas=started, db=db, env=env, folder=tmp_path, http=http)


def replica_token(index: int) -> str:
    return f"xoxb-replica-{index}"


def replica_settings(folder: Path, database_url: str, api_url: str) -> dict[str, str]:
    """What every replica is started with (and a command beside them runs with): the
    example organisation with the scale-out programme, one sealing key, a tick every
    second, Slack's Web API at `api_url`."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))},
        "DATABASE_URL": database_url,
        "PEERBOT_ORG_FILE": str(organisation_file(folder, datetime.now(UTC).date())),
        "PEERBOT_SEALING_KEY": generate_key(),
        "PEERBOT_TICK_SECONDS": "1",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "SLACK_BOT_TOKEN": "xoxb-operator",
    }


async def start_replicas(
    stack: AsyncExitStack, folder: Path, env: dict[str, str], count: int
) -> list[Running]:
    """`count` replicas started together, as a deployment starts them, each stopped when
    `stack` closes."""
    async with asyncio.TaskGroup() as starting:
        starts = [
            starting.create_task(
                stack.enter_async_context(
                    peerbot_running(folder, {**env, "SLACK_BOT_TOKEN": replica_token(i)}, within=90)
                )
            )
            for i in range(count)
        ]
    return [start.result() for start in starts]
