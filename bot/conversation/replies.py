"""Neutral replies: plain blocks every platform renders natively or as text."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, PlainSerializer
from pydantic import Field as Discriminated

from bot.conversation.actions import ActionId
from bot.conversation.inbound import PersonAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """A paragraph. `heading` makes it a title; text is plain, never markup."""

    kind: Literal["text"] = "text"
    text: str
    heading: bool = False


EMAIL = re.compile(r"[^@\s<>|\"]+@[^@\s<>|\"]+\.[^@\s<>|\"]+")
PHONE = re.compile(r"\+?[0-9][0-9().-]{2,30}")
DIALLED = re.compile(r"\+?[0-9][0-9 ().-]*")
UNSAFE = re.compile(r"[\s<>|\"\\\x00-\x1f\x7f]")
"""What no link may hold: it would end a Slack `<url|label>` or an HTML attribute early."""


def check_url(url: str) -> str:
    """An http(s), mailto: or tel: address, or a ValueError: a link is something a tired
    person taps, so nothing that runs script or leaves the expected app gets through."""
    scheme, _, rest = url.partition(":")
    if len(url) > 2000 or UNSAFE.search(url):
        raise ValueError("not a link peerbot shows")
    if scheme == "mailto" and EMAIL.fullmatch(rest):
        return url
    if scheme == "tel" and PHONE.fullmatch(rest):
        return url
    if scheme in {"http", "https"} and urlsplit(url).netloc and rest.startswith("//"):
        return url
    raise ValueError("not a link peerbot shows")


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """Something to open: a web page, an email to write (mailto:) or a number to call
    (tel:). `url` is checked when the link is made (see check_url)."""

    kind: Literal["link"] = "link"
    label: str
    url: str

    def __post_init__(self) -> None:
        check_url(self.url)


def email_link(address: str) -> Link:
    return Link(label=address, url=f"mailto:{address}")


def phone_link(number: str) -> Link:
    """A number as people write it (`0161 555 0142 (ext. 4142)`), shown whole and called
    as the digits before any words."""
    dialled = DIALLED.match(number.strip())
    digits = "".join(c for c in dialled[0] if c in "+0123456789") if dialled else ""
    return Link(label=number, url=f"tel:{digits}")


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldItem:
    """A label and its value; `links` follow the value (how to reach a person)."""

    label: str
    value: str = ""
    links: tuple[Link, ...] = ()

    @property
    def text(self) -> str:
        """The value and its links' labels, as plain text."""
        return " · ".join(part for part in (self.value, *(k.label for k in self.links)) if part)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fields:
    """Label and value pairs: a case's status, an event's time and place."""

    kind: Literal["fields"] = "fields"
    items: tuple[FieldItem, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class When:
    """A moment (an event's start, a deadline) that each platform shows in the viewer's
    own time zone. Only an aware datetime is a moment: a naive one would be read in
    whatever zone the server happens to run in, so it is refused."""

    kind: Literal["when"] = "when"
    label: str
    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("a time without a zone cannot be shown to anyone correctly")


def moment(at: datetime, zone: tzinfo) -> str:
    """`Tue 1 Dec 2026 at 14:30 GMT`: the day spelled out, the zone named."""
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y} at {local:%H:%M} {local.tzname()}"


