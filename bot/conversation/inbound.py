"""Neutral inbound events: what a person did, with who did it and where to answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.conversation.actions import ActionId

FieldValue = str | tuple[str, ...] | None
"""A submitted form field: text, the chosen option keys of a multi-choice, or nothing."""


class Platform(StrEnum):
    CONSOLE = "console"
    SLACK = "slack"
    TEAMS = "teams"
    WEB = "web"  # the speak-up web form: no accounts, nobody to message back


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """The person behind an event, as their platform knows them.

    `time_zone` is an IANA name when the platform tells us one; features fall back
    to the organisation's zone, never to the server's.
    """

    platform: Platform
    tenant: str
    user_id: str
    time_zone: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversation:
    """Where to answer, stored so a reply can be sent later from the outbox.

    `extra` carries what a platform needs beyond the ids (a Teams service URL, a
    Slack thread) as plain strings, so an address survives a JSON round trip.
    """

    platform: Platform
    tenant: str
    channel_id: str
    user_id: str | None = None
    is_private: bool = True
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonAddress:
    """A person to message directly, by who they are rather than where: the outbox finds
    their conversation with peerbot in the stored references (or asks their platform to
    open one), since an id is not an address on every platform (Teams needs a service URL
    and a conversation id that only an earlier message from them gives).

    `tenant` is empty when the person is known only by a platform user id (the org file).
    """

    platform: Platform
    tenant: str
    user_id: str


Address = Conversation | PersonAddress
"""Where an outgoing message goes: a known conversation, or a person wherever they are."""


def person_of(actor: Actor) -> PersonAddress:
    """Where to message this person later, directly, whichever conversation they acted in."""
    return PersonAddress(platform=actor.platform, tenant=actor.tenant, user_id=actor.user_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Surface:
    """Where an event came from and what its platform can do in answer right now: the
    neutral facts the reply plan (bot.conversation.plan) decides with.

    `in_form`: it came from inside a form still on screen (a button in a Slack modal, a
    submitted form), so answers take that form's place. `on_message`: a button on a message
    the platform can update in place. `can_open_form`: a form can be opened now (Slack
    needs a trigger id, good for three seconds; the console and the web always can).
    `asker_only`: the platform shows every answer to this event to the asker alone (a
    Slack slash command's or button's response URL).
    """

    in_form: bool = False
    on_message: bool = False
    can_open_form: bool = False
    asker_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TextMessage:
    actor: Actor
    conversation: Conversation
    at: datetime
    surface: Surface = Surface()
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A named command (`/support`, or `support` typed in a DM) with its arguments."""

    actor: Actor
    conversation: Conversation
    at: datetime
    surface: Surface = Surface()
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPressed:
    """A button or a stand-alone choice picked; `value` is the option or button value."""

    actor: Actor
    conversation: Conversation
    at: datetime
    surface: Surface = Surface()
    action: ActionId
    value: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FormSubmitted:
    """`submission` is the platform's id for this filled-in form (a Slack view id, the web
    form's one-time token), so the same form sent twice can be told apart from two forms;
    empty where the platform cannot send a form twice (the console)."""

    actor: Actor
    conversation: Conversation
    at: datetime
    surface: Surface = Surface()
    form: ActionId
    values: Mapping[str, FieldValue]
    submission: str = ""


InboundEvent = TextMessage | Command | ButtonPressed | FormSubmitted
