"""Neutral inbound events: what a person did, with who did it and where to answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.actions import ActionId

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
class TextMessage:
    actor: Actor
    conversation: Conversation
    at: datetime
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A named command (`/support`, or `support` typed in a DM) with its arguments."""

    actor: Actor
    conversation: Conversation
    at: datetime
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPressed:
    """A button or a stand-alone choice picked; `value` is the option or button value."""

    actor: Actor
    conversation: Conversation
    at: datetime
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
    form: ActionId
    values: Mapping[str, FieldValue]
    submission: str = ""


InboundEvent = TextMessage | Command | ButtonPressed | FormSubmitted
