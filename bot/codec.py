"""Replies and addresses as JSON, for the outbox and anything else that stores them."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from bot.events import Conversation
from bot.replies import Reply

_REPLY = TypeAdapter(Reply)
_ADDRESS = TypeAdapter(Conversation)


def reply_to_json(reply: Reply) -> dict[str, Any]:
    return _REPLY.dump_python(reply, mode="json")  # type: ignore[no-any-return]


def reply_from_json(data: dict[str, Any]) -> Reply:
    return _REPLY.validate_python(data)


def address_to_json(address: Conversation) -> dict[str, Any]:
    return _ADDRESS.dump_python(address, mode="json")  # type: ignore[no-any-return]


def address_from_json(data: dict[str, Any]) -> Conversation:
    return _ADDRESS.validate_python(data)
