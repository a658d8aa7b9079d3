"""People taking turns at `peerbot console --user NAME` on one real SQLite file: the
example organisation, a sealing key (so access needs can be kept), and a clock the test
moves. While a session is open it is the console's outbox sender, and the delivery
worker runs before each line is read, as the running worker would between keystrokes."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from sqlmodel import col, select

from adapters.console import ConsoleSession
from adapters.runtime import Runtime
from bot.conversation.inbound import Platform
from bot.conversation.outbox import DeliveryWorker
from bot.organisation.zone import home_zone
from storage.outbox import OutboxRow
from tests.fakes import FakeClock

Line = str | Callable[[], None]
"""A typed line, or something done between two lines (moving the clock on)."""


class Typing:
    """Lines typed in order, the outbox delivered before each is read; then the end of input.
    Each line is echoed after its prompt, as a piped session shows it, so a screen reads as
    the conversation it was."""

    def __init__(self, lines: Iterable[Line], out: io.StringIO) -> None:
        self._lines = list(lines)
        self._out = out
        self.worker: DeliveryWorker | None = None

    async def read(self, prompt: str) -> str | None:
        while self._lines and callable(line := self._lines[0]):
            self._lines.pop(0)
            line()
        if self.worker is not None:
            await self.worker.run_once()
        if not self._lines:
            return None
        typed = str(self._lines.pop(0))
        self._out.write(f"{prompt}{typed}\n")
        return typed


async def at_console(runtime: Runtime, user: str, *lines: Line, files: Path) -> str:
    """One session for `user`, from opening the console to `quit`: what their screen shows."""
    out = io.StringIO()
    typing = Typing(lines, out)
    session = ConsoleSession(
        runtime.router,
        runtime.services,
        lines=typing,
        out=out,
        user_id=user,
        home_zone=await home_zone(runtime.db),
        files=files,
        greeting=False,
    )
    typing.worker = DeliveryWorker(
        runtime.db,
        {Platform.CONSOLE: session},
        runtime.clock,
        sealer=runtime.sealer,
        give_up_after=timedelta(hours=runtime.settings.outbox_give_up_hours),
    )
    await session.run()
    return out.getvalue()


def clock(runtime: Runtime) -> FakeClock:
    assert isinstance(runtime.clock, FakeClock)
    return runtime.clock


async def outbox(runtime: Runtime, key_starts: str) -> list[OutboxRow]:
    """The outbox rows whose dedupe key starts so, oldest first."""
    async with runtime.db.session(write=False) as session:
        query = (
            select(OutboxRow)
            .where(col(OutboxRow.dedupe_key).startswith(key_starts))
            .order_by(col(OutboxRow.id))
        )
        return list((await session.exec(query)).all())
