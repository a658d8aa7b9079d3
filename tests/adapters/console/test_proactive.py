"""End to end: the tick queues a scheduled hello, the worker delivers it to the console."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.console import ConsoleSession, console_address
from adapters.runtime import Runtime
from bot.conversation.inbound import Command, Platform
from bot.conversation.outbox import Outgoing
from bot.conversation.replies import Reply, say
from bot.conversation.router import Feature, Router
from bot.conversation.services import Services
from bot.help import feature as help
from bot.organisation.config import load_settings
from storage.engine import Database
from tests.fakes import FakeClock

HELLO = say("Good morning. This is your scheduled hello from peerbot.")


async def hello_due(_session: AsyncSession, now: datetime) -> Sequence[Outgoing]:
    return [
        Outgoing(
            dedupe_key=f"hello:{now.date()}",
            address=console_address("nurse"),
            reply=HELLO,
            due_at=now,
        )
    ]


async def nothing(_c: Command, _s: Services) -> list[Reply]:
    return []


class Screen(io.StringIO):
    """The terminal, noticing when a message arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()

    def write(self, text: str) -> int:
        if "--- new message ---" in text:
            self.arrived.set()
        return super().write(text)


class WaitForMessage:
    """A person who waits at the prompt until a message arrives, then leaves."""

    def __init__(self, screen: Screen) -> None:
        self._screen = screen

    async def read(self, prompt: str) -> str | None:
        await asyncio.wait_for(self._screen.arrived.wait(), 10)
        return "quit"


async def test_a_scheduled_hello_arrives_in_the_console(
    sqlite_db: Database, sqlite_url: str
) -> None:
    hello = Feature(
        name="hello", title="Hello", summary="", commands={"hello": nothing}, due=hello_due
    )
    router = Router([hello], fallback=help.fallback([hello]))
    settings = load_settings(
        database_url=sqlite_url.replace("+aiosqlite", ""), PEERBOT_TICK_SECONDS=0.1
    )
    runtime = Runtime(settings=settings, db=sqlite_db, clock=FakeClock(), router=router)
    out = Screen()
    session = ConsoleSession(
        router,
        runtime.services,
        lines=WaitForMessage(out),
        out=out,
        user_id="nurse",
        greeting=False,
    )
    runtime.register(Platform.CONSOLE, session)
    await runtime.start()
    try:
        await session.run()
        await asyncio.sleep(0.3)  # several more ticks: the same hello must not come again
    finally:
        await runtime.stop()
    text = out.getvalue()
    assert text.count("--- new message ---") == 1
    assert HELLO.summary in text
