"""A network lead's tools in chat: create, change, move and cancel events, announce them, and
see who is coming. Every action is checked against the lead's roles and audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.actions import ActionId
from bot.conversation.forms import chosen, rejected, text_of
from bot.conversation.inbound import (
    Actor,
    ButtonPressed,
    Command,
    Conversation,
    FormSubmitted,
    Platform,
)
from bot.conversation.outbox import Outgoing, enqueue
from bot.conversation.payloads import encode
from bot.conversation.replies import (
    Attachment,
    Block,
    Button,
    Buttons,
    ChoiceInput,
    FieldItem,
    Fields,
    Form,
    Link,
    Option,
    Reply,
    Text,
    When,
    say,
)
from bot.conversation.sealing import open_sealed
from bot.conversation.services import Services
from bot.events import attendance, catalogue, notices
from bot.events.actions import NAME, SIGN_UP
from bot.events.deps import Events
from bot.events.lead import (
    Gone,
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
from bot.events.payloads import SeriesRef
from bot.events.schedule import words
from storage.events import EventSeries, Occurrence, Signup, SignupStatus
from storage.organisation import Network
from storage.seen import first_times

NEW = ActionId(NAME, "lead_new")
MANAGE = ActionId(NAME, "lead_manage")
EDIT = ActionId(NAME, "lead_edit")
MOVE = ActionId(NAME, "lead_move")
CANCEL_DATE = ActionId(NAME, "lead_cancel_date")
CANCEL_EVENT = ActionId(NAME, "lead_cancel_event")
ANNOUNCE = ActionId(NAME, "lead_announce")
ATTENDEES = ActionId(NAME, "lead_attendees")
MARK = ActionId(NAME, "lead_mark")
EXPORT = ActionId(NAME, "lead_export")
EVENT_FORM = FORM
MOVE_FORM = ActionId(NAME, "lead_move_form")
CANCEL_DATE_FORM = ActionId(NAME, "lead_cancel_date_form")
CANCEL_EVENT_FORM = ActionId(NAME, "lead_cancel_event_form")
MARK_FORM = ActionId(NAME, "lead_mark_form")

CANCELLED = "That event is cancelled, so it can't be changed. Press New event to make another."
LISTED = 10
"""Dates shown at once in a lead's list: each is a few blocks, and a message holds 50."""


# --- create and change ---------------------------------------------------------------


async def new_event(command: Command, services: Services) -> list[Reply]:
    """`events new`: the empty form, for a lead."""
    return await _open_new(command.actor, services)


async def pressed_new(press: ButtonPressed, services: Services) -> list[Reply]:
    return await _open_new(press.actor, services)


