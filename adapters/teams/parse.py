"""Activity JSON -> neutral events. Pure functions: an activity that is not ours gives None.

Only the fields peerbot reads are modelled, strictly, so an odd activity is dropped whole
rather than half-read; nothing here logs or keeps what anyone wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from adapters.teams.render import DATA, TIME_SUFFIX
from bot.conversation.actions import ActionId
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Conversation,
    FieldValue,
    FormSubmitted,
    InboundEvent,
    Platform,
    Surface,
    TextMessage,
)

Id = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"^[^\x00\s]+$")]
"""Teams ids (`29:1a...`, `a:1x...`, `19:abc@thread.tacv2;messageid=1`): they become addresses."""
Name = Annotated[str, StringConstraints(max_length=255, pattern=r"^[^\x00]*$")]
Words = Annotated[str, StringConstraints(max_length=40_000, pattern=r"^[^\x00]*$")]
Sealed = Annotated[str, StringConstraints(max_length=30_000, pattern=r"^[A-Za-z0-9_=-]*$")]
"""A reply sealed by peerbot (adapters.tokens), opened only by it."""
"""What people typed; Teams' own limit for a message is about 28 KB."""

PERSONAL = "personal"
SERVICE_URL = "service_url"
KIND = "type"
"""The keys of a Teams conversation's `extra`: where its service is, and what kind it is."""
MENTION = re.compile(r"<at>[^<]*</at>")


