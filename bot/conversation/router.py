"""The explicit table from commands, action ids and forms to feature handlers."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from bot.conversation.actions import ActionId
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Command,
    FormSubmitted,
    InboundEvent,
    TextMessage,
)
from bot.conversation.payloads import BadPayload, named_feature
from bot.conversation.plain import plain_event
from bot.conversation.references import References
from bot.conversation.replies import Block, Reply
from bot.conversation.services import Services
from bot.conversation.tick import Chore, Source

logger = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")
E = TypeVar("E", ButtonPressed, FormSubmitted)

CommandHandler = Callable[[Command, Services], Awaitable[list[Reply]]]
ActionHandler = Callable[[ButtonPressed, Services], Awaitable[list[Reply]]]
FormHandler = Callable[[FormSubmitted, Services], Awaitable[list[Reply]]]
HomeSection = Callable[[Actor, Services], Awaitable[list[Block]]]
"""A feature's part of someone's home page (Slack's App Home, the console's `home`)."""


@dataclass(frozen=True, kw_only=True)
class Feature:
    """One feature's entry in the table. `commands` maps each name (and alias) it answers."""

    name: str
    title: str
    summary: str
    commands: Mapping[str, CommandHandler]
    actions: Mapping[ActionId, ActionHandler] = field(default_factory=dict)
    forms: Mapping[ActionId, FormHandler] = field(default_factory=dict)
    due: Source | None = None
    chores: Sequence[Chore] = ()
    home: HomeSection | None = None
    spotted: Mapping[re.Pattern[str], str] = field(default_factory=dict)
    """Whole messages that stand for one of its commands, which gets the message as its one
    argument: a pasted case code means "look this case up"."""
    listed: bool = True
    confidential: bool = False
    """Its replies may speak of a speak-up case: they are only ever queued sealed."""


class Router:
    """Routes each event to exactly one handler; anything unknown gets help, never silence."""

    def __init__(self, features: Sequence[Feature], *, fallback: CommandHandler) -> None:
        self.features = tuple(features)
        self._fallback = fallback
        self._commands: dict[str, CommandHandler] = {}
        self._actions: dict[ActionId, ActionHandler] = {}
        self._forms: dict[ActionId, FormHandler] = {}
        self._references = References()
        self._spotted = [(p, normalise(n)) for f in self.features for p, n in f.spotted.items()]
        self._secret_commands = {
            normalise(name) for f in self.features if f.confidential for name in f.commands
        }
        self._secret_features = {f.name for f in self.features if f.confidential}
        for feature in self.features:
            _owned(feature)
            _merge(self._commands, {normalise(k): v for k, v in feature.commands.items()})
            _merge(self._actions, feature.actions)
            _merge(self._forms, feature.forms)

    @property
    def due_sources(self) -> list[Source]:
        return [f.due for f in self.features if f.due is not None]

    @property
    def chores(self) -> list[Chore]:
        return [chore for f in self.features for chore in f.chores]

    def confidential(self, event: InboundEvent) -> bool:
        """Whether the answer to `event` comes from a confidential feature: the one whose
        handler it reaches, or the one a button (like help's) names as its value."""
        match event:
            case TextMessage():
                return normalise(self.command_of(event).name) in self._secret_commands
            case Command(name=name):
                return normalise(name) in self._secret_commands
            case ButtonPressed(action=action, value=value):
                return self.confidential_action(action, value)
            case FormSubmitted(form=form):
                return self.confidential_action(form)
        return False

    def confidential_action(self, action: ActionId, value: str = "") -> bool:
        """Whether pressing this button (or sending this form) reaches a confidential
        feature: asked before the press too, by a platform that must choose where its
        answer will be shown (Teams opens it in a dialog, out of the chat's history)."""
        return (
            action.feature in self._secret_features or named_feature(value) in self._secret_features
        )

    def answers(self, command: str) -> bool:
        """Whether a feature claims this command (a platform's manifest must not promise more)."""
        return normalise(command) in self._commands

    async def handle(self, event: InboundEvent, services: Services) -> list[Reply]:
        """Every platform's events come here, so this is where words from outside are made
        plain (see bot.conversation.plain), once, so no feature can forget it; and where
        people's conversation references are taken (never from a confidential event)."""
        event = plain_event(event)
        await self._references.noticed(event, services.db, confidential=self.confidential(event))
        match event:
            case TextMessage():
                return await self._command(self.command_of(event), services)
            case Command():
                return await self._command(event, services)
            case ButtonPressed(action=action):
                if (
                    done := await _answer("action", self._actions.get(action), event, services)
                ) is not None:
                    return done
            case FormSubmitted(form=form):
                if (
                    done := await _answer("form", self._forms.get(form), event, services)
                ) is not None:
                    return done
        return await self._fallback(as_unknown(event), services)

    def command_of(self, message: TextMessage) -> Command:
        """Typed text as a command: its first word, or its first two words ("speak up"),
        or the whole message when a feature spots it (a pasted case code)."""
        command = as_command(message)
        if normalise(command.name) in self._commands or not command.name:
            return command
        if command.args and normalise(command.name + command.args[0]) in self._commands:
            return replace(command, name=command.name + command.args[0], args=command.args[1:])
        text = message.text.strip()
        for pattern, name in self._spotted:
            if pattern.fullmatch(text):
                return replace(command, name=name, args=(text,))
        return command

    async def _command(self, command: Command, services: Services) -> list[Reply]:
        handler = self._commands.get(normalise(command.name), self._fallback)
        return await handler(command, services)


def normalise(name: str) -> str:
    """`/Speak-Up` and `speakup` are the same command."""
    return name.strip().lstrip("/").lower().replace("-", "").replace("_", "")


def as_command(message: TextMessage) -> Command:
    """Typed text is a command when its first word names one; the rest are its arguments.

    Unknown words become a command nobody answers, so the fallback (help) replies.
    """
    words = message.text.split()
    return Command(
        actor=message.actor,
        conversation=message.conversation,
        at=message.at,
        name=words[0] if words else "",
        args=tuple(words[1:]),
    )


def as_unknown(event: ButtonPressed | FormSubmitted) -> Command:
    """An event no handler claims, as a command the fallback can answer."""
    return Command(
        actor=event.actor, conversation=event.conversation, at=event.at, name="", args=()
    )


def _owned(feature: Feature) -> None:
    """A feature's buttons and forms are named for it: `confidential` knows a press of a
    speak-up button by its name alone, whichever adapter saw it."""
    strays = sorted(str(a) for a in (*feature.actions, *feature.forms) if a.feature != feature.name)
    if strays:
        raise ValueError(f"{feature.name} claims actions named for another feature: {strays}")


async def _answer(
    what: str,
    handler: Callable[[E, Services], Awaitable[list[Reply]]] | None,
    event: E,
    services: Services,
) -> list[Reply] | None:
    """A button's or form's handler's answer; None, for help to answer instead, when no
    handler claims it or its payload is not one of ours (logged by kind, never by value)."""
    key = event.action if isinstance(event, ButtonPressed) else event.form
    if handler is None:
        logger.info("unknown %s %s", what, key)
        return None
    try:
        return await handler(event, services)
    except BadPayload as bad:
        logger.info("%s %s: %s", what, key, bad)
        return None


def _merge(table: dict[K, V], entries: Mapping[K, V]) -> None:
    for key, value in entries.items():
        if key in table:
            raise ValueError(f"{key} is claimed by two features")
        table[key] = value
