"""Network events' one entry in the router table: the staff's events and networks, the
leads' tools, and what the feature does on its own (offers that run out, reminders)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TypeVar

from bot.conversation.actions import ActionId
from bot.conversation.inbound import ButtonPressed, Command, FormSubmitted
from bot.conversation.needs import Handler, Needs, given
from bot.conversation.replies import Reply
from bot.conversation.router import Feature
from bot.conversation.services import Services
from bot.conversation.tick import Chore
from bot.events import announce, attendees, catalogue, leads, networks, places
from bot.events.actions import NAME
from bot.events.deps import Events
from bot.organisation.people import group_directory
from storage.directory import active_networks, people_with_role
from storage.organisation import RoleName

E = TypeVar("E", Command, ButtonPressed, FormSubmitted)
Uses = Needs[E, Events]


async def show(_command: Command, services: Services) -> list[Reply]:
    async with services.db.session(write=False) as session:
        networks = await active_networks(session)
        leads = await people_with_role(session, RoleName.NETWORK_LEAD)
    groups = [(f"{n.name}: {n.description}", leads.get(n.key, [])) for n in networks]
    return [
        group_directory(
            title="Staff networks",
            groups=groups,
            role="Lead",
            empty="No staff networks are listed yet.",
            next_step="To hear about events or join a network, contact its lead.",
        )
    ]


COMMANDS: Mapping[str, Handler[Command] | Uses[Command]] = {
    "events": leads.routed(show),
    **networks.COMMANDS,
    "newevent": leads.new_event,
    "manageevents": leads.manage,
}
ACTIONS: Mapping[ActionId, Handler[ButtonPressed] | Uses[ButtonPressed]] = {
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


def feature(deps: Events) -> Feature:
    return Feature(
        name=NAME,
        title="Staff networks",
        summary="Each staff network and the lead to contact about joining it or its events.",
        commands=given(COMMANDS, deps),
        actions=given(ACTIONS, deps),
        forms=given(FORMS, deps),
        home=leads.home,
        chores=(
            Chore(name="events-offers", every=timedelta(minutes=1), run=expire_offers),
            *catalogue.CHORES,
        ),
    )
