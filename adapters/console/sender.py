"""The console's outbox sender: proactive messages printed where the person can see them."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TextIO

from adapters.console.address import console_address
from adapters.console.render import Pick, render_all
from bot.conversation.inbound import Conversation, PersonAddress
from bot.conversation.replies import Attachment, Reply

logger = logging.getLogger(__name__)

FILES = Path(tempfile.gettempdir()) / "peerbot-files"
"""Where the console saves a reply's files (an .ics invite) unless told otherwise."""
NEW_MESSAGE = "--- new message ---"
END_MESSAGE = "-------------------"


class ConsoleSender:
    """Prints each reply delivered to the person at this console between clear markers.

    Everyone the outbox writes to on the console platform comes here (the guardians of
    the example organisation, a reporter told of a reply), but only what is addressed
    to the person at the keyboard is shown: another's message is theirs alone, and is
    only counted.

    `arrived` (a session's) is told the message's numbered options, so typing a number
    presses them, and gives the prompt back if the person was waiting at it. Times are
    shown on the console user's clock, `zone`, which the session sets once it knows it.
    """

    zone: tzinfo

    def __init__(
        self,
        out: TextIO,
        *,
        user_id: str,
        arrived: Callable[[Sequence[Pick]], None] | None = None,
        folder: Path = FILES,
    ) -> None:
        self._out = out
        self._user_id = user_id
        self._arrived = arrived
        self._not_shown = 0
        self.folder = folder
        self.zone = UTC

    async def resolve(self, person: PersonAddress) -> Conversation:
        """Everyone's conversation on the console is the console itself, shown to them
        when they are the one at it."""
        return console_address(person.user_id)

    async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
        if address.user_id != self._user_id:
            self._not_shown += 1
            logger.debug("console: %s messages for others not shown", self._not_shown)
            return
        text, picks = render_all([reply], self.zone)
        body = "\n".join([text.strip("\n"), *save(reply.files, self.folder)])
        body = body.strip("\n")  # keep the indent of a first numbered option
        self._out.write(f"\n{NEW_MESSAGE}\n{body}\n{END_MESSAGE}\n")
        self._out.flush()
        if self._arrived is not None:
            self._arrived(picks)

    async def already_sent(self, address: Conversation, key: str) -> bool:
        """A terminal keeps no record to look in: a message in doubt is printed again."""
        return False


def save(files: Sequence[Attachment], folder: Path) -> list[str]:
    """Each file saved in `folder`, never over another one, and where it went: a terminal
    cannot show a file, but the person can open it from there."""
    said = []
    for attached in files:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / attached.name
        stem, suffix, n = path.stem, path.suffix, 1
        while path.exists():
            path, n = folder / f"{stem}-{n}{suffix}", n + 1
        path.write_bytes(attached.data)
        said.append(f"Saved {attached.name} to {path}")
    return said
