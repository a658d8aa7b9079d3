"""The console's outbox sender: proactive messages printed where the person can see them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

from adapters.console.render import Pick, render_all
from bot.events import Conversation
from bot.replies import Reply

NEW_MESSAGE = "--- new message ---"
END_MESSAGE = "-------------------"


class ConsoleSender:
    """Prints each delivered reply between clear markers; the console has one person,
    so every address is theirs.

    `arrived` (a session's) is told the message's numbered options, so typing a number
    presses them, and gives the prompt back if the person was waiting at it.
    """

    def __init__(
        self, out: TextIO, *, arrived: Callable[[Sequence[Pick]], None] | None = None
    ) -> None:
        self._out = out
        self._arrived = arrived

    async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
        text, picks = render_all([reply])
        body = text.strip("\n")  # keep the indent of a first numbered option
        self._out.write(f"\n{NEW_MESSAGE}\n{body}\n{END_MESSAGE}\n")
        self._out.flush()
        if self._arrived is not None:
            self._arrived(picks)

    async def already_sent(self, address: Conversation, key: str) -> bool:
        """A terminal keeps no record to look in: a message in doubt is printed again."""
        return False
