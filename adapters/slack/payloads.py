"""Every payload Slack sends peerbot, as typed structures: whatever else arrives is refused whole.

Only the fields peerbot (or bolt, to route a payload to its listener) reads are modelled,
strictly: a string where Slack sends a string, an id shaped like Slack's ids. A payload that
passed here cannot make a listener fail on its shape, and the dict bolt is given is rebuilt
from the model, so nothing unmodelled reaches bolt or the database either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
)

from bot.conversation.inbound import FieldValue

Id = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,64}$")]
"""Team, user and channel ids: `T0123ABC`, `U0REPORTER7`, `D1`. They become addresses."""
EventId = Annotated[str, StringConstraints(pattern=r"^Ev[A-Za-z0-9]{1,64}$")]
"""Slack's `Ev0123ABC`. It becomes a dedupe key in a varchar(255) column, so nothing else does."""
Name = Annotated[str, StringConstraints(max_length=255, pattern=r"^[^\x00]*$")]
"""Callback ids, action ids, option values, trigger ids: short, and never a NUL (PostgreSQL
refuses one in text)."""
Text = Annotated[str, StringConstraints(max_length=40_000, pattern=r"^[^\x00]*$")]
"""What people typed; Slack's own limits are lower (4,000 in a message, 3,000 in an input)."""

MAX_FORM_FIELDS = 64
"""Slash commands carry about a dozen fields; a form body with hundreds is not Slack."""


class Slack(BaseModel):
    """Strict and frozen; `hide_input_in_errors` keeps people's words out of any error text."""

    model_config = ConfigDict(
        strict=True, frozen=True, extra="ignore", hide_input_in_errors=True, str_max_length=40_000
    )


class Team(Slack):
    id: Id


class User(Slack):
    id: Id


class Channel(Slack):
    id: Id


class Option(Slack):
    value: Name


SLACK_ORIGINS = frozenset({"https://hooks.slack.com", "https://hooks.slack-gov.com"})
"""Where Slack's response_url points (commands and buttons); a test adds its fake's origin."""


def response_url(value: object, info: ValidationInfo) -> str | None:
    """Slack's own address for answering a command or a button. An empty or foreign one is
    dropped, so the answer goes through the Web API instead: peerbot never posts a person's
    answer to an address someone else chose."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 2048:
        raise ValueError("response_url is not a URL")
    try:
        parts = urlsplit(value)
        origin = f"{parts.scheme}://{parts.netloc}"
    except ValueError:
        return None
    trusted: frozenset[str] = (info.context or {}).get("origins", SLACK_ORIGINS)
    return value if origin in trusted and not parts.username else None


ResponseUrl = Annotated[str | None, BeforeValidator(response_url)]


class Interactive(Slack):
    team: Team
    user: User
    trigger_id: Name | None = None
    response_url: ResponseUrl = None


# --- Events API -----------------------------------------------------------------------------


class MessageEvent(Slack):
    """A DM to peerbot (`message.im`) or a mention of it in a channel."""

    type: Literal["message", "app_mention"]
    channel: Id
    user: Id | None = None
    text: Text = ""
    channel_type: Name | None = None
    subtype: Name | None = None
    bot_id: Name | None = None
    team: Id | None = None
    ts: Name | None = None


class HomeOpened(Slack):
    type: Literal["app_home_opened"]
    user: Id
    tab: Name | None = None


Event = Annotated[MessageEvent | HomeOpened, Field(discriminator="type")]


class UrlVerification(Slack):
    type: Literal["url_verification"]
    challenge: Name


class EventCallback(Slack):
    type: Literal["event_callback"]
    team_id: Id
    event_id: EventId
    event: Event


# --- Interactivity --------------------------------------------------------------------------


class Action(Slack):
    action_id: Name
    type: Name | None = None
    block_id: Name | None = None
    value: Text | None = None
    selected_option: Option | None = None

    @property
    def chosen(self) -> str:
        """A button's value or the option picked in a select menu."""
        return self.value or (self.selected_option.value if self.selected_option else "")


class ActionView(Slack):
    """The modal a button was pressed in."""

    id: Name
    private_metadata: Text = ""


class BlockActions(Interactive):
    type: Literal["block_actions"]
    actions: Annotated[tuple[Action, ...], Field(min_length=1, max_length=25)]
    channel: Channel | None = None
    view: ActionView | None = None


class Element(Slack):
    """One input's state in a submitted modal, of any kind peerbot renders."""

    type: Name
    value: Text | None = None
    selected_option: Option | None = None
    selected_options: tuple[Option, ...] | None = None

    @property
    def answer(self) -> FieldValue:
        """Choices as the tuple of option values (checkboxes) or the one value (a select);
        text as typed. A choice sent in the other kind of element stays in its own shape,
        so the form's check says so instead of guessing."""
        if self.type in {"checkboxes", "multi_static_select"}:
            return tuple(o.value for o in self.selected_options or ())
        if self.type in {"static_select", "radio_buttons"}:
            return self.selected_option.value if self.selected_option else None
        return self.value


