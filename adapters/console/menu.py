"""The numbers on screen and what typing each one presses: the console's buttons."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, tzinfo

from adapters.console.render import Pick, has_options, render
from bot.conversation.replies import Reply


class Menu:
    """Every option on screen has a number, and a number keeps its meaning while it is
    on screen, so typing the same number twice never does two different things.

    A new answer with options of its own starts again from 1 (`answer`). A message that
    changes where it stands, as a pressed message does on Slack (`update`), keeps the
    number of each option still in it, and gives a new option a number not used on this
    screen: after Join, Mute is not the 1 that Join was (and Join, back after Leave, is 1
    again). A message printed below the rest (one that arrives, `add`) is numbered after
    everything shown.
    """

    def __init__(self) -> None:
        self._shown: dict[int, tuple[Pick, int]] = {}
        """number -> the option, and which message it is in"""
        self._gone: dict[Pick, int] = {}
        """options no longer on screen, by the number they had, kept for no other option"""
        self._top = 0
        self._messages = itertools.count(1)

    def answer(self, replies: Sequence[Reply], zone: tzinfo = UTC) -> str:
        """An answer to what the person typed or pressed: numbered afresh when it has
        options; one without any leaves the numbers above it as they were."""
        if any(has_options(reply) for reply in replies):
            self._shown.clear()
            self._gone.clear()
            self._top = 0
        return self.add(replies, zone)

    def add(self, replies: Sequence[Reply], zone: tzinfo = UTC) -> str:
        """Replies printed below what is on screen, their options numbered after it."""
        texts = [self._render(reply, next(self._messages), {}, zone) for reply in replies]
        return "\n".join(text for text in texts if text.strip())

    def update(self, message: int, reply: Reply, zone: tzinfo = UTC) -> str:
        """`message` printed again as `reply`, where an option still in it keeps its number."""
        before = {pick: n for n, (pick, where) in self._shown.items() if where == message}
        for n in before.values():
            del self._shown[n]
        text = self._render(reply, message, before, zone)
        self._gone |= before  # what `_render` did not give out again
        return text

    def pressed(self, number: int) -> tuple[Pick, int] | None:
        """The option numbered so, and the message it is in; None when none is."""
        return self._shown.get(number)

    def numbers(self) -> list[int]:
        return sorted(self._shown)

    def gone(self, number: int) -> bool:
        """Whether the number was an option of a message that has changed since."""
        return number in self._gone.values()

    def _render(self, reply: Reply, message: int, kept: dict[Pick, int], zone: tzinfo) -> str:
        def number(pick: Pick) -> int:
            n = kept.pop(pick, None) or self._gone.pop(pick, None)
            if n is None:
                self._top += 1
                n = self._top
            self._shown[n] = (pick, message)
            return n

        return render(reply, number, zone)


def span(numbers: Sequence[int]) -> str:
    """The numbers there are to type, in words: "1", "a number from 2 to 7", "one of 1, 3 or 4"."""
    first, last = numbers[0], numbers[-1]
    if first == last:
        return str(first)
    if last - first + 1 == len(numbers):
        return f"a number from {first} to {last}"
    return f"one of {', '.join(map(str, numbers[:-1]))} or {last}"