ButtonStyle = Literal["default", "primary", "danger"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    label: str
    action: ActionId
    value: str = ""
    style: ButtonStyle = "default"


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
    says_when: bool = False
    """The label says itself when the field may be left empty ("Passphrase, if you were
    given one"): no platform then marks it "optional", which to whoever has one it is not."""


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


def marked_optional(spec: FormInput) -> bool:
    """Whether a platform marks the field "optional" where it can: one that may be left
    empty, unless its label says when (see TextInput.says_when)."""
    return not spec.required and not (isinstance(spec, TextInput) and spec.says_when)


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
    carried: Mapping[str, str] = field(default_factory=dict)
    """Values the form sends back with its answers without asking for them (the case a
    guardian's button was pressed on): field -> value."""
    review: bool = False
    """Every answer is already in (as `initial`): show them to check, and send them as
    they are unless the person changes one or cancels."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """What replaces a submitted form: the confirmation, never posted into the chat."""

    kind: Literal["notice"] = "notice"
    title: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Secret:
    """Something shown once that must be copied exactly: a case code, a passphrase. Every
    platform sets it apart whole and unchanged (never wrapped, reflowed or read as markup),
    so what is copied is what works."""

    kind: Literal["secret"] = "secret"
    label: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class People:
    """People named by their platform identity (who is coming to an event, a network's
    members), shown the way their platform names people: a Slack mention shows each
    viewer the person's current name without peerbot ever storing it. Only for those
    allowed to see who they are (a network's leads). `empty` is said when there is nobody.

    `named`, in the order of `people`, is how each is called where a platform cannot name
    someone from their id (a Teams card shows only the words it is given, so an Entra
    object id would show as itself): their email, say. Without it, their id is all there is.
    """

    kind: Literal["people"] = "people"
    label: str
    people: tuple[PersonAddress, ...]
    empty: str = ""
    named: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """Each person in words, for a platform that cannot name them from their id."""
        given = self.named
        return tuple(
            given[n] if n < len(given) and given[n] else person.user_id
            for n, person in enumerate(self.people)
        )


Block = Annotated[
    Text | Fields | Link | When | Buttons | Choices | Form | Notice | Secret | People,
    Discriminated(discriminator="kind"),
]


def _from_base64(value: object) -> object:
    """Stored bytes come back as base64 text (strict: garbled text is an error)."""
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError("not base64") from exc
    return value


Bytes = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(lambda b: base64.b64encode(b).decode("ascii"), when_used="json"),
]
"""Bytes as base64 in JSON, so any file survives the outbox."""
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}")
MEDIA_TYPE = re.compile(r"[a-z]+/[a-z0-9.+-]+")
MAX_FILE = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """A file that comes with a reply (an event's .ics invite). Its name is checked, as
    the console saves it under that name and a platform shows it to people."""

    name: str
    media_type: str
    data: Bytes

    def __post_init__(self) -> None:
        if not FILE_NAME.fullmatch(self.name) or ".." in self.name:
            raise ValueError("not a file name peerbot gives")
        if not MEDIA_TYPE.fullmatch(self.media_type):
            raise ValueError("not a media type")
        if len(self.data) > MAX_FILE:
            raise ValueError("too big to attach")


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One message. `summary` is the plain-text fallback for notifications and screen
    readers; `ephemeral` asks the platform to show it only to the person who asked;
    `in_place` asks for it to take the place of the message whose button was pressed
    (a choice made, not a new message), where the platform can update that message.
    `files` come with it, each where its platform can put a file."""

    summary: str
    blocks: tuple[Block, ...] = ()
    ephemeral: bool = False
    in_place: bool = False
    files: tuple[Attachment, ...] = ()

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
    attached = [f"Attached: {f.name}" for f in reply.files]
    return "\n".join([*(lines or [reply.summary]), *attached])


def _block_lines(block: Block) -> list[str]:
    match block:
        case Text(text=text, heading=True):
            return [text.upper()]
        case Text(text=text):
            return [text]
        case Fields(items=items):
            return [f"{item.label}: {item.text}" for item in items]
        case Link(label=label, url=url):
            return [f"{label}: {url}" if label != url else url]
        case When(label=label, at=at):
            return [f"{label}: {moment(at, UTC)}"]
        case Buttons(buttons=buttons):
            return ["Options: " + " | ".join(b.label for b in buttons)]
        case Choices(label=label, options=options):
            return [f"{label}: " + " | ".join(o.label for o in options)]
        case Form(title=title, intro=intro, inputs=inputs):
            head = [title.upper()] + ([intro] if intro else [])
            return head + [f"- {i.label}" for i in inputs]
        case Notice(title=title, text=text):
            return [title.upper(), text]
        case Secret(label=label, value=value):
            return [f"{label}: {value}"]
        case People(label=label, empty=empty):
            named = ", ".join(block.names()) or empty
            return [f"{label}: {named}" if named else label]
    raise TypeError(f"unknown block {block!r}")
