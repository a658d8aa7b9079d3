"""The aiohttp server: health checks that tell the truth, and a shutdown that loses nothing."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from alembic import command
from sqlmodel import SQLModel, col, select, update

from adapters.runtime import Runtime, open_runtime, wire
from adapters.server import create_app
from bot.conversation.inbound import Conversation, PersonAddress, Platform
from bot.conversation.outbox import Outgoing, enqueue
from bot.conversation.replies import Reply, say
from bot.conversation.sealing import generate_key
from bot.organisation.config import Settings, load_settings
from bot.speakup.cases import Concern, raise_case
from storage.engine import Database
from storage.migrate import alembic_config
from storage.outbox import OutboxRow, OutboxStatus
from storage.seen import SeenEvent, first_times
from storage.speakup.cases import Case, CaseStat, CaseStatus, Way, case_by_code
from tests.fakes import FakeClock

CONSOLE = Conversation(platform=Platform.CONSOLE, tenant="local", channel_id="console")


class SlowSender:
    """Holds each send open long enough for a shutdown to begin while it is in flight."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.sent: list[Reply] = []

    async def send(self, address: Conversation, reply: Reply, *, key: str) -> None:
        self.started.set()
        await asyncio.sleep(0.3)
        self.sent.append(reply)

    async def already_sent(self, address: Conversation, key: str) -> bool:
        return False

    async def resolve(self, person: PersonAddress) -> Conversation | None:
        return None


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return load_settings(database_url=sqlite_url.replace("+aiosqlite", ""))


@pytest.fixture
async def runtime(settings: Settings) -> Runtime:
    return await open_runtime(settings, clock=FakeClock())


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(runtime))) as test_client:
        yield test_client


