"""Replies and addresses survive the JSON round trip the outbox puts them through."""

from __future__ import annotations

import json

import pytest

from bot.conversation.actions import ActionId
from bot.conversation.codec import (
    address_from_json,
    address_to_json,
    reply_from_json,
    reply_to_json,
)
from bot.conversation.inbound import Conversation, PersonAddress, Platform
from bot.conversation.replies import (
    Attachment,
    Button,
    Buttons,
    ChoiceInput,
    Choices,
    DateTimeInput,
    FieldItem,
    Fields,
    Form,
    Link,
    Notice,
    Option,
    People,
    Reply,
    Secret,
    Text,
    TextInput,
    email_link,
    plain_text,
)

EVERY_BLOCK = Reply(
    summary="All of it",
    ephemeral=True,
    in_place=True,
    files=(Attachment(name="invite.ics", media_type="text/calendar", data=bytes(range(256))),),
    blocks=(
        Text(text="Title", heading=True),
        Text(text="Body"),
        Fields(items=(FieldItem(label="Status", value="Open"),)),
        Fields(items=(FieldItem(label="Amara", links=(email_link("a@trust.example"),)),)),
        Link(label="Staff intranet", url="https://intranet.example/speak-up"),
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
        Secret(label="Your case code", value="SU-7K3M-Q9"),
        People(
            label="Who is coming",
            people=(
                PersonAddress(platform=Platform.SLACK, tenant="T1", user_id="U123"),
                PersonAddress(platform=Platform.CONSOLE, tenant="", user_id="nurse"),
            ),
            empty="Nobody yet.",
        ),
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


def test_a_person_address_round_trips_and_says_it_is_one() -> None:
    person = PersonAddress(platform=Platform.SLACK, tenant="", user_id="U07GUARD01")
    stored = json.loads(json.dumps(address_to_json(person)))
    assert stored["kind"] == "person"
    assert address_from_json(stored) == person


def test_an_address_stored_before_there_were_two_kinds_is_a_conversation() -> None:
    queued_earlier = {
        "platform": "slack",
        "tenant": "T1",
        "channel_id": "D1",
        "user_id": "U1",
        "is_private": True,
        "extra": {},
    }
    assert address_from_json(queued_earlier) == Conversation(
        platform=Platform.SLACK, tenant="T1", channel_id="D1", user_id="U1"
    )


def test_plain_text_names_every_block() -> None:
    text = plain_text(EVERY_BLOCK)
    for expected in (
        "TITLE",
        "Body",
        "Status: Open",
        "Amara: a@trust.example",
        "Staff intranet: https://intranet.example/speak-up",
        "Go",
        "Pick: V",
        "FORM",
        "- T",
        "THANKS",
    ):
        assert expected in text
    assert "Your case code: SU-7K3M-Q9" in text.splitlines()


def test_a_stored_link_is_checked_again_when_read() -> None:
    stored = reply_to_json(Reply(summary="x", blocks=(Link(label="x", url="https://a.example"),)))
    stored["blocks"][0]["url"] = "javascript:alert(1)"
    with pytest.raises(ValueError, match="not a link"):
        reply_from_json(stored)


@pytest.mark.parametrize("name", ["../etc/passwd", ".hidden", "a/b.ics", "", "x" * 101])
def test_a_file_name_that_could_land_anywhere_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not a file name"):
        Attachment(name=name, media_type="text/calendar", data=b"")
