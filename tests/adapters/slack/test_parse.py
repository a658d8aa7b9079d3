"""Slack payloads (shaped as Slack documents them) to neutral events, and what is not ours."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.slack import parse
from adapters.slack.payloads import (
    BlockActions,
    EventCallback,
    SlashCommand,
    ViewSubmission,
    of,
)
from bot.conversation.actions import ActionId
from bot.conversation.inbound import Platform

AT = datetime(2026, 11, 2, 3, tzinfo=UTC)


def test_peerbot_slash_command_takes_its_first_word_as_the_command() -> None:
    body = {
        "command": "/peerbot",
        "text": "support now please",
        "team_id": "T1",
        "user_id": "U1",
        "channel_id": "C1",
    }
    command = parse.slash_command(SlashCommand.model_validate(body), AT)
    assert (command.name, command.args) == ("support", ("now", "please"))
    assert command.actor.platform == Platform.SLACK and command.actor.tenant == "T1"
    assert command.conversation.is_private is False
    bare = SlashCommand.model_validate({**body, "text": ""})
    assert parse.slash_command(bare, AT).name == "help"


def message(**event: Any) -> EventCallback:
    base = {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "text": "hi",
        "ts": "1",
    }
    body = {"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": base | event}
    return EventCallback.model_validate({k: v for k, v in body.items() if v is not None})


def test_only_peoples_direct_messages_become_text() -> None:
    assert parse.message_event(message(), AT) is not None
    assert parse.message_event(message(bot_id="B1"), AT) is None
    assert parse.message_event(message(subtype="message_changed"), AT) is None
    assert parse.message_event(message(channel_type="channel", channel="C1"), AT) is None


def test_a_mention_is_stripped_and_an_empty_one_asks_for_help() -> None:
    mention = message(type="app_mention", channel_type=None, channel="C1", text="<@UBOT> support")
    event = parse.message_event(mention, AT)
    assert event is not None and event.text == "support"
    bare = parse.message_event(message(type="app_mention", channel="C1", text="<@UBOT>"), AT)
    assert bare is not None and bare.text == "help"


def test_a_select_menu_pick_carries_the_chosen_value() -> None:
    body: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "channel": {"id": "D1"},
        "actions": [
            {"type": "static_select", "action_id": "demo.mood", "selected_option": {"value": "low"}}
        ],
    }
    press = parse.block_action(actions(body), AT)
    assert press is not None and (press.action, press.value) == (ActionId("demo", "mood"), "low")
    foreign = {**body, "actions": [{"type": "button", "action_id": "someone_elses_button"}]}
    assert parse.block_action(actions(foreign), AT) is None


def actions(body: dict[str, Any]) -> BlockActions:
    payload = of(body)
    assert isinstance(payload, BlockActions)
    return payload


def submitted(body: dict[str, Any]) -> ViewSubmission:
    payload = of(body)
    assert isinstance(payload, ViewSubmission)
    return payload


def test_a_home_tab_button_answers_in_the_persons_dm() -> None:
    body = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "actions": [{"action_id": "help.open#0", "value": "support"}],
    }
    press = parse.block_action(actions(body), AT)
    assert press is not None and press.conversation.channel_id == "U1"


def test_a_modal_submission_reads_every_kind_of_input() -> None:
    body: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "ask.form",
            "private_metadata": "not json",
            "state": {
                "values": {
                    "what": {"what": {"type": "plain_text_input", "value": "A fall"}},
                    "where": {"where": {"type": "plain_text_input", "value": None}},
                    "how": {"how": {"type": "static_select", "selected_option": {"value": "open"}}},
                    "tags": {
                        "tags": {
                            "type": "checkboxes",
                            "selected_options": [{"value": "a"}, {"value": "b"}],
                        }
                    },
                    "none": {"none": {"type": "checkboxes", "selected_options": []}},
                }
            },
        },
    }
    form = parse.view_submission(submitted(body), AT)
    assert form is not None
    assert dict(form.values) == {
        "what": "A fall",
        "where": None,
        "how": "open",
        "tags": ("a", "b"),
        "none": (),
    }
    assert form.conversation.channel_id == "U1"  # unreadable metadata: answer in their DM
    foreign = submitted({**body, "view": {**body["view"], "callback_id": "x"}})
    assert parse.view_submission(foreign, AT) is None
