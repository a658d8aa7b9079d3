"""Mentoring's one entry in the router table: people's check-ins and their pairing, the
coordinators' tools, and what the feature does on its own (the tick's rounds)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from bot.conversation.actions import ActionId
from bot.conversation.inbound import Actor, ButtonPressed, Command, FormSubmitted
from bot.conversation.needs import Handler, Needs, given
from bot.conversation.replies import Block
from bot.conversation.router import Feature
from bot.conversation.services import Services
from bot.conversation.tick import SelfMarking
from bot.mentoring import (
    changes,
    checkin,
    coordinator,
    coordinatorforms,
    feedback,
    myhours,
    view,
)
from bot.mentoring.actions import (
    ADD_PAIR,
    CHECK_IN,
    FEEDBACK,
    HEALTH,
    HOURS,
    LEAVE,
    LEAVE_FORM,
    NAME,
    OPEN_PAIR,
    PAIRS,
    PAUSE,
    PAUSE_FORM,
    RECORD_ACTIONS,
    RESUME,
    SCHEDULE,
    SNOOZE,
    SNOOZE_FORM,
)
from bot.mentoring.deps import Mentoring
from bot.mentoring.due import due

E = TypeVar("E", Command, ButtonPressed, FormSubmitted)
Uses = Needs[E, Mentoring]

COMMANDS: Mapping[str, Handler[Command] | Uses[Command]] = {
    "mentoring": Needs(view.show),  # first: help's button and home pages open it
    "mentor": Needs(view.show),
}
ACTIONS: Mapping[ActionId, Handler[ButtonPressed] | Uses[ButtonPressed]] = {
    CHECK_IN: Needs(checkin.pressed_check_in),
    SNOOZE: changes.pressed_snooze,
    PAUSE: changes.pressed_pause,
    RESUME: changes.pressed_resume,
    LEAVE: changes.pressed_leave,
    HOURS: myhours.asked,
    FEEDBACK: Needs(feedback.asked),
    HEALTH: Needs(coordinator.pressed_health),
    PAIRS: coordinator.pressed_pairs,
    OPEN_PAIR: Needs(coordinator.pressed_open_pair),
    ADD_PAIR: coordinatorforms.pressed_add,
    SCHEDULE: coordinatorforms.pressed_schedule,
}
FORMS: Mapping[ActionId, Handler[FormSubmitted] | Uses[FormSubmitted]] = {
    CHECK_IN: Needs(checkin.checked_in),
    RECORD_ACTIONS: Needs(checkin.actions_recorded),
    SNOOZE_FORM: changes.snoozed,
    PAUSE_FORM: changes.paused,
    LEAVE_FORM: changes.left,
    HOURS: myhours.saved,
    FEEDBACK: Needs(feedback.given),
    ADD_PAIR: coordinatorforms.pair_added,
    SCHEDULE: coordinatorforms.schedule_saved,
}


def feature(deps: Mentoring) -> Feature:
    async def home(actor: Actor, services: Services) -> list[Block]:
        return await view.page(actor, services, deps)

    return Feature(
        name=NAME,
        title="Mentoring",
        summary="Check-ins for your mentoring pair, and who coordinates each programme.",
        commands=given(COMMANDS, deps),
        actions=given(ACTIONS, deps),
        forms=given(FORMS, deps),
        due=SelfMarking(due),
        home=home,
    )
