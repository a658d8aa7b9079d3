"""Slack's typed payloads -> neutral events. Pure functions: one that is not ours gives None."""

from __future__ import annotations

import json
import re
from datetime import datetime

from adapters.slack.payloads import (
    BlockActions,
    EventCallback,
    MessageEvent,
    SlashCommand,
    ViewSubmission,
)
from bot.conversation.actions import ActionId
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Command,
    Conversation,
    FieldValue,
    FormSubmitted,
    Platform,
    Surface,
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


def slash_command(body: SlashCommand, at: datetime) -> Command:
    """`/support some words` -> Command("support", ("some", "words")); `/peerbot` is help."""
    name = body.command.lstrip("/")
    words = body.text.split()
    if name in HELP_COMMANDS:
        name, words = (words[0], words[1:]) if words else ("help", [])
    return Command(
        actor=actor(body.team_id, body.user_id),
        conversation=conversation(body.team_id, body.channel_id, body.user_id),
        at=at,
        name=name,
        args=tuple(words),
        surface=Surface(
            can_open_form=body.trigger_id is not None, asker_only=body.response_url is not None
        ),
    )


def message_event(body: EventCallback, at: datetime) -> TextMessage | None:
    """A person's DM or mention. Bots (ourselves included), edits and joins are not."""
    event = body.event
    if not isinstance(event, MessageEvent) or event.bot_id or event.subtype or not event.user:
        return None
    if event.type == "message" and event.channel_type != "im":
        return None
    text = MENTION.sub("", event.text).strip()
    team = body.team_id or event.team or ""
    return TextMessage(
        actor=actor(team, event.user),
        conversation=conversation(team, event.channel, event.user),
        at=at,
        text=text or "help",
    )


def block_action(body: BlockActions, at: datetime) -> ButtonPressed | None:
    action = body.actions[0]
    try:
        action_id = ActionId.parse(action.action_id.split("#", 1)[0])
    except ValueError:
        return None
    team, user = body.team.id, body.user.id
    in_modal = metadata_of(body.view.private_metadata if body.view else "").get("channel")
    channel = (body.channel.id if body.channel else None) or in_modal or user
    return ButtonPressed(
        actor=actor(team, user),
        conversation=conversation(team, channel, user),
        at=at,
        action=action_id,
        value=action.chosen,
        surface=Surface(
            in_form=body.view is not None,
            on_message=body.view is None and body.response_url is not None,
            can_open_form=body.trigger_id is not None,
            asker_only=body.response_url is not None,
        ),
    )


CARRIED = "="
"""Marks a form's carried value in private_metadata (see render.carry)."""


def view_submission(body: ViewSubmission, at: datetime) -> FormSubmitted | None:
    view = body.view
    try:
        form = ActionId.parse(view.callback_id)
    except ValueError:
        return None
    values: dict[str, FieldValue] = {}
    for block_id, elements in view.state.values.items():
        for element in elements.values():
            values[block_id] = element.answer
    team, user = body.team.id, body.user.id
    meta = metadata_of(view.private_metadata)
    carried = {k.removeprefix(CARRIED): v for k, v in meta.items() if k.startswith(CARRIED)}
    values = {**values, **carried}
    return FormSubmitted(
        actor=actor(team, user),
        conversation=conversation(team, meta.get("channel") or user, user),
        at=at,
        form=form,
        values=values,
        submission=view.id,
        surface=Surface(in_form=True),
    )


def metadata_of(text: str) -> dict[str, str]:
    """peerbot's own private_metadata (JSON it wrote); anything unreadable counts as none."""
    try:
        data = json.loads(text) if text else {}
    except (json.JSONDecodeError, RecursionError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