async def _open_new(actor: Actor, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        return form_reply(lead_form(lead.networks, lead.zone), "New event")

    return await as_lead(services, actor, "new", work)


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
        if not await _first(lead, form):
            return done("Already saved.")
        lead.own(draft.network)
        series, dates = await catalogue.create(lead.session, draft, lead.actor, now=lead.now)
        await notices.published(lead.session, series, now=lead.now)
        return done(_saved(series, dates))

    return await as_lead(services, form.actor, action, work)


async def _first(lead: Lead, form: FormSubmitted) -> bool:
    """Whether this filled-in form is sent for the first time: a platform's retry or a
    double tap saves once. Asked only once the form is good, as a refused form is sent
    again with the same id."""
    key = f"events-form:{form.submission}"
    return not form.submission or bool(await first_times(lead.session, [key], now=lead.now))


def _saved(series: EventSeries, dates: int) -> str:
    more = f" {dates} dates are open for sign-up." if dates > 1 else ""
    return f"“{series.title}” is saved.{more} Type “manage events” to announce it."


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
    if not await _first(lead, form):
        return done("Already saved.")
    changed = await catalogue.change(lead.session, series, draft, now=lead.now)
    told = f" Everyone coming to the {changed} changed dates will be told." if changed else ""
    return done(f"“{series.title}” is changed.{told}")


# --- one date: move or cancel; the whole event: cancel ---------------------------------


async def pressed_move(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, press.value)
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
        if occurrence.cancelled_at is not None:
            return [say("That date is cancelled, so it can't be moved.", ephemeral=True)]
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
        await catalogue.cancel_date(lead.session, occurrence, series, now=lead.now)
        return done(f"This date of “{series.title}” is cancelled. Everyone coming is told.")

    return await as_lead(services, form.actor, "cancel_date", work)


async def event_cancelled(form: FormSubmitted, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        text = text_of(form.values.get("series"))
        series = await series_of(lead, text if text.isdecimal() and int(text) else "x")
        if (again := rejected(cancel_event_form(series), form.values)) is not None:
            return [again]
        await catalogue.cancel_event(lead.session, series, now=lead.now)
        return done(f"“{series.title}” is cancelled. Everyone coming is told.")

    return await as_lead(services, form.actor, "cancel_event", work)


# --- announce ------------------------------------------------------------------------


def announcement(occurrence: Occurrence, series: EventSeries) -> Reply:
    """What a network's channel sees: the event and a Sign up button that answers whoever
    presses it privately. Never who is coming: in a channel that could out someone."""
    blocks: list[Block] = [Text(text=series.title, heading=True)]
    if series.description:
        blocks.append(Text(text=series.description))
    blocks += [
        When(label="Starts", at=occurrence.starts_at),
        When(label="Ends", at=occurrence.ends_at),
    ]
    place = occurrence.place or series.place
    if place:
        blocks.append(Fields(items=(FieldItem(label="Where", value=place),)))
    link = occurrence.online_url or series.online_url
    if link:
        blocks.append(Link(label="Join online", url=link))
    if series.rule:
        blocks.append(Text(text=words(series.rule, series.first_start, series.time_zone)))
    if series.accessibility:
        blocks.append(Fields(items=(FieldItem(label="Accessibility", value=series.accessibility),)))
    blocks.append(
        Buttons(
            buttons=(
                Button(
                    label="Sign up", action=SIGN_UP, value=date_ref(occurrence), style="primary"
                ),
            )
        )
    )
    return Reply(summary=f"New event: {series.title}", blocks=tuple(blocks))


async def pressed_announce(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, press.value)
        if occurrence.cancelled_at is not None or series.cancelled_at is not None:
            return [say("That date is cancelled, so there is nothing to announce.", ephemeral=True)]
        network = (
            await lead.session.exec(select(Network).where(col(Network.key) == series.network))
        ).first()
        channel = network.channels.get(lead.actor.platform) if network else None
        if not channel:
            text = (
                "This network has no channel to announce in yet. Please ask the admin to add one."
            )
            return [say(text, ephemeral=True)]
        where = Conversation(
            platform=Platform(lead.actor.platform), tenant="", channel_id=channel, is_private=False
        )
        item = Outgoing(
            dedupe_key=f"events:announce:{series.id}:{occurrence.id}",
            address=where,
            reply=announcement(occurrence, series),
            due_at=lead.now,
        )
        if not await enqueue(lead.session, item, now=lead.now):
            return [say("This date was announced already.", ephemeral=True)]
        return [
            say(f"“{series.title}” will be announced in the network's channel.", ephemeral=True)
        ]

    return await as_lead(services, press.actor, "announce", work)


# --- who is coming -------------------------------------------------------------------


def _who(signup: Signup, named: Mapping[tuple[str, str], str]) -> str:
    return named.get((signup.platform, signup.user_id)) or signup.user_id


async def pressed_attendees(
    press: ButtonPressed, services: Services, events: Events
) -> list[Reply]:
    """Who is coming, who holds an offer, who is waiting (in order), and access needs: for
    the network's leads alone."""

    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, press.value)
        assert occurrence.id is not None
        people = await attendance.signups(lead.session, occurrence.id)
        named = await attendance.emails(lead.session, people)
        blocks: list[Block] = [
            Text(text=series.title, heading=True),
            When(label="Starts", at=occurrence.starts_at),
        ]
        groups = (
            (SignupStatus.GOING, "Coming"),
            (SignupStatus.OFFERED, "Offered a place"),
            (SignupStatus.WAITING, "Waiting"),
        )
        for status, label in groups:
            some = [s for s in people if s.status == status]
            items = tuple(
                FieldItem(label=str(n), value=_who(s, named)) for n, s in enumerate(some, 1)
            )
            blocks.append(Text(text=f"{label}: {len(some)}"))
            if items:
                blocks.append(Fields(items=items))
        blocks += _needs(people, named, events)
        ref = date_ref(occurrence)
        blocks.append(
            Buttons(
                buttons=(
                    Button(label="Mark attended", action=MARK, value=ref),
                    Button(label="Download CSV", action=EXPORT, value=ref),
                )
            )
        )
        return [
            Reply(summary=f"Who is coming to {series.title}", blocks=tuple(blocks), ephemeral=True)
        ]

    return await as_lead(services, press.actor, "attendees", work)


def _needs(
    people: Sequence[Signup], named: Mapping[tuple[str, str], str], events: Events
) -> list[Block]:
    """Access needs, opened only here, for the leads' eyes."""
    sealed = [s for s in people if s.access_needs]
    if not sealed:
        return []
    if events.sealer is None:
        return [Text(text="Some people told us about access needs, but they can't be opened here.")]
    items = []
    for signup in sealed:
        assert signup.access_needs is not None
        opened = open_sealed(events.sealer, signup.access_needs)
        text = opened.get("needs") or opened.get("text") or ""
        items.append(FieldItem(label=_who(signup, named), value=str(text)))
    return [Text(text="Access needs (only leads see these)"), Fields(items=tuple(items))]


def mark_form(
    occurrence: Occurrence,
    series: EventSeries,
    going: Sequence[Signup],
    named: Mapping[tuple[str, str], str],
) -> Form:
    return Form(
        form=MARK_FORM,
        title="Mark attended",
        intro=f"{series.title}: tick everyone who came.",
        inputs=(
            ChoiceInput(
                field="attended",
                label="Who came?",
                options=tuple(Option(value=str(s.id), label=_who(s, named)) for s in going),
                multiple=True,
                required=False,
                initial=tuple(str(s.id) for s in going if s.attended),
            ),
        ),
        submit_label="Save",
        carried={"occurrence": str(occurrence.id)},
    )


async def _going(
    lead: Lead, occurrence: Occurrence
) -> tuple[list[Signup], dict[tuple[str, str], str]]:
    assert occurrence.id is not None
    going = await attendance.signups(lead.session, occurrence.id, (SignupStatus.GOING,))
    return going, await attendance.emails(lead.session, going)


async def pressed_mark(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, press.value)
        going, named = await _going(lead, occurrence)
        if not going:
            return [say("Nobody has a place at this date yet.", ephemeral=True)]
        return form_reply(mark_form(occurrence, series, going, named), "Mark attended")

    return await as_lead(services, press.actor, "mark_attended", work)


async def marked(form: FormSubmitted, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, carried_ref(form))
        going, named = await _going(lead, occurrence)
        spec = mark_form(occurrence, series, going, named)
        if (again := rejected(spec, form.values)) is not None:
            return [again]
        came = set(chosen(form.values.get("attended")))
        for signup in going:
            signup.attended = str(signup.id) in came
            lead.session.add(signup)
        return done(f"Saved: {len(came)} of {len(going)} came.")

    return await as_lead(services, form.actor, "mark_attended", work)


async def pressed_export(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, press.value)
        assert occurrence.id is not None
        data = attendance.as_csv(await attendance.rows(lead.session, occurrence.id))
        name = f"attendance-{occurrence.id}.csv"
        file = Attachment(name=name, media_type="text/csv", data=data.encode())
        text = f"Attendance for {series.title}. Access needs are not in the file."
        return [Reply(summary=text, blocks=(Text(text=text),), ephemeral=True, files=(file,))]

    return await as_lead(services, press.actor, "export", work)


# --- a lead's list -------------------------------------------------------------------


async def manage(command: Command, services: Services) -> list[Reply]:
    return await _manage(command.actor, services)


async def pressed_manage(press: ButtonPressed, services: Services) -> list[Reply]:
    return await _manage(press.actor, services)


async def _manage(actor: Actor, services: Services) -> list[Reply]:
    """The dates to come of the networks they lead, each with the lead's buttons."""

    async def work(lead: Lead) -> list[Reply]:
        query = (
            select(Occurrence, EventSeries)
            .join(EventSeries, col(EventSeries.id) == col(Occurrence.series_id))
            .where(
                col(EventSeries.network).in_(list(lead.networks)),
                col(Occurrence.starts_at) > lead.now,
                col(Occurrence.cancelled_at).is_(None),
            )
            .order_by(col(Occurrence.starts_at))
            .limit(LISTED)
        )
        found = list((await lead.session.exec(query)).all())
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
        return [Reply(summary="Your networks' events", blocks=tuple(blocks), ephemeral=True)]

    return await as_lead(services, actor, "list", work)


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
