"""Neutral replies as terminal text, with every button and choice numbered for picking."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo

from bot.conversation.actions import ActionId
from bot.conversation.replies import (
    Block,
    Buttons,
    Choices,
    Fields,
    Form,
    Link,
    Notice,
    People,
    Reply,
    Secret,
    Text,
    When,
    moment,
)

WIDTH = 78
ONLY_YOU = "(Only you can see this.)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Pick:
    """What typing a number does: press this action with this value."""

    action: ActionId
    value: str


Numbering = Callable[[Pick], int]
"""Gives each option its number as it is printed (see adapters.console.menu)."""


def render(reply: Reply, number: Numbering | None = None, zone: tzinfo = UTC) -> str:
    """The reply as text, its times on the console user's clock (`zone`), each of its
    buttons and choices shown with the number `number` gives it (1, 2, 3… by default)."""
    number = number or _counting()
    lines: list[str] = []
    for block in reply.blocks:
        lines.extend(_lines(block, number, zone))
    if not reply.blocks:
        lines.append(wrap(reply.summary))
    if reply.ephemeral:
        lines.append(ONLY_YOU)
    return "\n".join(lines)


def render_all(replies: Sequence[Reply], zone: tzinfo = UTC) -> tuple[str, list[Pick]]:
    """Replies as one answer on a clear screen, numbered 1, 2, 3… across all of them, and
    what each number presses (a session numbers through its Menu instead)."""
    picks: list[Pick] = []

    def number(pick: Pick) -> int:
        picks.append(pick)
        return len(picks)

    texts = [render(reply, number, zone) for reply in replies]
    return "\n".join(t for t in texts if t.strip()), picks


def _counting() -> Numbering:
    numbers = itertools.count(1)
    return lambda _pick: next(numbers)


def has_options(reply: Reply) -> bool:
    """Whether the reply has anything to pick by number."""
    return any(
        (isinstance(b, Buttons) and b.buttons) or (isinstance(b, Choices) and b.options)
        for b in reply.blocks
    )


def _lines(block: Block, number: Numbering, zone: tzinfo) -> list[str]:
    match block:
        case Text(text=text, heading=True):
            return ["", text, "=" * min(len(text), WIDTH)]
        case Text(text=text):
            return [wrap(text)]
        case Fields(items=items):
            return [wrap(f"{item.label}: {item.text}", indent="  ") for item in items]
        case Link(label=label, url=url):
            return [wrap(url if label == url else f"{label}: {url}")]
        case When(label=label, at=at):
            return [wrap(f"{label}: {moment(at, zone)}", indent="  ")]
        case Buttons(buttons=buttons):
            return [
                _numbered(number, Pick(action=b.action, value=b.value), b.label) for b in buttons
            ]
        case Choices(label=label, action=action, options=options):
            return [_introducing(label)] + [
                _numbered(number, Pick(action=action, value=o.value), o.label) for o in options
            ]
        case Notice(title=title, text=text):
            return ["", f"** {title} **", wrap(text)]
        case Secret(label=label, value=value):
            return [f"{label}: {value}"]  # never wrapped: it must be copied exactly
        case People(label=label, people=people, empty=empty):
            if not people:
                return [wrap(f"{label}: {empty}" if empty else label)]
            return [_introducing(label), *(f"  - {name}" for name in block.names())]
        case Form():
            return []  # a form is asked question by question, not printed
    raise TypeError(f"unknown block {block!r}")


def _introducing(label: str) -> str:
    """A label over the list it heads, with a colon unless it has one already: "Coming: 2"
    (a count) heads its names as it is, where "Coming: 2:" would read as a typing slip."""
    return label if label.endswith(("?", ":", ".")) or ": " in label else f"{label}:"


def _numbered(number: Numbering, pick: Pick, label: str) -> str:
    return f"  [{number(pick)}] {label}"


def wrap(text: str, indent: str = "") -> str:
    """Fill each paragraph to the terminal's width; people's own line breaks are kept."""
    return "\n".join(
        textwrap.fill(
            paragraph, WIDTH, initial_indent=indent, subsequent_indent=indent + "  " * bool(indent)
        )
        for paragraph in text.splitlines() or [""]
    )
