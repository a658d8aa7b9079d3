"""A network lead's forms and list in chat: create and change an event, move or cancel one
date, cancel the event; the lead's list of dates to come with a button for each tool, and
their home section. Every action runs as a lead (bot/events/lead.py): checked and audited.
What the forms change, and whom they tell, is bot/events/catalogue.py's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.actions import ActionId
from bot.conversation.forms import rejected, sent_first, text_of
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Command,
    FormSubmitted,
)
from bot.conversation.payloads import decode, encode
from bot.conversation.replies import (
    Block,
    Button,
    Buttons,
    ChoiceInput,
    FieldItem,
    Fields,
    Form,
    Option,
    Reply,
    Text,
    When,
    say,
)
from bot.conversation.services import Services
from bot.events import catalogue, places
from bot.events.actions import NAME
from bot.events.announce import ANNOUNCE
from bot.events.attendees import ATTENDEES
from bot.events.lead import (
    Lead,
    as_lead,
    carried_ref,
    date_of,
    date_ref,
    done,
    form_reply,
    led_networks,
    series_of,
    series_ref,
)
from bot.events.leadform import FORM, Draft, Move, checked, checked_move, lead_form, move_form
from bot.events.payloads import PageRef, SeriesRef
from bot.organisation.gated import Gone
from storage.events import EventSeries, Occurrence, Signup, SignupStatus

NEW = ActionId(NAME, "lead_new")
MANAGE = ActionId(NAME, "lead_manage")
EDIT = ActionId(NAME, "lead_edit")
MOVE = ActionId(NAME, "lead_move")
CANCEL_DATE = ActionId(NAME, "lead_cancel_date")
CANCEL_EVENT = ActionId(NAME, "lead_cancel_event")
EVENT_FORM = FORM
MOVE_FORM = ActionId(NAME, "lead_move_form")
CANCEL_DATE_FORM = ActionId(NAME, "lead_cancel_date_form")
CANCEL_EVENT_FORM = ActionId(NAME, "lead_cancel_event_form")

CANCELLED = "That event is cancelled, so it can't be changed. Press New event to make another."
LISTED = 10
"""Dates shown at once in a lead's list: each is a few blocks, and a message holds 50."""


# --- create and change ---------------------------------------------------------------


async def new_event(asked: Command | ButtonPressed, services: Services) -> list[Reply]:
    """`events new` or the New event button: the empty form, for a lead."""

    async def work(lead: Lead) -> list[Reply]:
        return form_reply(lead_form(lead.networks, lead.zone), "New event")

    return await as_lead(services, asked.actor, "new", work)


