"""Inbound words made safe to show: no control character reaches a screen or a terminal."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from bot.conversation.inbound import (
    ButtonPressed,
    Command,
    FieldValue,
    FormSubmitted,
    InboundEvent,
    TextMessage,
)

CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 and C1 controls and DEL, but for tab and newline: an escape code in a concern could
otherwise clear, recolour or retitle a guardian's terminal, and a NUL cut it short."""


def plain(text: str) -> str:
    """`text` with line ends made newlines and every other control character dropped."""
    return CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def plain_event(event: InboundEvent) -> InboundEvent:
    """Everything a person typed or sent in `event`, made plain; the rest untouched."""
    match event:
        case TextMessage(text=text):
            return dataclasses.replace(event, text=plain(text))
        case Command(name=name, args=args):
            return dataclasses.replace(event, name=plain(name), args=tuple(map(plain, args)))
        case ButtonPressed(value=value):
            return dataclasses.replace(event, value=plain(value))
        case FormSubmitted(values=values):
            return dataclasses.replace(event, values=plain_values(values))
    return event


def plain_values(values: Mapping[str, FieldValue]) -> dict[str, FieldValue]:
    return {field: _plain_value(value) for field, value in values.items()}


def _plain_value(value: FieldValue) -> FieldValue:
    if value is None or isinstance(value, str):
        return value if value is None else plain(value)
    return tuple(map(plain, value))


__all__ = ["plain", "plain_event", "plain_values"]
