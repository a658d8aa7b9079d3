"""Recurrence: the form's plain words as an RRULE, and each date it gives in the event's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from bot.conversation.replies import Option

HORIZON = timedelta(weeks=26)
"""How far ahead a series' dates are made: far enough to plan, near enough that a change to
the series does not rewrite years of rows."""
LIMIT = 60
"""At most this many dates at once, whatever the rule says."""
MAX_COUNT = 200
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Repeats(StrEnum):
    NEVER = "never"
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    FOUR_WEEKLY = "four_weekly"
    MONTHLY_WEEKDAY = "monthly_weekday"
    MONTHLY_DATE = "monthly_date"


OPTIONS = (
    Option(value=Repeats.NEVER, label="Does not repeat"),
    Option(value=Repeats.WEEKLY, label="Every week"),
    Option(value=Repeats.FORTNIGHTLY, label="Every other week"),
    Option(value=Repeats.FOUR_WEEKLY, label="Every 4 weeks"),
    Option(value=Repeats.MONTHLY_WEEKDAY, label="Monthly on the same weekday (like first Tuesday)"),
    Option(value=Repeats.MONTHLY_DATE, label="Monthly on the same date"),
)
WEEKS = {Repeats.WEEKLY: 1, Repeats.FORTNIGHTLY: 2, Repeats.FOUR_WEEKLY: 4}


class NeverFires(ValueError):
    """A rule with no date on or after the first start (it ends before it begins)."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One date a series gives: its start and end in UTC."""

    starts_at: datetime
    ends_at: datetime


def week_of_month(day: date) -> int:
    """1 to 4, or -1 for a fifth week: "the fifth Tuesday" is missing from most months, and
    someone who picked the 29th means "the last one"."""
    nth = (day.day - 1) // 7 + 1
    return -1 if nth == 5 else nth


def rule_for(
    repeats: Repeats,
    first_local: datetime,
    *,
    until: date | None = None,
    count: int | None = None,
) -> str:
    """The RRULE text (without DTSTART) for the form's choice, from the first start in the
    event's own zone; "" for a one-off. `until` is a local date, the last day it may happen
    on; `count` how many times in all. Both at once is a ValueError (RFC 5545 forbids it)."""
    if until is not None and count is not None:
        raise ValueError("an end date or a number of times, not both")
    if repeats == Repeats.NEVER:
        return ""
    parts: list[str]
    if repeats in WEEKS:
        parts = ["FREQ=WEEKLY", f"INTERVAL={WEEKS[repeats]}"]
    elif repeats == Repeats.MONTHLY_WEEKDAY:
        weekday = WEEKDAYS[first_local.weekday()]
        parts = ["FREQ=MONTHLY", f"BYDAY={week_of_month(first_local.date()):+d}{weekday}"]
    else:
        day = first_local.day
        # the 30th in February is its last day, not a month missed
        days = ",".join(str(d) for d in range(28, day + 1)) if day > 28 else str(day)
        parts = ["FREQ=MONTHLY", f"BYMONTHDAY={days}"] + (["BYSETPOS=-1"] if day > 28 else [])
    if until is not None:
        zone = first_local.tzinfo or UTC
        last = datetime.combine(until, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
        parts.append(f"UNTIL={last:%Y%m%dT%H%M%SZ}")
    if count is not None:
        parts.append(f"COUNT={count}")
    return ";".join(parts)


def parts_of(rule: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in rule.split(";") if "=" in p)


def repeats_of(rule: str) -> Repeats:
    """The form's choice for a stored rule (to fill the edit form)."""
    parts = parts_of(rule)
    if not parts:
        return Repeats.NEVER
    if parts.get("FREQ") == "MONTHLY":
        return Repeats.MONTHLY_WEEKDAY if "BYDAY" in parts else Repeats.MONTHLY_DATE
    weeks = int(parts.get("INTERVAL", "1"))
    return next((r for r, n in WEEKS.items() if n == weeks), Repeats.WEEKLY)


def until_of(rule: str, zone: str) -> date | None:
    """The local last day a stored rule may happen on."""
    until = parts_of(rule).get("UNTIL")
    if until is None:
        return None
    moment = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).date()


def count_of(rule: str) -> int | None:
    count = parts_of(rule).get("COUNT")
    return int(count) if count else None


def expand(
    rule: str,
    *,
    first_start: datetime,
    minutes: int,
    zone: str,
    start: datetime | None = None,
    horizon: timedelta = HORIZON,
    limit: int = LIMIT,
) -> list[Slot]:
    """The series' dates from `start` (default: its first start) up to `horizon` later, at
    most `limit` of them. The rule runs on the local wall clock of `zone` from the first
    local start, so a Thursday 12:30 stays 12:30 local when the clocks change (its UTC
    time moves instead); each start is then given in UTC, the end `minutes` after it."""
    local = first_start.astimezone(ZoneInfo(zone))
    begin = first_start if start is None else max(start, first_start)
    end = begin + horizon
    if not rule:
        starts = [first_start.astimezone(UTC)] if begin <= first_start <= end else []
    else:
        starts = []
        for at in rrulestr(rule, dtstart=local):
            utc = at.astimezone(UTC)
            if utc > end or len(starts) >= limit:
                break
            if utc >= begin:
                starts.append(utc)
    return [Slot(s, s + timedelta(minutes=minutes)) for s in starts]


def check(rule: str, first_start: datetime, zone: str) -> None:
    """NeverFires when the rule gives no date at all from the first start (an end date
    before it): a series with no dates would be announced with nothing to sign up for."""
    if not rule:
        return
    local = first_start.astimezone(ZoneInfo(zone))
    if next(iter(rrulestr(rule, dtstart=local)), None) is None:
        raise NeverFires("this rule gives no date on or after the first start")


def words(rule: str, first_start: datetime, zone: str) -> str:
    """How a series repeats, in plain words: `Every other week until 31 Mar 2027`."""
    repeats = repeats_of(rule)
    local = first_start.astimezone(ZoneInfo(zone))
    if repeats == Repeats.MONTHLY_WEEKDAY:
        nth = ORDINALS[week_of_month(local.date())]
        said = f"Monthly on the {nth} {DAY_NAMES[local.weekday()]}"
    else:
        said = next(o.label for o in OPTIONS if o.value == repeats)
    if (until := until_of(rule, zone)) is not None:
        said += f" until {until.day} {until:%b %Y}"
    if (count := count_of(rule)) is not None:
        said += f", {count} times"
    return said
