"""Replies and addresses as JSON, for the outbox and anything else that stores them."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from bot.conversation.inbound import Address, Conversation, PersonAddress
from bot.conversation.replies import Reply

_REPLY = TypeAdapter(Reply)
_CONVERSATION = TypeAdapter(Conversation)
_PERSON = TypeAdapter(PersonAddress)
CONVERSATION, PERSON = "conversation", "person"
"""The `kind` of a stored address. Addresses stored before there were two kinds have
none, and are conversations."""


def reply_to_json(reply: Reply) -> dict[str, Any]:
    return _REPLY.dump_python(reply, mode="json")  # type: ignore[no-any-return]


def reply_from_json(data: dict[str, Any]) -> Reply:
    return _REPLY.validate_python(data)


def address_to_json(address: Address) -> dict[str, Any]:
    if isinstance(address, PersonAddress):
        return {"kind": PERSON, **_PERSON.dump_python(address, mode="json")}
    return {"kind": CONVERSATION, **_CONVERSATION.dump_python(address, mode="json")}


def address_from_json(data: dict[str, Any]) -> Address:
    fields = {k: v for k, v in data.items() if k != "kind"}
    kind = data.get("kind", CONVERSATION)
    if kind == PERSON:
        return _PERSON.validate_python(fields)
    if kind == CONVERSATION:
        return _CONVERSATION.validate_python(fields)
    raise ValueError(f"unknown kind of address {kind!r}")
