"""Where console input comes from: a terminal with line editing, or plain piped lines."""

from __future__ import annotations

import asyncio
import io
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Protocol, TextIO

PROMPT = "you> "


class LineSource(Protocol):
    async def read(self, prompt: str) -> str | None:
        """The next line without its newline, or None at the end of input."""
        ...


async def _blocking(read: Callable[[], str | None]) -> str | None:
    """Run a blocking read in a daemon thread.

    Not the default executor: a thread stuck in `input()` there would keep the
    process alive after Ctrl-C or shutdown until the person pressed Enter.
    """
    loop = asyncio.get_running_loop()
    result: asyncio.Future[str | None] = loop.create_future()

    def settle(value: str | None, error: BaseException | None) -> None:
        if result.done():
            return
        if error is not None:
            result.set_exception(error)
        else:
            result.set_result(value)

    def work() -> None:
        try:
            value = read()
        except EOFError:
            loop.call_soon_threadsafe(settle, None, None)
        except BaseException as exc:  # handed to the awaiting task, not lost in the thread
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, value, None)

    threading.Thread(target=work, name="console-input", daemon=True).start()
    return await result


def _readline() -> ModuleType | None:
    """Importing readline is what gives `input()` arrow keys and history; Windows has none."""
    try:
        import readline
    except ImportError:
        return None
    return readline


class TerminalLines:
    """`input()` off the event loop, so line editing works and proactive messages
    arrive while the person is typing."""

    def __init__(self) -> None:
        self._readline = _readline()
        self._showing: str | None = None

    async def read(self, prompt: str) -> str | None:
        self._showing = prompt
        try:
            return await _blocking(lambda: input(prompt))
        finally:
            self._showing = None

    def redraw(self) -> None:
        """Put the prompt, and what was typed after it so far, back under a message that
        was printed over them; the half-typed line is still in readline's buffer."""
        if self._showing is None or not sys.stdout.isatty():
            return
        typed = self._readline.get_line_buffer() if self._readline is not None else ""
        sys.stdout.write(self._showing + typed)
        sys.stdout.flush()


class PipedLines:
    """Lines from a pipe or file: no prompt noise, each line echoed after the prompt so a
    scripted session's transcript reads like the conversation it was."""

    def __init__(self, source: TextIO, out: TextIO) -> None:
        self._source = source
        self._out = out

    async def read(self, prompt: str) -> str | None:
        line = await _blocking(self._source.readline)
        if not line:
            return None
        line = line.rstrip("\r\n")
        self._out.write(f"{prompt}{line}\n")
        self._out.flush()
        return line


def stdin_lines(out: TextIO | None = None) -> LineSource:
    """The terminal when standard input is one, else its plain lines (a script or a pipe).

    Bytes that are not text (a pasted binary, a wrong encoding) become U+FFFD rather
    than ending the session with a decoding error.
    """
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")
    if sys.stdin.isatty():
        return TerminalLines()
    return PipedLines(sys.stdin, out or sys.stdout)
