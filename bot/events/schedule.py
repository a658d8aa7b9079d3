"""An event's repeats: the form's choices as an RRULE, and each date it gives in the event's
zone (the recurrence itself is bot.organisation.recurrence, shared with mentoring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.conversation.replies import Option
from bot.organisation.recurrence import (
    moments,
    monthly_on_day,
    monthly_on_weekday,
    parts_of,
    until_part,
    week_of_month,
    weekly,
)

HORIZON = timedelta(weeks=26)
"""How far ahead a series' dates are made: far enough to plan, near enough that a change to
the series does not rewrite years of rows."""
LIMIT = 60
"""At most this many dates at once, whatever the rule says."""
MAX_COUNT = 200


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


@dataclass(frozen=True, slots=True)
class Slot:
    """One date a series gives: its start and end in UTC."""

    starts_at: datetime
    ends_at: datetime


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
        parts = weekly(WEEKS[repeats])
    elif repeats == Repeats.MONTHLY_WEEKDAY:
        parts = monthly_on_weekday(week_of_month(first_local.date()), first_local.weekday())
    else:
        parts = monthly_on_day(first_local.day)
    if until is not None:
        parts.append(until_part(until, first_local.tzinfo or UTC))
    if count is not None:
        parts.append(f"COUNT={count}")
    return ";".join(parts)


def repeats_of(rule: str) -> Repeats:
    """The form's choice for a stored rule (to fill the edit form)."""
    parts = parts_of(rule)
    if not parts:
        return Repeats.NEVER
    if parts.get("FREQ") == "MONTHLY":
        return Repeats.MONTHLY_WEEKDAY if "BYDAY" in parts else Repeats.MONTHLY_DATE
    weeks = int(parts.get("INTERVAL", "1"))
    return next((r for r, n in WEEKS.items() if n == weeks), Repeats.WEEKLY)


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
    most `limit` of them, on the local wall clock of `zone` (see recurrence.moments); each
    start in UTC, the end `minutes` after it."""
    begin = first_start if start is None else max(start, first_start)
    end = begin + horizon
    if not rule:
        starts = [first_start.astimezone(UTC)] if begin <= first_start <= end else []
    else:
        starts = []
        for utc in moments(rule, first_start.astimezone(ZoneInfo(zone))):
            if utc > end or len(starts) >= limit:
                break
            if utc >= begin:
                starts.append(utc)
    return [Slot(s, s + timedelta(minutes=minutes)) for s in starts]
