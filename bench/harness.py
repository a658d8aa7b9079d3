"""What the Slack benchmarks share: their servers started, signed requests, the load, the tally.

The servers (bench/servers.py) each run in a process of their own, so no server shares an
event loop with the load. Every request carries its own reply key (a DM channel, or a
response_url on the fake Web API), so at the end the fake can tell whether each was answered
exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from bench.servers import RESPONSE, SECRET
from bot.conversation.payloads import encode
from bot.events.actions import OPEN
from bot.events.payloads import OccurrenceRef
from tests.adapters.slack.test_endpoint import signed as slack_signed

SERVERS = Path(__file__).resolve().with_name("servers.py")


# --- servers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def started(name: str, *args: str) -> AsyncIterator[Server]:
    """One of bench/servers.py in its own process, once it listens."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SERVERS),
        name,
        str(port),
        *args,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PEERBOT_LOG_LEVEL": "WARNING"},
    )
    try:
        assert process.stdout is not None
        if (await process.stdout.readline()).strip() != b"ready":
            raise RuntimeError(f"{name} did not start")
        yield Server(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.terminate()
        await process.wait()


@asynccontextmanager
async def database(url: str | None) -> AsyncIterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL database beside `url`, gone afterwards
    (others use that server at the same time)."""
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    import asyncpg

    name = f"peerbot_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{url.rpartition('/')[0]}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# --- signed requests, as Slack sends them ----------------------------------------------------


def signed(body: str | bytes) -> dict[str, str]:
    """Events are JSON; interactions and commands are forms."""
    raw = body.encode() if isinstance(body, str) else body
    kind = "application/json" if raw.startswith(b"{") else "application/x-www-form-urlencoded"
    return slack_signed(body, kind, secret=SECRET)


@dataclass(frozen=True)
class Sent:
    body: bytes
    key: str
    """Where its one reply is counted on the fake API: a DM channel or a response_url."""


def dm(text: str, *, user: str, channel: str) -> Sent:
    """A direct message to the app (`message.im`), with its own event_id."""
    body = {
        "type": "event_callback",
        "team_id": "T1",
        "api_app_id": "A1",
        "event_id": f"Ev{uuid.uuid4().hex}",
        "event_time": int(time.time()),
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": "1700000000.000100",
        },
    }
    return Sent(json.dumps(body).encode(), channel)


def command(name: str, *, user: str, api: str, tag: str, channel: str = "C1") -> Sent:
    """A slash command, answered through its own response_url on the fake API at `api`."""
    key = f"{RESPONSE}{tag}"
    form = {
        "command": name,
        "text": "",
        "team_id": "T1",
        "user_id": user,
        "channel_id": channel,
        "trigger_id": f"trig-{tag}",
        "response_url": f"{api}{key}",
    }
    return Sent(urlencode(form).encode(), key)


def press(action_id: str, value: str, *, user: str, api: str, tag: str, channel: str) -> Sent:
    """A button pressed on a message of the app's, as Slack sends it (with the message's
    response_url, which answers it on the fake API at `api`)."""
    key = f"{RESPONSE}{tag}"
    interaction = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": user},
        "channel": {"id": channel},
        "trigger_id": f"trig-{tag}",
        "response_url": f"{api}{key}",
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "event", "value": value}
        ],
    }
    return Sent(urlencode({"payload": json.dumps(interaction)}).encode(), key)


DM, SLASH, BUTTON = "DM `help`", "`/events`", "Open button"
KINDS = (DM, SLASH, BUTTON)
"""What the benchmarks send: a DM (answered with chat.postMessage), a slash command (the
list of events, through its response_url) and a button peerbot itself renders (an event's
Open on that list: read-only, so it can be pressed again and again, and answered through
the message's response_url)."""


def ask(kind: str, *, api: str, user: str, occurrence: int, channel: str | None = None) -> Sent:
    """One request of `kind` from `user`, with a reply key of its own unless `channel` (their
    DM with the app, where the DM and the button come from) is given."""
    tag = uuid.uuid4().hex.upper()  # Slack ids are upper case
    where = channel or f"D{tag}"
    if kind == DM:
        return dm("help", user=user, channel=where)
    if kind == SLASH:
        return command("/events", user=user, api=api, tag=tag)
    value = encode(OccurrenceRef(occurrence=occurrence))
    return press(f"{OPEN}#0", value, user=user, api=api, tag=tag, channel=where)


# --- the load --------------------------------------------------------------------------------


@dataclass
class Poured:
    latencies: list[float]
    """Each request's time to its ack, in the order of the bodies."""
    failed: list[int]
    """The indexes of the bodies not acked with a 200."""
    seconds: float


async def pour(
    http: aiohttp.ClientSession,
    url: str,
    bodies: list[bytes],
    width: int,
    sign: Callable[[bytes], dict[str, str]] = signed,
) -> Poured:
    """`width` workers post `bodies` to the Slack endpoint in turn, each signed as it is
    sent, as fast as the app acks them."""
    queue = iter(enumerate(bodies))
    latencies = [0.0] * len(bodies)
    failed: list[int] = []

    async def worker() -> None:
        for index, body in queue:
            headers = sign(body)
            began = time.perf_counter()
            async with http.post(f"{url}/slack/events", data=body, headers=headers) as response:
                await response.read()
            if response.status != 200:
                failed.append(index)
            latencies[index] = time.perf_counter() - began

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(width)))
    return Poured(latencies, failed, time.perf_counter() - began)


def p(samples: list[float], q: float) -> float:
    """The q-quantile of `samples` (seconds), in milliseconds."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


# --- the tally -------------------------------------------------------------------------------


@dataclass
class Tally:
    """How many replies each key should get, against what the fake API counted."""

    expected: Counter[str] = field(default_factory=Counter)

    def sent(self, requests: Iterable[Sent], poured: Poured) -> None:
        """Requests not acked with a 200 are Slack's to retry: no reply is expected."""
        refused = set(poured.failed)
        self.expected.update(s.key for i, s in enumerate(requests) if i not in refused)

    async def answered(
        self, http: aiohttp.ClientSession, api: str, keys: Collection[str], within: float = 60
    ) -> bool:
        """Until every one of `keys` has its replies (False after `within` seconds), so a
        round's backlog never runs into the next round."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with http.post(f"{api}/counts", json=sorted(set(keys))) as response:
                counts = await response.json()
            if all(counts[key] >= self.expected[key] for key in counts):
                return True
            await asyncio.sleep(0.02)
        return False

    async def settled(self, http: aiohttp.ClientSession, api: str) -> Problems:
        """Once every reply has arrived (at most a minute), and a moment more for any
        double: what went wrong."""
        await self.answered(http, api, self.expected)
        await asyncio.sleep(1)
        async with http.get(f"{api}/counts") as response:
            counts = Counter(await response.json())
        return Problems(
            lost=sum(1 for k, n in self.expected.items() if counts[k] < n),
            doubled=sum(1 for k, n in self.expected.items() if counts[k] > n),
            stray=sum(1 for k in counts if k not in self.expected),
        )


@dataclass(frozen=True)
class Problems:
    lost: int
    doubled: int
    stray: int

    def __str__(self) -> str:
        return f"{self.lost} lost, {self.doubled} doubled, {self.stray} stray"

    def __bool__(self) -> bool:
        return bool(self.lost or self.doubled or self.stray)
