"""What staff see of events: what is coming up, one event opened, their own sign-ups, and
their home page's few lines. Counts only, never who else is coming: signing up for some
networks' events could out someone."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from bot.conversation.actions import OPEN as OPEN_FEATURE
from bot.conversation.inbound import Actor, ButtonPressed, Command, PersonAddress, person_of
from bot.conversation.payloads import FeatureRef, decode, encode
from bot.conversation.replies import Block, Button, Buttons, Link, Reply, Text, When, say
from bot.conversation.services import Services
from bot.events import notices, places
from bot.events.actions import CANCEL, NAME, NEEDS, OPEN, SIGN_UP
from bot.events.deps import Events
from bot.events.payloads import OccurrenceRef
from storage.directory import active_networks
from storage.events import EventSeries, Occurrence, Signup, SignupStatus
from storage.organisation import Network

LIMIT = 10
"""Events in one list: enough to choose from on a phone, few enough to read (and within
Slack's 50 blocks a message, at four blocks an event)."""
ON_HOME = 3
MINE = "mine"
SIGNED_UP = (SignupStatus.GOING, SignupStatus.WAITING, SignupStatus.OFFERED)
FILLER = {"network", "networks", "staff", "the", "and", "events", "event"}
"""Words in a filter that name no network in particular (`events lgbtq network`)."""
Ts = TypeVarTuple("Ts")
NEEDS_LABEL = "Tell the organisers about access needs"


@dataclass(frozen=True, slots=True, kw_only=True)
class Listed:
    """One date of an event, with what it belongs to."""

    occurrence: Occurrence
    series: EventSeries
    network: Network

    @property
    def ref(self) -> str:
        assert self.occurrence.id is not None  # read from the table
        return encode(OccurrenceRef(occurrence=self.occurrence.id))


def _standing(now: datetime) -> list[ColumnElement[bool]]:
    """Dates still to come (or under way) of events that stand, in active networks."""
    return [
        col(Network.active).is_(True),
        col(Occurrence.cancelled_at).is_(None),
        col(EventSeries.cancelled_at).is_(None),
        col(Occurrence.ends_at) > now,
    ]


def _joined(query: Select[*Ts]) -> Select[*Ts]:
    return query.join(EventSeries, col(EventSeries.id) == col(Occurrence.series_id)).join(
        Network, col(Network.key) == col(EventSeries.network)
    )


async def upcoming(
    session: AsyncSession, *, now: datetime, networks: Collection[str] | None = None
) -> tuple[list[Listed], int]:
    """The soonest LIMIT dates, and how many there are in all."""
    query = _joined(select(Occurrence, EventSeries, Network)).where(*_standing(now))
    if networks is not None:
        query = query.where(col(EventSeries.network).in_(networks))
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = await session.exec(
        query.order_by(col(Occurrence.starts_at), col(Occurrence.id)).limit(LIMIT)
    )
    return [Listed(occurrence=o, series=s, network=n) for o, s, n in rows.all()], int(total)


@dataclass(frozen=True, slots=True, kw_only=True)
class Mine:
    listed: Listed
    signup: Signup
    position: int | None


async def mine(session: AsyncSession, who: PersonAddress, *, now: datetime) -> list[Mine]:
    """What they are going to, waiting for, or have been offered, soonest first."""
    query = (
        _joined(select(Occurrence, EventSeries, Network, Signup))
        .join(Signup, col(Signup.occurrence_id) == col(Occurrence.id))
        .where(
            *_standing(now),
            col(Signup.platform) == who.platform,
            col(Signup.tenant) == who.tenant,
            col(Signup.user_id) == who.user_id,
            col(Signup.status).in_(SIGNED_UP),
        )
        .order_by(col(Occurrence.starts_at), col(Occurrence.id))
    )
    found: list[Mine] = []
    for occurrence, series, network, signup in (await session.exec(query)).all():
        waiting = signup.status == SignupStatus.WAITING
        found.append(
            Mine(
                listed=Listed(occurrence=occurrence, series=series, network=network),
                signup=signup,
                position=await places.position(session, signup) if waiting else None,
            )
        )
    return found


def places_left(occurrence: Occurrence, series: EventSeries) -> str:
    if series.capacity is None:
        return "No limit on places"
    left = series.capacity - occurrence.taken
    if left > 0:
        return f"{left} place left" if left == 1 else f"{left} places left"
    return "Full — join the waitlist" if series.waitlist else "Full"


def _place(occurrence: Occurrence, series: EventSeries) -> str:
    return occurrence.place or series.place


def _online(occurrence: Occurrence, series: EventSeries) -> list[Block]:
    """The online link as a link to tap, never text to copy."""
    url = occurrence.online_url or series.online_url
    if not url:
        return []
    try:
        return [Link(label="Join online", url=url)]
    except ValueError:  # not a link peerbot shows: said, never made tappable
        return [Text(text=f"Online: {url}")]


def where(occurrence: Occurrence, series: EventSeries) -> list[Block]:
    """The room, the online link, or both."""
    place = _place(occurrence, series)
    return [*([Text(text=f"Where: {place}")] if place else []), *_online(occurrence, series)]


def _item(listed: Listed, status: str) -> list[Block]:
    """At most four blocks: ten events and the words around them fit one Slack message."""
    occurrence, series = listed.occurrence, listed.series
    place = _place(occurrence, series)
    lines = [f"{series.title} · {listed.network.name} · {status}"]
    return [
        Text(text="\n".join([*lines, *([f"Where: {place}"] if place else [])])),
        When(label="When", at=occurrence.starts_at),
        *_online(occurrence, series),
        Buttons(buttons=(Button(label="Open", action=OPEN, value=listed.ref),)),
    ]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def matching(networks: Sequence[Network], typed: Sequence[str]) -> list[Network]:
    """The networks a person meant: by key (`lgbtq`, `LGBTQ+`) or by a word of the name
    (`race`, `women`), a word's start being enough (`lgbt`). Forgiving, since a wrong guess
    only shows a list."""
    wanted = [w for w in words(" ".join(typed)) if w not in FILLER]
    if not wanted:
        return list(networks)
    joined = "".join(wanted)
    found = []
    for network in networks:
        own = words(f"{network.key} {network.name}")
        own_joined = "".join(words(network.key))
        if joined == own_joined or all(
            any(word == w or (len(word) >= 3 and w.startswith(word)) for w in own)
            for word in wanted
        ):
            found.append(network)
    return found


async def show(command: Command, services: Services) -> list[Reply]:
    """`events`, `events <network>` and `events mine`."""
    if [a.lower() for a in command.args] == [MINE]:
        return [await show_mine(command.actor, services)]
    now, who = services.clock.now(), person_of(command.actor)
    async with services.db.session(write=False) as session:
        networks = await active_networks(session)
        chosen = matching(networks, command.args) if command.args else networks
        if not chosen:
            keys = ", ".join(n.key for n in networks)
            typed = " ".join(command.args)[:60]
            text = (
                f"I couldn't find a network called “{typed}”. Try “events” and one of: {keys}."
                if keys
                else "No staff networks are listed yet."
            )
            return [say(text)]
        only = [n.key for n in chosen] if command.args else None
        listed, total = await upcoming(session, now=now, networks=only)
        theirs = {m.signup.occurrence_id: m for m in await mine(session, who, now=now)}
    return [_listing(listed, total, chosen if command.args else None, theirs)]


def _listing(
    listed: list[Listed],
    total: int,
    chosen: Sequence[Network] | None,
    theirs: Mapping[int, Mine],
) -> Reply:
    """Each date with how to get in, or, where they are signed up, where they stand."""
    title = "Upcoming events"
    if chosen is not None and len(chosen) == 1:
        title = f"Upcoming events: {chosen[0].name}"
    if not listed:
        text = "There are no upcoming events just now."
        if chosen is not None:
            text = "That network has no upcoming events just now. Type “events” to see all."
        return Reply(summary=text, blocks=(Text(text=title, heading=True), Text(text=text)))
    blocks: list[Block] = [Text(text=title, heading=True)]
    for item in listed:
        own = theirs.get(item.occurrence.id or 0)
        status = standing(own) if own else places_left(item.occurrence, item.series)
        blocks += _item(item, status)
    if total > len(listed):
        hint = f"These are the next {len(listed)} of {total}. "
        hint += (
            "To see one network's events, type “events” and its name, like “events lgbtq”."
            if chosen is None or len(chosen) > 1
            else "Later ones will show here as these go by."
        )
        blocks.append(Text(text=hint))
    blocks.append(Text(text="Type “events mine” to see what you've signed up for."))
    return Reply(summary=title, blocks=tuple(blocks))


def standing(mine: Mine) -> str:
    """Where they stand, in their words."""
    match mine.signup.status:
        case SignupStatus.GOING:
            return "You're going"
        case SignupStatus.WAITING:
            return f"You're on the waitlist: number {mine.position}"
        case _:
            return "A place is yours if you want it"


async def mine_typed(command: Command, services: Services) -> list[Reply]:
    """`my events`, as people say it."""
    return [await show_mine(command.actor, services)]


async def show_mine(actor: Actor, services: Services) -> Reply:
    async with services.db.session(write=False) as session:
        found = await mine(session, person_of(actor), now=services.clock.now())
    title = "Your events"
    if not found:
        text = "You're not signed up for any events. Type “events” to see what's coming up."
        return Reply(summary=text, blocks=(Text(text=title, heading=True), Text(text=text)))
    blocks: list[Block] = [Text(text=title, heading=True)]
    for item in found[:LIMIT]:
        blocks += _item(item.listed, standing(item))
    if len(found) > LIMIT:
        blocks.append(Text(text=f"These are your next {LIMIT} of {len(found)}."))
    return Reply(summary=title, blocks=tuple(blocks))


async def home(actor: Actor, services: Services) -> list[Block]:
    """Their next few events, and the way to all of them."""
    async with services.db.session(write=False) as session:
        found = await mine(session, person_of(actor), now=services.clock.now())
    see_all = Buttons(
        buttons=(
            Button(
                label="See all events", action=OPEN_FEATURE, value=encode(FeatureRef(feature=NAME))
            ),
        )
    )
    if not found:
        return [Text(text="Staff network events: see what's on and sign up."), see_all]
    blocks: list[Block] = [Text(text="Your next events")]
    for item in found[:ON_HOME]:
        blocks += [
            Text(text=f"{item.listed.series.title} · {standing(item)}"),
            When(label="When", at=item.listed.occurrence.starts_at),
        ]
    return [*blocks, see_all]


# One event, opened


def buttons(
    occurrence: Occurrence,
    series: EventSeries,
    signup: Signup | None,
    *,
    now: datetime,
    deps: Events,
) -> tuple[Button, ...]:
    """What this person can do about this date, as things stand for them: nothing, once
    it is cancelled."""
    assert occurrence.id is not None
    if places.cancelled(occurrence, series):
        return ()
    ref = encode(OccurrenceRef(occurrence=occurrence.id))
    status = signup.status if signup is not None else None
    needs = (Button(label=NEEDS_LABEL, action=NEEDS, value=ref),) if deps.sealer else ()
    if status == SignupStatus.GOING:
        return (Button(label="Cancel my place", action=CANCEL, value=ref, style="danger"), *needs)
    if status == SignupStatus.WAITING:
        return (Button(label="Leave the waitlist", action=CANCEL, value=ref), *needs)
    if status == SignupStatus.OFFERED:
        return notices.offer_buttons(occurrence)
    if places.closes_at(occurrence, series) <= now:
        return ()
    free = series.capacity is None or occurrence.taken < series.capacity
    if free:
        return (Button(label="Sign up", action=SIGN_UP, value=ref, style="primary"),)
    if series.waitlist:
        return (Button(label="Join the waitlist", action=SIGN_UP, value=ref, style="primary"),)
    return ()


def situation(
    occurrence: Occurrence,
    series: EventSeries,
    signup: Signup | None,
    position: int | None,
    *,
    now: datetime,
) -> list[Block]:
    """Their own standing first; otherwise whether they can still get in."""
    status = signup.status if signup is not None else None
    if status == SignupStatus.GOING:
        return [Text(text="You're going.")]
    if status == SignupStatus.WAITING:
        return [Text(text=f"You're on the waitlist: number {position}.")]
    if status == SignupStatus.OFFERED and signup is not None and signup.offer_expires:
        return [
            Text(text="A place has come up for you. Would you like it?"),
            When(label="We'll hold it for you until", at=signup.offer_expires),
        ]
    if places.closes_at(occurrence, series) <= now:
        return [Text(text="Sign-up for this event has closed.")]
    if series.capacity is not None and occurrence.taken >= series.capacity and not series.waitlist:
        return [Text(text="This event is full.")]
    return []


def card(
    listed: Listed,
    signup: Signup | None,
    position: int | None,
    *,
    now: datetime,
    deps: Events,
    lead: str = "",
) -> tuple[Block, ...]:
    """One date of an event, whole: what, when, where, how to get in, and the buttons for
    where this person stands. `lead` is a sentence to open with (what just happened)."""
    occurrence, series = listed.occurrence, listed.series
    blocks: list[Block] = [Text(text=lead)] if lead else []
    blocks += [Text(text=series.title, heading=True), Text(text=listed.network.name)]
    if series.description.strip():
        blocks.append(Text(text=series.description.strip()))
    blocks += [
        When(label="Starts", at=occurrence.starts_at),
        When(label="Ends", at=occurrence.ends_at),
        *where(occurrence, series),
    ]
    if series.accessibility.strip():
        blocks.append(Text(text=f"Accessibility: {series.accessibility.strip()}"))
    if signup is None or signup.status not in SIGNED_UP:  # theirs is said just below
        blocks.append(Text(text=places_left(occurrence, series)))
    blocks += situation(occurrence, series, signup, position, now=now)
    if found := buttons(occurrence, series, signup, now=now, deps=deps):
        blocks.append(Buttons(buttons=found))
    return tuple(blocks)


async def listed_of(session: AsyncSession, occurrence_id: int) -> Listed | None:
    """The date with its event and network, whatever state it is in."""
    query = (
        _joined(select(Occurrence, EventSeries, Network))
        .where(col(Occurrence.id) == occurrence_id)
        .execution_options(populate_existing=True)
    )
    found = (await session.exec(query)).first()
    return Listed(occurrence=found[0], series=found[1], network=found[2]) if found else None


def answer(press: ButtonPressed, reply: Reply, *, in_place: bool = True) -> Reply:
    """A button's answer: in a person's own DM it takes the place of the card they pressed
    on (when `in_place`); anywhere else (an announcement in a channel) it goes to them
    alone, never updating the message everyone sees, so nobody learns who signed up."""
    private = press.conversation.is_private
    return replace(reply, in_place=in_place and private, ephemeral=not private)


GONE = "That event is no longer listed."
CANCELLED = "That event has been cancelled. There is nothing you need to do."


async def current(
    session: AsyncSession, occurrence_id: int, who: PersonAddress
) -> tuple[Listed, Signup | None, int | None] | None:
    listed = await listed_of(session, occurrence_id)
    if listed is None:
        return None
    signup = await places.signup_of(session, occurrence_id, who)
    waiting = signup is not None and signup.status == SignupStatus.WAITING
    position = await places.position(session, signup) if waiting and signup else None
    return listed, signup, position


async def open_event(press: ButtonPressed, services: Services, deps: Events) -> list[Reply]:
    ref = decode(OccurrenceRef, press.value)
    now = services.clock.now()
    async with services.db.session(write=False) as session:
        found = await current(session, ref.occurrence, person_of(press.actor))
    if found is None:
        return [answer(press, say(GONE))]
    listed, signup, position = found
    if listed.occurrence.cancelled_at is not None or listed.series.cancelled_at is not None:
        return [answer(press, say(CANCELLED))]
    blocks = card(listed, signup, position, now=now, deps=deps)
    # a new message, so the list it was opened from stays to open another
    return [answer(press, Reply(summary=listed.series.title, blocks=blocks), in_place=False)]
