"""A lead's event form: what it asks, and what a filled-in one means (a Draft) or what is wrong."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.conversation.actions import ActionId
from bot.conversation.forms import chosen, parse_local_datetime, rejected, returned, text_of
from bot.conversation.inbound import FieldValue
from bot.conversation.replies import (
    ChoiceInput,
    DateTimeInput,
    Form,
    FormInput,
    Option,
    Reply,
    TextInput,
    check_url,
)
from bot.events.schedule import MAX_COUNT, OPTIONS, Repeats, repeats_of, rule_for
from bot.organisation.recurrence import NeverFires, check, count_of, until_of
from storage.events import EventSeries, Occurrence

FORM = ActionId("events", "lead_form")
TITLE_MAX = 200
DAY_BEFORE, HOUR_BEFORE = 24 * 60, 60
REMINDERS = (
    Option(value=str(DAY_BEFORE), label="The day before"),
    Option(value=str(HOUR_BEFORE), label="An hour before"),
)
YES_NO = (Option(value="yes", label="Yes"), Option(value="no", label="No"))
CLOSES = re.compile(r"(\d{1,5})\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?)")
UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}
MAX_CLOSES = 30 * 24 * 60
MAX_MINUTES = 14 * 24 * 60


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """A checked event, ready to store: times in UTC, the rule checked to fire."""

    network: str
    title: str
    description: str
    first_start: datetime
    minutes: int
    time_zone: str
    place: str
    online_url: str
    capacity: int | None
    waitlist: bool
    closes_before: int | None
    reminders: tuple[int, ...]
    accessibility: str
    rule: str


def lead_form(networks: Mapping[str, str], zone: str, series: EventSeries | None = None) -> Form:
    """The one form for a new event and for changing one (`series` fills it in). `networks`
    are the ones this lead leads (key -> name): with only one there is nothing to ask, and
    the form carries it; a series' id travels the same way."""
    carried: dict[str, str] = {}
    inputs: list[FormInput] = []
    if series is not None:
        carried["series"] = str(series.id)
        carried["network"] = series.network
    elif len(networks) == 1:
        carried["network"] = next(iter(networks))
    else:
        options = tuple(Option(value=k, label=n) for k, n in networks.items())
        inputs.append(ChoiceInput(field="network", label="Network", options=options))
    was = _initial(series, zone)
    inputs += [
        TextInput(field="title", label="Title", max_length=TITLE_MAX, initial=was.get("title", "")),
        TextInput(
            field="description",
            label="What is it?",
            multiline=True,
            required=False,
            initial=was.get("description", ""),
        ),
        DateTimeInput(
            field="start", label="Starts", hint=f"Time in {zone}", initial=was.get("start", "")
        ),
        DateTimeInput(field="end", label="Ends", initial=was.get("end", "")),
        TextInput(
            field="place",
            label="Place",
            required=False,
            max_length=500,
            hint="A room or address. Leave blank if it is online only.",
            initial=was.get("place", ""),
        ),
        TextInput(
            field="link",
            label="Online link",
            required=False,
            max_length=2000,
            hint="Starts with https://",
            initial=was.get("link", ""),
        ),
        TextInput(
            field="capacity",
            label="Places",
            required=False,
            max_length=6,
            hint="A number. Leave blank for no limit.",
            initial=was.get("capacity", ""),
        ),
        ChoiceInput(
            field="waitlist",
            label="Waiting list when full?",
            options=YES_NO,
            initial=(was.get("waitlist", "yes"),),
        ),
        TextInput(
            field="closes",
            label="Sign-up closes",
            required=False,
            max_length=20,
            hint="How long before the start, like 2 hours or 1 day. Blank: when it starts.",
            initial=was.get("closes", ""),
        ),
        ChoiceInput(
            field="reminders",
            label="Remind people",
            options=REMINDERS,
            multiple=True,
            required=False,
            hint="Choose neither for no reminders.",
            initial=tuple(m for m in was["reminders"].split(",") if m)
            if "reminders" in was
            else _BOTH,
        ),
        TextInput(
            field="accessibility",
            label="Accessibility",
            multiline=True,
            required=False,
            hint="Step-free access, hearing loop, quiet room, captions…",
            initial=was.get("accessibility", ""),
        ),
        ChoiceInput(
            field="repeats",
            label="Repeats",
            options=OPTIONS,
            initial=(was.get("repeats", Repeats.NEVER),),
        ),
        TextInput(
            field="until",
            label="Repeats until",
            required=False,
            max_length=10,
            hint="The last date, like 2027-03-31. Blank: for the next six months.",
            initial=was.get("until", ""),
        ),
        TextInput(
            field="count",
            label="Or how many times",
            required=False,
            max_length=3,
            hint="Instead of an end date, if you prefer.",
            initial=was.get("count", ""),
        ),
    ]
    title = "Change event" if series else "New event"
    return Form(form=FORM, title=title, inputs=tuple(inputs), submit_label="Save", carried=carried)


