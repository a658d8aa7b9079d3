"""Neutral replies: plain blocks every platform renders natively or as text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import Field as Discriminated

from bot.actions import ActionId


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """A paragraph. `heading` makes it a title; text is plain, never markup."""

    kind: Literal["text"] = "text"
    text: str
    heading: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldItem:
    label: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Fields:
    """Label and value pairs: a case's status, an event's time and place."""

    kind: Literal["fields"] = "fields"
    items: tuple[FieldItem, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    label: str
    action: ActionId
    value: str = ""
    style: Literal["default", "primary", "danger"] = "default"


@dataclass(frozen=True, slots=True, kw_only=True)
class Buttons:
    kind: Literal["buttons"] = "buttons"
    buttons: tuple[Button, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One choice: `value` travels back in events, `label` is what people read."""

    value: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Choices:
    """A pick-one menu outside a form; picking fires `action` with the option's value."""

    kind: Literal["choices"] = "choices"
    label: str
    action: ActionId
    options: tuple[Option, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TextInput:
    kind: Literal["text_input"] = "text_input"
    field: str
    label: str
    required: bool = True
    multiline: bool = False
    max_length: int = 3000
    hint: str = ""
    initial: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceInput:
    """Pick one (or several when `multiple`) of fixed options."""

    kind: Literal["choice_input"] = "choice_input"
    field: str
    label: str
    options: tuple[Option, ...]
    required: bool = True
    multiple: bool = False
    hint: str = ""
    initial: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DateTimeInput:
    """A local date and time, submitted as ISO 8601 `YYYY-MM-DDTHH:MM`."""

    kind: Literal["datetime_input"] = "datetime_input"
    field: str
    label: str
    required: bool = True
    hint: str = ""
    initial: str = ""


FormInput = Annotated[TextInput | ChoiceInput | DateTimeInput, Discriminated(discriminator="kind")]


@dataclass(frozen=True, slots=True, kw_only=True)
class Form:
    """A form filled where chat history keeps no copy (a Slack modal, a Teams dialog).

    A handler that rejects a submission returns the same form with `errors`
    (field -> message) and the submitted values as `initial`, so nothing typed is lost.
    """

    kind: Literal["form"] = "form"
    form: ActionId
    title: str
    inputs: tuple[FormInput, ...]
    submit_label: str = "Send"
    intro: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """What replaces a submitted form: the confirmation, never posted into the chat."""

    kind: Literal["notice"] = "notice"
    title: str
    text: str


Block = Annotated[
    Text | Fields | Buttons | Choices | Form | Notice, Discriminated(discriminator="kind")
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One message. `summary` is the plain-text fallback for notifications and screen
    readers; `ephemeral` asks the platform to show it only to the person who asked."""

    summary: str
    blocks: tuple[Block, ...] = ()
    ephemeral: bool = False

    @property
    def form(self) -> Form | None:
        return next((b for b in self.blocks if isinstance(b, Form)), None)


def say(text: str, *, ephemeral: bool = False) -> Reply:
    """The commonest reply: one paragraph, which is also its own summary."""
    return Reply(summary=text, blocks=(Text(text=text),), ephemeral=ephemeral)


def plain_text(reply: Reply) -> str:
    """The whole reply as plain text, for platforms or people that cannot render blocks."""
    lines: list[str] = []
    for block in reply.blocks:
        lines.extend(_block_lines(block))
    return "\n".join(lines) if lines else reply.summary


def _block_lines(block: Block) -> list[str]:
    match block:
        case Text(text=text, heading=True):
            return [text.upper()]
        case Text(text=text):
            return [text]
        case Fields(items=items):
            return [f"{item.label}: {item.value}" for item in items]
        case Buttons(buttons=buttons):
            return ["Options: " + " | ".join(b.label for b in buttons)]
        case Choices(label=label, options=options):
            return [f"{label}: " + " | ".join(o.label for o in options)]
        case Form(title=title, intro=intro, inputs=inputs):
            head = [title.upper()] + ([intro] if intro else [])
            return head + [f"- {i.label}" for i in inputs]
        case Notice(title=title, text=text):
            return [title.upper(), text]
    raise TypeError(f"unknown block {block!r}")