async def test_healthz_is_ok_when_the_database_answers(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok"}


def unreachable() -> Database:
    """A PostgreSQL database on a port nobody listens on: refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    return Database(f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port}/none")


async def test_healthz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    runtime = wire(settings, unreachable(), FakeClock())
    async with TestClient(TestServer(create_app(runtime))) as test_client:
        response = await test_client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["database"] == "unreachable"


async def test_readyz_is_ready_when_the_database_answers_with_the_schema_the_code_needs(
    client: TestClient,
) -> None:
    response = await client.get("/readyz")
    assert (response.status, await response.text()) == (200, "ready\n")


async def test_readyz_is_503_with_one_line_saying_why_on_an_unreachable_database(
    settings: Settings,
) -> None:
    runtime = wire(settings, unreachable(), FakeClock())
    async with TestClient(TestServer(create_app(runtime))) as test_client:
        response = await test_client.get("/readyz")
        assert response.status == 503
        assert await response.text() == "not ready: the database cannot be reached\n"


async def test_readyz_is_503_on_a_database_behind_the_code_while_healthz_stays_ok(
    database_url: str,
) -> None:
    """A new release started before `peerbot db upgrade`: alive, but kept out of rotation."""
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "-1")
    settings = load_settings(database_url=database_url.replace("+aiosqlite", ""))
    runtime = wire(settings, Database(database_url), FakeClock())
    async with TestClient(TestServer(create_app(runtime))) as test_client:
        ready = await test_client.get("/readyz")
        reason = await ready.text()
        assert ready.status == 503
        assert reason.startswith("not ready: the database schema is at ")
        assert reason.count("\n") == 1 and "peerbot db upgrade" in reason
        assert (await test_client.get("/healthz")).status == 200


async def test_shutdown_drains_a_message_being_sent(runtime: Runtime) -> None:
    sender = SlowSender()
    runtime.register(Platform.CONSOLE, sender)
    hello = say("Hello from the outbox")
    async with runtime.db.session() as session:
        await enqueue(
            session,
            Outgoing(
                dedupe_key="hello:1", address=CONSOLE, reply=hello, due_at=runtime.clock.now()
            ),
            now=runtime.clock.now(),
        )
    server = TestServer(create_app(runtime))
    await server.start_server()
    await asyncio.wait_for(sender.started.wait(), timeout=5)
    await server.close()  # the send is still sleeping: shutdown must wait for it

    assert sender.sent == [hello]
    check = Database(runtime.db.url)
    async with check.session() as session:
        row = (await session.exec(select(OutboxRow))).one()
    await check.dispose()
    assert row.status == OutboxStatus.SENT
    assert row.sent_at is not None and row.sent_at - runtime.clock.now() < timedelta(seconds=1)


async def test_the_daily_retention_purge_runs_when_peerbot_starts(sqlite_url: str) -> None:
    settings = load_settings(
        database_url=sqlite_url.replace("+aiosqlite", ""),
        PEERBOT_SEALING_KEY=generate_key(),
        PEERBOT_SPEAKUP_RETENTION_DAYS="30",
    )
    runtime = await open_runtime(settings, clock=FakeClock())
    assert runtime.sealer is not None
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        for closed_days_ago in (60, 10):  # one past retention, one not
            raised = await raise_case(
                session,
                Concern(what="words", way=Way.ANONYMOUS),
                reporter=None,
                sealer=runtime.sealer,
                today=(now - timedelta(days=90)).date(),
            )
            case = await case_by_code(session, raised.code)
            assert case is not None
            case.status, case.closed_at = CaseStatus.CLOSED, now - timedelta(days=closed_days_ago)
            session.add(case)
    await start_until(runtime, Case, rows=1)
    runtime = await open_runtime(settings, clock=FakeClock())
    assert len(await all_rows(runtime.db, CaseStat)) == 1
    await runtime.db.dispose()


async def all_rows(db: Database, table: type[SQLModel]) -> list[SQLModel]:
    async with db.session() as session:
        return list((await session.exec(select(table))).all())


async def start_until(runtime: Runtime, table: type[SQLModel], *, rows: int) -> None:
    """Start peerbot and stop it once its start-up purge has left `rows` rows in `table`.

    The purge runs in the scheduler's own task, which offers nothing to wait on, so the
    table is polled (for at most five seconds; the assertions after say what went wrong).
    """
    await runtime.start()
    try:
        for _ in range(100):
            if len(await all_rows(runtime.db, table)) == rows:
                break
            await asyncio.sleep(0.05)
    finally:
        await runtime.stop()


async def test_delivered_messages_and_seen_events_are_deleted_when_peerbot_starts(
    sqlite_url: str,
) -> None:
    settings = load_settings(
        database_url=sqlite_url.replace("+aiosqlite", ""), PEERBOT_OUTBOX_RETENTION_DAYS="7"
    )
    runtime = await open_runtime(settings, clock=FakeClock())
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        for key, status, days_ago in (
            ("sent-8-days-ago", OutboxStatus.SENT, 8),
            ("sent-6-days-ago", OutboxStatus.SENT, 6),
            ("failed-8-days-ago", OutboxStatus.FAILED, 8),  # kept for `peerbot outbox retry`
        ):
            at = now - timedelta(days=days_ago)
            item = Outgoing(dedupe_key=key, address=CONSOLE, reply=say(key), due_at=at)
            await enqueue(session, item, now=at)
            await session.exec(
                update(OutboxRow)
                .where(col(OutboxRow.dedupe_key) == key)
                .values(status=status, sent_at=at if status == OutboxStatus.SENT else None)
            )
        await first_times(session, ["Ev-2-days-old"], now=now - timedelta(days=2))
        await first_times(session, ["Ev-an-hour-old"], now=now - timedelta(hours=1))
    await start_until(runtime, SeenEvent, rows=1)
    check = Database(runtime.db.url)
    outbox = {r.dedupe_key for r in await all_rows(check, OutboxRow)}
    seen = {r.key for r in await all_rows(check, SeenEvent)}
    await check.dispose()
    assert outbox == {"sent-6-days-ago", "failed-8-days-ago"}
    assert seen == {"Ev-an-hour-old"}


def test_peerbot_without_teams_never_loads_the_bot_framework() -> None:
    """The Bot Framework SDK is some 15 MB of every process's memory; a server without
    Teams (the command line included) has no use for it."""
    loaded = "import sys, adapters.cli; print(sorted(m for m in sys.modules if 'botbuilder' in m))"
    done = subprocess.run([sys.executable, "-c", loaded], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