class ViewState(Slack):
    values: Annotated[dict[Name, dict[Name, Element]], Field(max_length=100)]


class View(Slack):
    id: Name
    type: Name  # "modal"; bolt reads it to tell a modal from a workflow step
    callback_id: Name
    private_metadata: Text = ""
    state: ViewState


class ViewSubmission(Interactive):
    type: Literal["view_submission"]
    view: View


class ClosedView(Slack):
    id: Name
    callback_id: Name


class ViewClosed(Interactive):
    type: Literal["view_closed"]
    view: ClosedView


class Shortcut(Interactive):
    """The global shortcut in peerbot's manifest ("Speak up")."""

    type: Literal["shortcut"]
    callback_id: Name


InteractivePayload = Annotated[
    BlockActions | ViewSubmission | ViewClosed | Shortcut, Field(discriminator="type")
]


# --- Slash commands and Slack's certificate check (form bodies) ------------------------------


class SlashCommand(Slack):
    command: Annotated[str, StringConstraints(pattern=r"^/[^\s\x00]{1,32}$")]
    text: Text = ""
    team_id: Id
    user_id: Id
    channel_id: Id
    trigger_id: Name | None = None
    response_url: ResponseUrl = None


class SslCheck(Slack):
    ssl_check: Literal["1"]


def _form_kind(body: Any) -> str | None:
    if isinstance(body, Mapping):
        return "command" if "command" in body else "ssl_check" if "ssl_check" in body else None
    return None


def _json_kind(body: Any) -> str | None:
    if isinstance(body, Mapping):
        kind = body.get("type")
        return kind if isinstance(kind, str) else None
    return None


Payload = UrlVerification | EventCallback | InteractivePayload | SlashCommand | SslCheck

EVENTS_API: TypeAdapter[UrlVerification | EventCallback] = TypeAdapter(
    Annotated[UrlVerification | EventCallback, Field(discriminator="type")]
)
INTERACTIVE: TypeAdapter[BlockActions | ViewSubmission | ViewClosed | Shortcut] = TypeAdapter(
    InteractivePayload
)
FORM: TypeAdapter[SlashCommand | SslCheck] = TypeAdapter(
    Annotated[
        Annotated[SlashCommand, Tag("command")] | Annotated[SslCheck, Tag("ssl_check")],
        Discriminator(_form_kind),
    ]
)
ANY_DICT: TypeAdapter[Payload] = TypeAdapter(
    Annotated[
        Annotated[SlashCommand, Tag("command")]
        | Annotated[SslCheck, Tag("ssl_check")]
        | Annotated[UrlVerification, Tag("url_verification")]
        | Annotated[EventCallback, Tag("event_callback")]
        | Annotated[BlockActions, Tag("block_actions")]
        | Annotated[ViewSubmission, Tag("view_submission")]
        | Annotated[ViewClosed, Tag("view_closed")]
        | Annotated[Shortcut, Tag("shortcut")],
        Discriminator(lambda body: _form_kind(body) or _json_kind(body)),
    ]
)


class NotSlack(ValueError):
    """A body that is none of Slack's payloads; the message names the kind, never the content."""


def read(body: bytes, content_type: str, origins: frozenset[str] = SLACK_ORIGINS) -> Payload:
    """An HTTP body (already verified as Slack's) as its payload.

    JSON is parsed and validated in one pass by pydantic's parser, which refuses nesting
    deeper than a few hundred levels and lone surrogates instead of raising RecursionError
    or storing text no database or JSON encoder will take back.
    """
    context = {"origins": origins}
    try:
        if content_type == "application/json":
            return EVENTS_API.validate_json(body, context=context)
        if content_type == "application/x-www-form-urlencoded":
            fields = dict(
                parse_qsl(
                    body.decode("utf-8"),
                    keep_blank_values=True,
                    strict_parsing=False,
                    max_num_fields=MAX_FORM_FIELDS,
                    errors="strict",
                )
            )
            if "payload" in fields:
                return INTERACTIVE.validate_json(fields["payload"], context=context)
            return FORM.validate_python(fields, context=context)
    except ValidationError as exc:
        raise NotSlack(f"not a Slack payload ({exc.error_count()} problems)") from None
    except (UnicodeError, ValueError):
        raise NotSlack("an unreadable form body") from None
    raise NotSlack("a content type Slack does not send")


def of(body: Mapping[str, Any], origins: frozenset[str] = SLACK_ORIGINS) -> Payload:
    """A payload bolt has already parsed (Socket Mode), checked the same way."""
    try:
        # lax only so that Python lists fill tuple fields; a number is still not a string
        return ANY_DICT.validate_python(body, strict=False, context={"origins": origins})
    except ValidationError as exc:
        raise NotSlack(f"not a Slack payload ({exc.error_count()} problems)") from None


def for_bolt(payload: Payload) -> dict[str, Any]:
    """The dict bolt routes on and hands to listeners: only what was validated."""
    return payload.model_dump(mode="json", exclude_none=True)
