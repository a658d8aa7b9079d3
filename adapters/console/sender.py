"""The console's outbox sender: proactive messages printed where the person can see them."""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TextIO

from adapters.console.address import console_address
from adapters.console.menu import Menu
from bot.conversation.inbound import Conversation, PersonAddress
from bot.conversation.outbox import DeliveryFailed
from bot.conversation.replies import Attachment, Reply

logger = logging.getLogger(__name__)


def _own_folder() -> Path:
    """One folder per login on the machine: the temporary folder is shared, and what is saved
    in it (an invite to an LGBTQ+ event, an attendance list with emails) says who goes where.
    Windows gives each login its own temporary folder already."""
    name = f"peerbot-files-{os.getuid()}" if hasattr(os, "getuid") else "peerbot-files"
    return Path(tempfile.gettempdir()) / name


FILES = _own_folder()
"""Where the console saves a reply's files (an .ics invite) unless told otherwise."""
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
WAIT_FOR_THEM = 30.0
"""Seconds before a message for someone not at this console is offered again: soon enough
that when they open a console of their own (another terminal on the same database) it
reaches them within half a minute, and one waiting since before they came is due at once."""
NEW_MESSAGE = "--- new message ---"
END_MESSAGE = "-------------------"


class ConsoleSender:
    """Prints each reply delivered to the person at this console between clear markers.

    Everyone the outbox writes to on the console platform comes here (the guardians of
    the example organisation, a reporter told of a reply, a nurse whose event a lead
    cancelled), but only what is addressed to the person at the keyboard is shown:
    another's message is theirs alone. It is handed back to the outbox to wait for them
    (see `send`), and shown when they next open the console with `--user`.

    A message's options are numbered after those on screen, in `menu` (a session's), so
    typing a number presses them and no number already shown changes meaning as it
    arrives; `arrived` (a session's) gives the prompt back if the person was waiting at
    it. Times are shown on the console user's clock, `zone`, which the session sets once
    it knows it.
    """

    zone: tzinfo

    def __init__(
        self,
        out: TextIO,
        *,
        user_id: str,
        menu: Menu | None = None,
        arrived: Callable[[], None] | None = None,
        folder: Path = FILES,
    ) -> None:
        self._out = out
        self._user_id = user_id
        self.menu = menu or Menu()
        self._arrived = arrived
        self.folder = folder
        self.zone = UTC

    async def resolve(self, person: PersonAddress) -> Conversation:
        """Everyone's conversation on the console is the console itself, shown to them
        when they are the one at it."""
        return console_address(person.user_id)

    async def send(self, address: Conversation, reply: Reply, *, key: str = "") -> None:
        """Show a message for the person here; refuse one for anyone else as a platform's
        "not now", which the worker never counts as the message's fault, so it waits in the
        outbox for them (until the outbox's give-up time, as any platform's outage would)."""
        if address.user_id is None:
            logger.debug("console: a message for a channel; the console has none to show it in")
            return
        if address.user_id != self._user_id:
            raise DeliveryFailed("its person is not at this console", retry_after=WAIT_FOR_THEM)
        text = self.menu.add([reply], self.zone)
        body = "\n".join([text.strip("\n"), *save(reply.files, self.folder)])
        body = body.strip("\n")  # keep the indent of a first numbered option
        self._out.write(f"\n{NEW_MESSAGE}\n{body}\n{END_MESSAGE}\n")
        self._out.flush()
        if self._arrived is not None:
            self._arrived()

    async def already_sent(self, address: Conversation, key: str) -> bool:
        """A terminal keeps no record to look in: a message in doubt is printed again."""
        return False


def save(files: Sequence[Attachment], folder: Path) -> list[str]:
    """Each file saved in `folder`, never over another one, and where it went: a terminal
    cannot show a file, but the person can open it from there. Only the person's own login
    can open the folder or read the files in it."""
    said = []
    for attached in files:
        try:
            path = _write_new(private(folder), attached)
        except (OSError, UnsafeFolder) as exc:
            logger.warning("console: a file could not be saved: %s", exc)
            said.append(f"Sorry, {attached.name} couldn't be saved in {folder}.")
        else:
            said.append(f"Saved {attached.name} to {path}")
    return said


class UnsafeFolder(Exception):
    """The folder is not this login's own: another login made it first, or it is a link."""


def private(folder: Path) -> Path:
    """`folder`, made if need be, that this login alone can open; a folder another login
    made (or a link to one) is refused, never written into."""
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    found = folder.lstat()
    if not stat.S_ISDIR(found.st_mode):
        raise UnsafeFolder(f"{folder} is not a folder of its own")
    if hasattr(os, "getuid") and found.st_uid != os.getuid():
        raise UnsafeFolder(f"{folder} belongs to another login")
    if stat.S_IMODE(found.st_mode) != PRIVATE_FOLDER:
        folder.chmod(PRIVATE_FOLDER)  # made before files were kept private, or by a loose umask
    return folder


def _write_new(folder: Path, attached: Attachment) -> Path:
    """Under the file's own name, else the first free `name-1.ext`, `name-2.ext`…; created
    for this login alone, and never through a link someone left under that name."""
    name = Path(attached.name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for n in range(1000):
        path = folder / (name.name if n == 0 else f"{name.stem}-{n}{name.suffix}")
        try:
            handle = os.open(path, flags, PRIVATE_FILE)
        except FileExistsError:
            continue
        with os.fdopen(handle, "wb") as written:
            if hasattr(os, "fchmod"):
                os.fchmod(written.fileno(), PRIVATE_FILE)  # whatever the umask
            written.write(attached.data)
        return path
    raise OSError(f"no free name for {attached.name} in {folder}")