class Teams(BaseModel):
    """Strict and frozen; `hide_input_in_errors` keeps people's words out of any error text."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore", hide_input_in_errors=True)


class Account(Teams):
    id: Id
    aadObjectId: Name | None = None

    @property
    def person(self) -> str:
        """Who this is across Microsoft 365: their Entra object id, which an administrator
        finds in Entra and writes in the organisation file, and which Teams takes to open
        a chat with them; the Teams id (`29:...`, peerbot's alone) when there is none."""
        return self.aadObjectId or self.id


class ConversationAccount(Teams):
    id: Id
    conversationType: Name | None = None
    tenantId: Name | None = None


class Tenant(Teams):
    id: Name


class ChannelData(Teams):
    tenant: Tenant | None = None


class Entity(Teams):
    type: Name
    text: Words | None = None
    mentioned: Account | None = None
    timezone: Name | None = None


class Activity(Teams):
    type: Name
    id: Name = ""
    name: Name | None = None
    serviceUrl: Annotated[str, StringConstraints(max_length=2048)]
    sender: Account = Field(alias="from")
    recipient: Account
    conversation: ConversationAccount
    text: Words = ""
    value: Any = None
    replyToId: Name | None = None
    entities: tuple[Entity, ...] = ()
    channelData: ChannelData | None = None
    membersAdded: tuple[Account, ...] | None = None


class Data(Teams):
    """What peerbot put in a card action (adapters.teams.render): a button's action and
    value, a form's name and what it carries, or an opener's sealed form."""

    action: Name | None = None
    value: Words = ""
    pick: Name | None = None
    form: Name | None = None
    carried: dict[Name, Words] = Field(default_factory=dict, max_length=50)
    multiple: tuple[Name, ...] = Field(default=(), max_length=100)
    datetimes: tuple[Name, ...] = Field(default=(), max_length=100)
    sent: Name = ""
    sealed: Sealed | None = None
    spec: Sealed | None = None


class Via(StrEnum):
    """How an activity reached peerbot, which decides how it can be answered."""

    MESSAGE = "message"
    """A message or a card's button in a conversation: answered with messages there."""
    FETCH = "task/fetch"
    """A button asking for a dialog: answered with what the dialog shows."""
    SUBMIT = "task/submit"
    """A dialog's form or button sent: answered with what the dialog shows next."""
    CARD_ACTION = "adaptiveCard/action"
    """A Universal Action: answered with the card that takes the pressed one's place."""
    INSTALL = "install"
    """peerbot added to a personal chat, a group chat or a team."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbound:
    """One activity, parsed: `event` for the core (None for an install, an opener and a
    dialog whose button is not ours), `card` the message a card action came from (to be
    updated in place), `sealed` an opener's sealed form, `spec` a sent form's own sealed
    copy."""

    via: Via
    actor: Actor
    conversation: Conversation
    activity_id: str
    event: InboundEvent | None = None
    card: str = ""
    sealed: str = ""
    spec: str = ""


def parse(body: object, at: datetime) -> Inbound | None:
    """The activity as peerbot sees it, or None when it is nothing peerbot answers (a typing
    indicator, a reaction, someone else joining a team, a card that is not ours)."""
    try:
        activity = Activity.model_validate(body, strict=False)
    except ValidationError:
        return None
    actor, where = _actor(activity), _conversation(activity)
    base = Inbound(
        via=Via.MESSAGE,
        actor=actor,
        conversation=where,
        activity_id=activity.id,
        card=activity.replyToId or "",
    )
    value = activity.value if isinstance(activity.value, dict) else {}
    match activity.type, activity.name:
        case "message", _ if activity.value is None:
            return replace(base, event=_said(activity, actor, where, at))
        case "message", _:
            on_card = Surface(on_message=bool(activity.replyToId), can_open_form=True)
            pressed = _from_card(base, value, at, on_card)
            return pressed if pressed is not None and pressed.event is not None else None
        case "invoke", Via.FETCH | Via.SUBMIT:
            # a dialog's answers take its place, as answers to a press in a form do
            in_dialog = Surface(in_form=True, can_open_form=True, asker_only=True)
            payload = value.get("data")
            pressed = _from_card(replace(base, via=Via(activity.name)), payload, at, in_dialog)
            return pressed or replace(base, via=Via(activity.name))
        case "invoke", Via.CARD_ACTION:
            action = value.get("action")
            payload = action.get("data") if isinstance(action, dict) else None
            on_card = Surface(on_message=True)
            pressed = _from_card(replace(base, via=Via.CARD_ACTION), payload, at, on_card)
            return pressed or replace(base, via=Via.CARD_ACTION)
        case "conversationUpdate", _ if any(
            m.id == activity.recipient.id for m in activity.membersAdded or ()
        ):
            return replace(base, via=Via.INSTALL)
    return None


def _from_card(base: Inbound, payload: object, at: datetime, surface: Surface) -> Inbound | None:
    """What a card action carried: an opener's sealed form, or a press or a form sent; None
    when it carried nothing of peerbot's."""
    data, inputs = _data(payload)
    if data is None:
        return None
    if data.sealed:
        return replace(base, sealed=data.sealed) if base.via == Via.FETCH else None
    event = _pressed(data, inputs, base.actor, base.conversation, at, surface)
    return replace(base, event=event, spec=data.spec or "")


def _actor(activity: Activity) -> Actor:
    zones = [e.timezone for e in activity.entities if e.type == "clientInfo" and e.timezone]
    return Actor(
        platform=Platform.TEAMS,
        tenant=_tenant(activity),
        user_id=activity.sender.person,
        time_zone=zones[0] if zones else None,
    )


def _tenant(activity: Activity) -> str:
    data = activity.channelData
    return activity.conversation.tenantId or (data.tenant.id if data and data.tenant else "")


def _conversation(activity: Activity) -> Conversation:
    kind = activity.conversation.conversationType or PERSONAL
    return Conversation(
        platform=Platform.TEAMS,
        tenant=_tenant(activity),
        channel_id=activity.conversation.id,
        user_id=activity.sender.person,
        is_private=kind == PERSONAL,
        extra={SERVICE_URL: activity.serviceUrl, KIND: kind},
    )


def _said(activity: Activity, actor: Actor, where: Conversation, at: datetime) -> TextMessage:
    """A typed message, without the mention of peerbot that brought it from a channel."""
    text = activity.text
    for entity in activity.entities:
        mentioned = entity.mentioned
        if entity.type == "mention" and mentioned and mentioned.id == activity.recipient.id:
            text = text.replace(entity.text or "", " ")
    text = " ".join(MENTION.sub(" ", text).split())
    return TextMessage(
        actor=actor,
        conversation=where,
        at=at,
        text=text or "help",
        surface=Surface(can_open_form=True),
    )


def _data(payload: object) -> tuple[Data | None, dict[str, str]]:
    """peerbot's data in a card action, and the inputs Teams sent beside it."""
    if not isinstance(payload, dict) or not isinstance(payload.get(DATA), dict):
        return None, {}
    try:
        data = Data.model_validate(payload[DATA], strict=False)
    except ValidationError:
        return None, {}
    inputs = {
        str(k): v for k, v in payload.items() if k not in {DATA, "msteams"} and isinstance(v, str)
    }
    return data, inputs


def _pressed(
    data: Data,
    inputs: dict[str, str],
    actor: Actor,
    where: Conversation,
    at: datetime,
    surface: Surface,
) -> ButtonPressed | FormSubmitted | None:
    """A form sent (its answers read back into the core's shapes) or a button pressed."""
    try:
        if data.form is not None:
            return FormSubmitted(
                actor=actor,
                conversation=where,
                at=at,
                form=ActionId.parse(data.form),
                values={**_answers(data, inputs), **data.carried},
                submission=data.sent,
                surface=Surface(in_form=True, asker_only=surface.asker_only),
            )
        if data.action is not None:
            value = inputs.get(data.pick, "") if data.pick else data.value
            return ButtonPressed(
                actor=actor,
                conversation=where,
                at=at,
                action=ActionId.parse(data.action),
                value=value,
                surface=surface,
            )
    except ValueError:
        return None
    return None


def _answers(data: Data, inputs: dict[str, str]) -> dict[str, FieldValue]:
    """Teams sends every answer as text: a multi-choice as `a,b`, a date and a time as two."""
    answers: dict[str, FieldValue] = {}
    for name, text in inputs.items():
        if name.endswith(TIME_SUFFIX) and name.removesuffix(TIME_SUFFIX) in data.datetimes:
            continue
        if name in data.multiple:
            answers[name] = tuple(v for v in text.split(",") if v)
        elif name in data.datetimes:
            time = inputs.get(name + TIME_SUFFIX, "")
            answers[name] = f"{text}T{time}" if text or time else None
        else:
            answers[name] = text
    for name in data.datetimes:  # a time given without a date still counts as an answer
        if name not in answers and inputs.get(name + TIME_SUFFIX):
            answers[name] = "T" + inputs[name + TIME_SUFFIX]
    return answers
