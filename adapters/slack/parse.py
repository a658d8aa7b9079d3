"""Slack payloads -> neutral events. Pure functions: a payload that is not ours gives None."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.actions import ActionId
from bot.events import (
    Actor,
    ButtonPressed,
    Command,
    Conversation,
    FieldValue,
    FormSubmitted,
    Platform,
    TextMessage,
)

MENTION = re.compile(r"<@[A-Z0-9]+>")
HELP_COMMANDS = {"peerbot"}


def actor(team_id: str, user_id: str) -> Actor:
    return Actor(platform=Platform.SLACK, tenant=team_id, user_id=user_id)


def conversation(team_id: str, channel_id: str, user_id: str | None) -> Conversation:
    return Conversation(
        platform=Platform.SLACK,
        tenant=team_id,
        channel_id=channel_id,
        user_id=user_id,
        is_private=channel_id.startswith("D"),
    )


def slash_command(body: Mapping[str, Any], at: datetime) -> Command:
    """`/support some words` -> Command("support", ("some", "words")); `/peerbot` is help."""
    name = str(body["command"]).lstrip("/")
    words = str(body.get("text", "")).split()
    if name in HELP_COMMANDS:
        name, words = (words[0], words[1:]) if words else ("help", [])
    team, user = str(body["team_id"]), str(body["user_id"])
    return Command(
        actor=actor(team, user),
        conversation=conversation(team, str(body["channel_id"]), user),
        at=at,
        name=name,
        args=tuple(words),
    )


def message_event(body: Mapping[str, Any], at: datetime) -> TextMessage | None:
    """A person's DM or mention. Bots (ourselves included), edits and joins are not."""
    event = body["event"]
    if event.get("bot_id") or event.get("subtype") or "user" not in event:
        return None
    if event["type"] == "message" and event.get("channel_type") != "im":
        return None
    text = MENTION.sub("", str(event.get("text", ""))).strip()
    team, user = str(body.get("team_id") or event.get("team", "")), str(event["user"])
    return TextMessage(
        actor=actor(team, user),
        conversation=conversation(team, str(event["channel"]), user),
        at=at,
        text=text or "help",
    )


def block_action(body: Mapping[str, Any], at: datetime) -> ButtonPressed | None:
    action = body["actions"][0]
    try:
        action_id = ActionId.parse(str(action["action_id"]).split("#", 1)[0])
    except ValueError:
        return None
    value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
    team, user = str(body["team"]["id"]), str(body["user"]["id"])
    in_modal = _metadata((body.get("view") or {}).get("private_metadata", "")).get("channel")
    channel = (body.get("channel") or {}).get("id") or in_modal or user
    return ButtonPressed(
        actor=actor(team, user),
        conversation=conversation(team, channel, user),
        at=at,
        action=action_id,
        value=str(value),
    )


def view_submission(body: Mapping[str, Any], at: datetime) -> FormSubmitted | None:
    view = body["view"]
    try:
        form = ActionId.parse(str(view["callback_id"]))
    except ValueError:
        return None
    values: dict[str, FieldValue] = {}
    for block_id, elements in view["state"]["values"].items():
        for element in elements.values():
            values[block_id] = _value(element)
    team, user = str(body["team"]["id"]), str(body["user"]["id"])
    meta = _metadata(view.get("private_metadata", ""))
    return FormSubmitted(
        actor=actor(team, user),
        conversation=conversation(team, meta.get("channel") or user, user),
        at=at,
        form=form,
        values=values,
        submission=str(view.get("id", "")),
    )


def _value(element: Mapping[str, Any]) -> FieldValue:
    kind = element.get("type")
    if kind in {"checkboxes", "multi_static_select"}:
        return tuple(str(o["value"]) for o in element.get("selected_options") or [])
    if kind in {"static_select", "radio_buttons"}:
        option = element.get("selected_option")
        return str(option["value"]) if option else None
    value = element.get("value")
    return str(value) if value is not None else None


def _metadata(text: str) -> dict[str, str]:
    try:
        data = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
