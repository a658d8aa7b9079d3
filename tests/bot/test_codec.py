"""Replies and addresses survive the JSON round trip the outbox puts them through."""

from __future__ import annotations

import json

from bot.actions import ActionId
from bot.codec import address_from_json, address_to_json, reply_from_json, reply_to_json
from bot.events import Conversation, Platform
from bot.replies import (
    Button,
    Buttons,
    ChoiceInput,
    Choices,
    DateTimeInput,
    FieldItem,
    Fields,
    Form,
    Notice,
    Option,
    Reply,
    Text,
    TextInput,
    plain_text,
)

EVERY_BLOCK = Reply(
    summary="All of it",
    ephemeral=True,
    blocks=(
        Text(text="Title", heading=True),
        Text(text="Body"),
        Fields(items=(FieldItem(label="Status", value="Open"),)),
        Buttons(
            buttons=(Button(label="Go", action=ActionId("a", "go"), value="1", style="primary"),)
        ),
        Choices(
            label="Pick", action=ActionId("a", "pick"), options=(Option(value="v", label="V"),)
        ),
        Form(
            form=ActionId("a", "form"),
            title="Form",
            inputs=(
                TextInput(field="t", label="T", multiline=True, initial="typed"),
                ChoiceInput(field="c", label="C", options=(Option(value="o", label="O"),)),
                DateTimeInput(field="d", label="D", required=False),
            ),
            errors={"t": "Please fill this in."},
        ),
        Notice(title="Thanks", text="Done"),
    ),
)


def test_every_block_round_trips_through_json_text() -> None:
    stored = json.loads(json.dumps(reply_to_json(EVERY_BLOCK)))
    assert reply_from_json(stored) == EVERY_BLOCK


def test_an_address_round_trips_with_its_platform_extras() -> None:
    address = Conversation(
        platform=Platform.TEAMS,
        tenant="t1",
        channel_id="a:1",
        user_id="29:x",
        extra={"service_url": "https://smba.example/"},
    )
    stored = json.loads(json.dumps(address_to_json(address)))
    assert address_from_json(stored) == address
    assert stored["platform"] == "teams"


def test_plain_text_names_every_block() -> None:
    text = plain_text(EVERY_BLOCK)
    for expected in ("TITLE", "Body", "Status: Open", "Go", "Pick: V", "FORM", "- T", "THANKS"):
        assert expected in text
