"""Network events' one entry in the router table: the staff's events and networks, the
leads' tools, and what the feature does on its own (offers that run out, reminders)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TypeVar

from bot.conversation.actions import ActionId
from bot.conversation.inbound import Actor, ButtonPressed, Command, FormSubmitted
from bot.conversation.needs import Handler, Needs, given
from bot.conversation.replies import Block
from bot.conversation.router import Feature
from bot.conversation.services import Services
from bot.conversation.tick import Chore, SelfMarking
from bot.events import (
    actions,
    announce,
    attendees,
    catalogue,
    leads,
    listing,
    networks,
    places,
    signup,
)
from bot.events.actions import NAME
from bot.events.deps import Events
from bot.events.due import reminders

E = TypeVar("E", Command, ButtonPressed, FormSubmitted)
Uses = Needs[E, Events]


COMMANDS: Mapping[str, Handler[Command] | Uses[Command]] = {
    "events": leads.routed(listing.show),  # first: help's button and home pages open it
    "event": leads.routed(listing.show),
    "myevents": listing.mine_typed,
    **networks.COMMANDS,
    "newevent": leads.new_event,
    "manageevents": leads.manage,
}
ACTIONS: Mapping[ActionId, Handler[ButtonPressed] | Uses[ButtonPressed]] = {
    actions.OPEN: Needs(listing.open_event),
    actions.SIGN_UP: Needs(signup.sign_up),
    actions.CANCEL: Needs(signup.cancel),
    actions.CLAIM: Needs(signup.claim),
    actions.DECLINE: Needs(signup.decline),
    actions.NEEDS: Needs(signup.ask_needs),
    **networks.ACTIONS,
    leads.NEW: leads.new_event,
    leads.MANAGE: leads.manage,
    leads.EDIT: leads.pressed_edit,
    leads.MOVE: leads.pressed_move,
    leads.CANCEL_DATE: leads.pressed_cancel_date,
    leads.CANCEL_EVENT: leads.pressed_cancel_event,
    announce.ANNOUNCE: announce.pressed_announce,
    attendees.ATTENDEES: Needs(attendees.pressed_attendees),
    attendees.MARK: attendees.pressed_mark,
    attendees.EXPORT: attendees.pressed_export,
}
FORMS: Mapping[ActionId, Handler[FormSubmitted] | Uses[FormSubmitted]] = {
    actions.NEEDS: Needs(signup.needs_given),
    leads.EVENT_FORM: leads.event_saved,
    leads.MOVE_FORM: leads.moved,
    leads.CANCEL_DATE_FORM: leads.date_cancelled,
    leads.CANCEL_EVENT_FORM: leads.event_cancelled,
    attendees.MARK_FORM: attendees.marked,
}


async def expire_offers(services: Services) -> int:
    """Offers past their claim window pass to the next person waiting."""
    async with services.db.session() as session:
        return await places.expire_offers(session, now=services.clock.now())


async def home(actor: Actor, services: Services) -> list[Block]:
    """Everyone's next events, then, for leads only, their tools."""
    return [*await listing.home(actor, services), *await leads.home(actor, services)]


def feature(deps: Events) -> Feature:
    return Feature(
        name=NAME,
        title="Staff networks",
        summary="What's on across the staff networks: sign up in one tap and get a calendar "
        "invite.",
        due=SelfMarking(reminders),
        commands=given(COMMANDS, deps),
        actions=given(ACTIONS, deps),
        forms=given(FORMS, deps),
        home=home,
        chores=(
            Chore(name="events-offers", every=timedelta(minutes=1), run=expire_offers),
            *catalogue.CHORES,
        ),
    )
