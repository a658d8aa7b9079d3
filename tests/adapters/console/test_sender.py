"""The console sender on its own: what a delivered message looks like on the screen."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console import ConsoleSender, console_address
from adapters.console.menu import Menu
from adapters.console.render import Pick
from adapters.console.sender import WAIT_FOR_THEM, save
from bot.conversation.actions import ActionId
from bot.conversation.inbound import Platform
from bot.conversation.outbox import DeliveryFailed, Sender
from bot.conversation.replies import Attachment, Button, Buttons, Reply, Text, say

LATER = ActionId("demo", "later")


async def test_a_delivered_message_is_printed_between_clear_markers() -> None:
    out = io.StringIO()
    sender: Sender = ConsoleSender(out, user_id="nurse")
    await sender.send(console_address("nurse"), say("Your check-in is tomorrow at 10:00."))
    assert out.getvalue() == (
        "\n--- new message ---\nYour check-in is tomorrow at 10:00.\n-------------------\n"
    )


async def test_its_options_are_numbered_and_handed_to_the_session() -> None:
    out = io.StringIO()
    menu = Menu()
    arrived: list[str] = []
    sender = ConsoleSender(out, user_id="nurse", menu=menu, arrived=lambda: arrived.append("x"))
    reply = Reply(
        summary="Reminder",
        blocks=(
            Text(text="Reminder", heading=True),
            Text(text="Time for a break?"),
            Buttons(buttons=(Button(label="Later", action=LATER, value="1h"),)),
        ),
    )
    await sender.send(console_address("nurse"), reply)
    text = out.getvalue()
    assert "--- new message ---\nReminder\n========\nTime for a break?\n  [1] Later\n---" in text
    found = menu.pressed(1)
    assert found is not None and found[0] == Pick(action=LATER, value="1h")
    assert arrived == ["x"]


async def test_a_message_arriving_under_a_list_is_numbered_after_it() -> None:
    """A number the person is typing from the list on screen must not change its meaning
    because a message came in meanwhile."""
    out = io.StringIO()
    menu = Menu()
    menu.answer([say_with(Button(label="Open", action=LATER, value="list"))])
    sender = ConsoleSender(out, user_id="nurse", menu=menu)
    await sender.send(console_address("nurse"), say_with(Button(label="Later", action=LATER)))
    assert "  [2] Later" in out.getvalue()
    assert [found[0].value for n in (1, 2) if (found := menu.pressed(n))] == ["list", ""]


def say_with(button: Button) -> Reply:
    return Reply(summary=button.label, blocks=(Buttons(buttons=(button,)),))


def test_the_console_address_is_the_local_one_person_conversation() -> None:
    address = console_address("nurse")
    assert address.platform is Platform.CONSOLE
    assert (address.tenant, address.channel_id, address.user_id) == ("local", "console", "nurse")


def test_a_file_is_never_saved_through_a_link_someone_left(tmp_path: Path) -> None:
    """Another login could leave a link named like this login's folder, pointing at one
    they can read: nothing is written there."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    link = tmp_path / "peerbot-files-1000"
    link.symlink_to(theirs)
    invite = Attachment(name="invite.ics", media_type="text/calendar", data=b"BEGIN:VCALENDAR")
    assert save([invite], link) == [f"Sorry, invite.ics couldn't be saved in {link}."]
    assert list(theirs.iterdir()) == []


async def test_a_message_for_someone_else_is_handed_back_to_wait_for_them() -> None:
    """Refused as the platform's "not now", never the message's fault: the worker keeps it
    for that person's own console and does not count it towards giving up."""
    out = io.StringIO()
    sender = ConsoleSender(out, user_id="lead")
    with pytest.raises(DeliveryFailed) as refused:
        await sender.send(console_address("nurse"), say("Your event is cancelled."))
    assert refused.value.transient and not refused.value.permanent
    assert refused.value.retry_after == WAIT_FOR_THEM
    assert out.getvalue() == ""