async def pressed_edit(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        series = await series_of(lead, press.value)
        if series.cancelled_at is not None:
            return [say(CANCELLED, ephemeral=True)]
        return form_reply(lead_form(lead.networks, series.time_zone, series), "Change event")

    return await as_lead(services, press.actor, "edit", work)


async def event_saved(form: FormSubmitted, services: Services) -> list[Reply]:
    """The lead form sent: a new event with its dates, or a change to one."""
    carried = text_of(form.values.get("series"))
    action = "edit" if carried else "create"

    async def work(lead: Lead) -> list[Reply]:
        if carried:
            return await _edit(lead, form, carried)
        spec = lead_form(lead.networks, lead.zone)
        draft = checked(spec, form.values, networks=lead.networks, zone=lead.zone, now=lead.now)
        if not isinstance(draft, Draft):
            return [draft]
        if not await sent_first(lead.session, "events-form", form, now=lead.now):
            return done("Already saved.")
        lead.own(draft.network)
        series, dates = await catalogue.create(lead.session, draft, lead.actor, now=lead.now)
        return done(_saved(series, dates))

    return await as_lead(services, form.actor, action, work)


def _saved(series: EventSeries, dates: int) -> str:
    more = f" {dates} dates are open for sign-up." if dates > 1 else ""
    return (
        f"“{series.title}” is saved.{more} To announce it, type “manage events” and press Announce."
    )


async def _edit(lead: Lead, form: FormSubmitted, carried: str) -> list[Reply]:
    if not carried.isdecimal():
        raise Gone
    series = await series_of(lead, encode(SeriesRef(series=int(carried))))
    if series.cancelled_at is not None:
        return [say(CANCELLED, ephemeral=True)]
    future = [
        o for o in await catalogue.future(lead.session, series, lead.now) if o.cancelled_at is None
    ]
    spec = lead_form(lead.networks, series.time_zone, series)
    draft = checked(
        spec,
        {**form.values, "network": series.network},
        networks=lead.networks,
        zone=series.time_zone,
        now=lead.now,
        signed_up=max((o.taken for o in future), default=0),
        kept_start=series.first_start,
    )
    if not isinstance(draft, Draft):
        return [draft]
    if not await sent_first(lead.session, "events-form", form, now=lead.now):
        return done("Already saved.")
    changed = await catalogue.change(lead.session, series, draft, now=lead.now)
    told = f" Everyone coming to the {changed} changed dates will be told." if changed else ""
    return done(f"“{series.title}” is changed.{told}")


# --- one date: move or cancel; the whole event: cancel ---------------------------------


DATE_CANCELLED = "That date is cancelled, so there is nothing to change."


async def pressed_move(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, press.value)
        if places.cancelled(occurrence, series):
            return [say(DATE_CANCELLED, ephemeral=True)]
        return form_reply(move_form(MOVE_FORM, occurrence, series, series.time_zone), "Move a date")

    return await as_lead(services, press.actor, "move", work)


async def moved(form: FormSubmitted, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, carried_ref(form))
        spec = move_form(MOVE_FORM, occurrence, series, series.time_zone)
        move = checked_move(
            spec, form.values, zone=series.time_zone, now=lead.now, kept_start=occurrence.starts_at
        )
        if not isinstance(move, Move):
            return [move]
        if places.cancelled(occurrence, series):
            return [say(DATE_CANCELLED, ephemeral=True)]
        if not await catalogue.move_date(lead.session, occurrence, series, move, now=lead.now):
            return done("Nothing changed.")
        return done(f"This date of “{series.title}” is moved. Everyone coming will be told.")

    return await as_lead(services, form.actor, "move", work)


SURE = (Option(value="yes", label="Yes, cancel it"),)


def _confirm(form: ActionId, title: str, intro: str, carried: Mapping[str, str]) -> Form:
    return Form(
        form=form,
        title=title,
        intro=intro,
        inputs=(ChoiceInput(field="sure", label="Are you sure?", options=SURE),),
        submit_label="Cancel it",
        carried=dict(carried),
    )


def cancel_date_form(occurrence: Occurrence, series: EventSeries) -> Form:
    return _confirm(
        CANCEL_DATE_FORM,
        "Cancel this date",
        f"{series.title}: only this date is cancelled. Everyone coming or waiting is told.",
        {"occurrence": str(occurrence.id)},
    )


def cancel_event_form(series: EventSeries) -> Form:
    return _confirm(
        CANCEL_EVENT_FORM,
        "Cancel the event",
        f"{series.title}: every date to come is cancelled. Everyone coming or waiting is told.",
        {"series": str(series.id)},
    )


async def pressed_cancel_date(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, press.value)
        if places.cancelled(occurrence, series):
            return [say(DATE_CANCELLED, ephemeral=True)]
        return form_reply(cancel_date_form(occurrence, series), "Cancel a date")

    return await as_lead(services, press.actor, "cancel_date", work)


async def pressed_cancel_event(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        series = await series_of(lead, press.value)
        return form_reply(cancel_event_form(series), "Cancel an event")

    return await as_lead(services, press.actor, "cancel_event", work)


async def date_cancelled(form: FormSubmitted, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, carried_ref(form))
        if (again := rejected(cancel_date_form(occurrence, series), form.values)) is not None:
            return [again]
        if places.cancelled(occurrence, series):  # sent twice, or cancelled meanwhile
            return done(f"This date of “{series.title}” was already cancelled.")
        await catalogue.cancel_date(lead.session, occurrence, series, now=lead.now)
        return done(
            f"This date of “{series.title}” is cancelled. Everyone coming or waiting is told."
        )

    return await as_lead(services, form.actor, "cancel_date", work)


async def event_cancelled(form: FormSubmitted, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        series = await series_of(lead, text_of(form.values.get("series")))
        if (again := rejected(cancel_event_form(series), form.values)) is not None:
            return [again]
        await catalogue.cancel_event(lead.session, series, now=lead.now)
        return done(f"“{series.title}” is cancelled. Everyone coming or waiting is told.")

    return await as_lead(services, form.actor, "cancel_event", work)


# --- a lead's list -------------------------------------------------------------------


async def manage(asked: Command | ButtonPressed, services: Services) -> list[Reply]:
    """`manage events` or its button: the dates to come of the networks they lead, each
    with the lead's buttons, LISTED at a time with a button to the later ones."""
    page = (
        decode(PageRef, asked.value).page if isinstance(asked, ButtonPressed) and asked.value else 0
    )

    async def work(lead: Lead) -> list[Reply]:
        coming = (
            select(Occurrence, EventSeries)
            .join(EventSeries, col(EventSeries.id) == col(Occurrence.series_id))
            .where(
                col(EventSeries.network).in_(list(lead.networks)),
                col(Occurrence.starts_at) > lead.now,
                col(Occurrence.cancelled_at).is_(None),
            )
        )
        query = coming.order_by(col(Occurrence.starts_at), col(Occurrence.id))
        found = list((await lead.session.exec(query.offset(page * LISTED).limit(LISTED))).all())
        total = (await lead.session.exec(select(func.count()).select_from(coming.subquery()))).one()
        for network in lead.networks:
            lead.own(network)
        waiting = await _waiting(lead.session, [o.id for o, _ in found if o.id is not None])
        blocks: list[Block] = [
            Text(text="Your networks' events", heading=True),
            Buttons(buttons=(Button(label="New event", action=NEW, style="primary"),)),
        ]
        if not found:
            blocks.append(Text(text="Nothing coming up yet. Press New event to add one."))
        for occurrence, series in found:
            blocks += _managed(
                occurrence, series, lead.networks, waiting.get(occurrence.id or 0, 0)
            )
        blocks += _pages(page, len(found), total)
        return [Reply(summary="Your networks' events", blocks=tuple(blocks), ephemeral=True)]

    return await as_lead(services, asked.actor, "list", work)


def _pages(page: int, shown: int, total: int) -> list[Block]:
    """Where this page sits among all the dates to come, and the buttons to the others."""
    if page == 0 and shown >= total:
        return []
    first = page * LISTED + 1
    blocks: list[Block] = [Text(text=f"Dates {first} to {first + shown - 1} of {total}.")]
    moves = []
    if page > 0:
        moves.append(
            Button(label="Sooner dates", action=MANAGE, value=encode(PageRef(page=page - 1)))
        )
    if first + shown - 1 < total:
        moves.append(
            Button(label="Later dates", action=MANAGE, value=encode(PageRef(page=page + 1)))
        )
    return [*blocks, Buttons(buttons=tuple(moves))] if moves else blocks


async def _waiting(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    query = (
        select(Signup.occurrence_id, func.count())
        .where(col(Signup.occurrence_id).in_(ids), col(Signup.status) == SignupStatus.WAITING)
        .group_by(col(Signup.occurrence_id))
    )
    return {i: int(n) for i, n in (await session.exec(query)).all()}


def _managed(
    occurrence: Occurrence, series: EventSeries, networks: Mapping[str, str], waiting: int
) -> list[Block]:
    places_text = (
        f"{occurrence.taken} of {series.capacity} taken"
        if series.capacity is not None
        else f"{occurrence.taken} coming"
    )
    if waiting:
        places_text += f", {waiting} waiting"
    ref, whole = date_ref(occurrence), series_ref(series)
    return [
        Text(text=series.title, heading=True),
        When(label="Starts", at=occurrence.starts_at),
        Fields(
            items=(
                FieldItem(label="Network", value=networks.get(series.network, series.network)),
                FieldItem(label="Places", value=places_text),
                FieldItem(
                    label="Date number", value=f"{occurrence.id} (for the attendance export)"
                ),
            )
        ),
        Buttons(
            buttons=(
                Button(label="Who's coming", action=ATTENDEES, value=ref),
                Button(label="Announce", action=ANNOUNCE, value=ref),
                Button(label="Move this date", action=MOVE, value=ref),
                Button(label="Cancel this date", action=CANCEL_DATE, value=ref, style="danger"),
                Button(label="Change event", action=EDIT, value=whole),
                Button(label="Cancel event", action=CANCEL_EVENT, value=whole, style="danger"),
            )
        ),
    ]


async def home(actor: Actor, services: Services) -> list[Block]:
    """For leads only: a way to their events from the home page. Nothing for anyone else,
    so nobody learns who leads what from it."""
    async with services.db.session(write=False) as session:
        networks = await led_networks(session, actor)
    if not networks:
        return []
    return [
        Text(text=f"You lead: {', '.join(networks.values())}."),
        Buttons(
            buttons=(
                Button(label="New event", action=NEW, style="primary"),
                Button(label="Manage events", action=MANAGE),
            )
        ),
    ]


def routed(
    listing: Callable[[Command, Services], Awaitable[list[Reply]]],
) -> Callable[[Command, Services], Awaitable[list[Reply]]]:
    """`events new` and `events manage` are the leads'; every other `events …` is the list."""

    async def handle(command: Command, services: Services) -> list[Reply]:
        word = command.args[0].lower() if command.args else ""
        if word in SUBCOMMANDS:
            return await SUBCOMMANDS[word](replace(command, args=command.args[1:]), services)
        return await listing(command, services)

    return handle


SUBCOMMANDS = {"new": new_event, "manage": manage}
