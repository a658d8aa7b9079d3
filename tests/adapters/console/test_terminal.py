"""The console on a real terminal (a pseudo-terminal): line editing, and messages arriving."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

TERMINAL_SESSION = textwrap.dedent(
    """
    import asyncio, signal, sys
    from adapters.console import ConsoleSession, console_address, stdin_lines
    from bot.conversation.clock import SystemClock
    from bot.conversation.replies import say
    from bot.conversation.router import Router
    from bot.conversation.services import Services
    from storage.engine import Database

    async def echo(command, services):
        return [say(f"You said {command.name!r}.")]

    async def main():
        services = Services(db=Database("sqlite+aiosqlite://"), clock=SystemClock())
        session = ConsoleSession(
            Router([], fallback=echo), services, lines=stdin_lines(), out=sys.stdout,
            user_id="nurse", greeting=False,
        )
        message = say("Your check-in is due.")
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGUSR1,
            lambda: asyncio.ensure_future(session.send(console_address("nurse"), message)),
        )
        await session.run()
        await services.db.dispose()

    asyncio.run(main())
    """
)


class Terminal:
    """The person's side of a pseudo-terminal: type, and wait to see something."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.seen = b""

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def wait_for(self, text: bytes, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {text!r} in {self.seen!r}"
            if select.select([self.fd], [], [], left)[0]:
                try:
                    self.seen += os.read(self.fd, 4096)
                except OSError:  # the other side closed
                    break
        assert text in self.seen, f"never saw {text!r} in {self.seen!r}"


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_on_a_terminal_lines_are_editable_and_a_message_gives_the_prompt_back() -> None:
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", TERMINAL_SESSION],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=ROOT,
        env=os.environ | {"TERM": "dumb"},
        start_new_session=True,
    )
    os.close(terminal)
    screen = Terminal(controller)
    try:
        screen.wait_for(b"you> ")
        screen.type(b"hep")
        screen.wait_for(b"hep")
        screen.type(b"\x1b[Dl")  # left arrow, then the missing letter: readline editing
        time.sleep(0.3)
        process.send_signal(signal.SIGUSR1)  # the outbox delivers while the person types
        screen.wait_for(b"-------------------")
        screen.wait_for(b"-------------------\r\nyou> help")  # prompt and typing given back
        screen.type(b"\r")
        screen.wait_for(b"You said 'help'.")
        screen.type(b"quit\r")
        screen.wait_for(b"Bye. Take care of yourself.")
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    seen = screen.seen.decode(errors="replace")
    assert "--- new message ---\r\nYour check-in is due.\r\n---" in seen
