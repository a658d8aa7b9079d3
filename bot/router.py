"""The explicit table from commands, action ids and forms to feature handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bot.actions import ActionId
from bot.events import Actor, ButtonPressed, Command, FormSubmitted, InboundEvent, TextMessage
from bot.replies import Block, Reply
from bot.scheduling import DueSource
from bot.services import Services

logger = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")

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
    due: DueSource | None = None
    home: HomeSection | None = None
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
        self._secret_commands = {
            normalise(name) for f in self.features if f.confidential for name in f.commands
        }
        for feature in self.features:
            _merge(self._commands, {normalise(k): v for k, v in feature.commands.items()})
            _merge(self._actions, feature.actions)
            _merge(self._forms, feature.forms)

    @property
    def due_sources(self) -> list[DueSource]:
        return [f.due for f in self.features if f.due is not None]

    def confidential(self, event: InboundEvent) -> bool:
        """Whether the answer to `event` comes from a confidential feature: the one whose
        handler it reaches, or the one a button (like help's) names as its value."""
        secret = {f.name for f in self.features if f.confidential}
        match event:
            case TextMessage():
                return normalise(as_command(event).name) in self._secret_commands
            case Command(name=name):
                return normalise(name) in self._secret_commands
            case ButtonPressed(action=action, value=value):
                return action.feature in secret or value in secret
            case FormSubmitted(form=form):
                return form.feature in secret
        return False

    def answers(self, command: str) -> bool:
        """Whether a feature claims this command (a platform's manifest must not promise more)."""
        return normalise(command) in self._commands

    async def handle(self, event: InboundEvent, services: Services) -> list[Reply]:
        match event:
            case TextMessage():
                return await self._command(as_command(event), services)
            case Command():
                return await self._command(event, services)
            case ButtonPressed(action=action):
                if handler := self._actions.get(action):
                    return await handler(event, services)
                logger.info("unknown action %s", action)
            case FormSubmitted(form=form):
                if form_handler := self._forms.get(form):
                    return await form_handler(event, services)
                logger.info("unknown form %s", form)
        return await self._fallback(as_unknown(event), services)

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


def _merge(table: dict[K, V], entries: Mapping[K, V]) -> None:
    for key, value in entries.items():
        if key in table:
            raise ValueError(f"{key} is claimed by two features")
        table[key] = value