_BOTH = (str(DAY_BEFORE), str(HOUR_BEFORE))


def _initial(series: EventSeries | None, zone: str) -> dict[str, str]:
    if series is None:
        return {}
    here = ZoneInfo(zone)
    start = _aware(series.first_start).astimezone(here)
    end = start + timedelta(minutes=series.minutes)
    until, count = until_of(series.rule, zone), count_of(series.rule)
    closes = series.closes_before
    return {
        "title": series.title,
        "description": series.description,
        "start": f"{start:%Y-%m-%dT%H:%M}",
        "end": f"{end.astimezone(here):%Y-%m-%dT%H:%M}",
        "place": series.place,
        "link": series.online_url,
        "capacity": "" if series.capacity is None else str(series.capacity),
        "waitlist": "yes" if series.waitlist else "no",
        "closes": "" if closes is None else f"{closes} minutes",
        "reminders": ",".join(str(m) for m in series.reminders),
        "accessibility": series.accessibility,
        "repeats": repeats_of(series.rule),
        "until": "" if until is None else until.isoformat(),
        "count": "" if count is None else str(count),
    }


def _aware(at: datetime) -> datetime:
    """SQLite gives times back without their zone; they were stored in UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def read(
    values: Mapping[str, FieldValue],
    *,
    networks: Mapping[str, str],
    zone: str,
    now: datetime,
    signed_up: int = 0,
    kept_start: datetime | None = None,
) -> Draft | dict[str, str]:
    """What a filled-in form means, or every field's error (field -> message).

    `networks` are the ones this lead may act for: a network named outside them is refused
    however it was sent (a forged form, a lead who stepped down since). `signed_up` is the
    most places already taken on any date to come: capacity may not fall below it.
    `kept_start` is a changed series' own first start: keeping it is no error even once it
    has passed. Nothing here writes; the caller stores a Draft or returns the form."""
    errors: dict[str, str] = {}
    network = text_of(values.get("network"))
    if network not in networks:
        errors["network"] = "That isn't a network you lead. Please pick one of yours."
    title = text_of(values.get("title"))
    if not title:
        errors["title"] = "Please give the event a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Please keep the title under {TITLE_MAX} characters."
    here = ZoneInfo(zone)
    start, minutes = times(values, here, now=now, kept_start=kept_start, errors=errors)
    place = text_of(values.get("place"))
    link = _link(text_of(values.get("link")), errors)
    if not place and not link and "link" not in errors:
        errors["place"] = "Please give a place, an online link, or both."
    capacity = _capacity(text_of(values.get("capacity")), signed_up, errors)
    closes = _closes(text_of(values.get("closes")), errors)
    reminders = tuple(sorted({int(m) for m in chosen(values.get("reminders")) if m.isdigit()}))
    if any(str(m) not in _BOTH for m in reminders):
        errors["reminders"] = "Please pick from the reminder options."
    rule = _rule(values, start.astimezone(here) if start else None, here, errors)
    if errors or start is None:
        return errors or {"start": "Please give a start time."}
    return Draft(
        network=network,
        title=title,
        description=text_of(values.get("description")),
        first_start=start,
        minutes=minutes,
        time_zone=zone,
        place=place,
        online_url=link,
        capacity=capacity,
        waitlist=text_of(values.get("waitlist")) != "no",
        closes_before=closes,
        reminders=reminders,
        accessibility=text_of(values.get("accessibility")),
        rule=rule,
    )


def checked(
    form: Form,
    values: Mapping[str, FieldValue],
    *,
    networks: Mapping[str, str],
    zone: str,
    now: datetime,
    signed_up: int = 0,
    kept_start: datetime | None = None,
) -> Draft | Reply:
    """A Draft, or the form back with every error beside its field and all that was typed
    kept (the form's own checks first: a missing answer, a title too long to carry)."""
    given = {**form.carried, **values}
    if (again := rejected(form, given)) is not None:
        return again
    draft = read(
        given, networks=networks, zone=zone, now=now, signed_up=signed_up, kept_start=kept_start
    )
    if isinstance(draft, Draft):
        return draft
    shown = {f.field for f in form.inputs}
    errors = {k: v for k, v in draft.items() if k in shown}
    # an error about something the form carried (its network) goes beside its first field
    first = form.inputs[0].field
    for message in (v for k, v in draft.items() if k not in shown):
        errors[first] = f"{message} {errors[first]}" if first in errors else message
    return returned(form, given, errors)


def times(
    values: Mapping[str, FieldValue],
    zone: ZoneInfo,
    *,
    now: datetime,
    kept_start: datetime | None,
    errors: dict[str, str],
) -> tuple[datetime | None, int]:
    """The `start` (UTC) and how many minutes until `end`, with an error for each wrong one:
    a start passed (unless it is the one kept), an end not after it."""
    start = _moment(values.get("start"), zone, "start", errors)
    end = _moment(values.get("end"), zone, "end", errors)
    if start is not None and start < now and start != kept_start:
        errors["start"] = "That start time has passed. Please pick a time to come."
    minutes = 0
    if start is not None and end is not None:
        minutes = int((end - start).total_seconds() // 60)
        if minutes <= 0:
            errors["end"] = "The end must be after the start."
        elif minutes > MAX_MINUTES:
            errors["end"] = "An event can last two weeks at most. Please check the end."
    return start, minutes


@dataclass(frozen=True, slots=True, kw_only=True)
class Move:
    """One date moved alone: its new times (UTC) and place ("" for the event's own)."""

    starts_at: datetime
    ends_at: datetime
    place: str


def move_form(form: ActionId, occurrence: Occurrence, series: EventSeries, zone: str) -> Form:
    """Move one date alone: the rest of the event stays as it is."""
    here = ZoneInfo(zone)
    start, end = (_aware(t).astimezone(here) for t in (occurrence.starts_at, occurrence.ends_at))
    return Form(
        form=form,
        title="Move this date",
        intro=f"{series.title}. Only this date moves; everyone coming is told.",
        inputs=(
            DateTimeInput(
                field="start",
                label="Starts",
                hint=f"Time in {zone}",
                initial=f"{start:%Y-%m-%dT%H:%M}",
            ),
            DateTimeInput(field="end", label="Ends", initial=f"{end:%Y-%m-%dT%H:%M}"),
            TextInput(
                field="place",
                label="Place",
                required=False,
                max_length=500,
                hint="Blank: the event's usual place.",
                initial=occurrence.place,
            ),
        ),
        submit_label="Move",
        carried={"occurrence": str(occurrence.id)},
    )


def checked_move(
    form: Form, values: Mapping[str, FieldValue], *, zone: str, now: datetime, kept_start: datetime
) -> Move | Reply:
    given = {**form.carried, **values}
    if (again := rejected(form, given)) is not None:
        return again
    errors: dict[str, str] = {}
    start, minutes = times(given, ZoneInfo(zone), now=now, kept_start=kept_start, errors=errors)
    if errors or start is None:
        return returned(form, given, errors)
    place = text_of(given.get("place"))
    return Move(starts_at=start, ends_at=start + timedelta(minutes=minutes), place=place)


def _moment(
    value: FieldValue, zone: ZoneInfo, field: str, errors: dict[str, str]
) -> datetime | None:
    """A local date and time in `zone` as a UTC moment; None (and an error) when it is not
    one, or is a time the clocks skip on that day."""
    local = parse_local_datetime(text_of(value))
    if local is None or local.tzinfo is not None:
        errors[field] = "Please give a date and time like 2026-12-01 14:30."
        return None
    placed = local.replace(tzinfo=zone)
    moment = placed.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local:
        errors[field] = "The clocks change at that time, so it doesn't exist. Please pick another."
        return None
    return moment


def _link(text: str, errors: dict[str, str]) -> str:
    if not text:
        return ""
    try:
        check_url(text)
    except ValueError:
        errors["link"] = "Please give a full web link, like https://meet.example.org/abc."
        return ""
    if not text.startswith("https://"):
        errors["link"] = "Please give a secure link that starts with https://."
        return ""
    return text


def _capacity(text: str, signed_up: int, errors: dict[str, str]) -> int | None:
    if not text:
        return None
    if not text.isdecimal() or int(text) < 1:
        errors["capacity"] = "Please give the number of places as a whole number, like 20."
        return None
    capacity = int(text)
    if capacity < signed_up:
        errors["capacity"] = (
            f"{signed_up} people already have a place. Please give at least {signed_up}."
        )
        return None
    return capacity


def _closes(text: str, errors: dict[str, str]) -> int | None:
    """`2 hours`, `30 minutes`, `1 day` before the start, as minutes; blank is None."""
    if not text:
        return None
    match = CLOSES.fullmatch(text.lower())
    minutes = int(match[1]) * UNIT_MINUTES[match[2][0]] if match else -1
    if not 0 <= minutes <= MAX_CLOSES:
        errors["closes"] = "Please say how long before the start, like 2 hours or 1 day."
        return None
    return minutes


def _rule(
    values: Mapping[str, FieldValue],
    first: datetime | None,
    zone: ZoneInfo,
    errors: dict[str, str],
) -> str:
    """The RRULE text for the form's choice; an error on the field that makes it wrong."""
    picked = text_of(values.get("repeats")) or Repeats.NEVER
    if picked not in set(Repeats):
        errors["repeats"] = "Please pick how the event repeats."
        return ""
    repeats = Repeats(picked)
    until_text, count_text = text_of(values.get("until")), text_of(values.get("count"))
    if repeats == Repeats.NEVER:
        for field, text in (("until", until_text), ("count", count_text)):
            if text:
                errors[field] = (
                    "This event doesn't repeat. Leave this blank, or pick how it repeats."
                )
        return ""
    until: date | None = None
    count: int | None = None
    if until_text:
        try:
            until = date.fromisoformat(until_text)
        except ValueError:
            errors["until"] = "Please give the last date like 2027-03-31."
    if count_text:
        if not count_text.isdecimal() or not 1 <= int(count_text) <= MAX_COUNT:
            errors["count"] = f"Please give a whole number of times from 1 to {MAX_COUNT}."
        elif until_text:
            errors["count"] = "Please give an end date or a number of times, not both."
        else:
            count = int(count_text)
    if first is None or "until" in errors or "count" in errors:
        return ""
    rule = rule_for(repeats, first, until=until, count=count)
    try:
        check(rule, first, str(zone))
    except NeverFires:
        errors["until"] = "That is before the first date, so it would never happen."
        return ""
    return rule
