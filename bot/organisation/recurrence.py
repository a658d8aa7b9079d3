"""Recurrence shared by events and mentoring: RRULE text from plain words, the moments a rule
gives on the local wall clock, a rule that never fires, and a rule said in plain words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8}
MAX_WEEKS = 52
SETTINGS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYSETPOS", "BYMONTH", "WKST"}
"""What a cadence's own RRULE may say: when it ends is the programme's `ends`, never a rule's
UNTIL or COUNT, so there is one place to read it."""
FREQUENCIES = {"WEEKLY", "MONTHLY"}
CADENCE_WORDS = (
    "use words like “monthly on the first Tuesday”, “every 4 weeks”, “weekly” or "
    "“monthly on day 15”, or an RRULE like FREQ=MONTHLY;BYDAY=1TU"
)


class NeverFires(ValueError):
    """A rule with no moment on or after the first start (it ends before it begins)."""


def week_of_month(day: date) -> int:
    """1 to 4, or -1 for a fifth week: "the fifth Tuesday" is missing from most months, and
    someone who picked the 29th means "the last one"."""
    nth = (day.day - 1) // 7 + 1
    return -1 if nth == 5 else nth


def weekly(weeks: int) -> list[str]:
    return ["FREQ=WEEKLY", f"INTERVAL={weeks}"]


def monthly_on_weekday(nth: int, weekday: int) -> list[str]:
    """The `nth` (-1: last) weekday (0 is Monday) of each month."""
    return ["FREQ=MONTHLY", f"BYDAY={nth:+d}{WEEKDAYS[weekday]}"]


def monthly_on_day(day: int) -> list[str]:
    """The same date each month; the 30th in February is its last day, not a month missed."""
    if day <= 28:
        return ["FREQ=MONTHLY", f"BYMONTHDAY={day}"]
    days = ",".join(str(d) for d in range(28, day + 1))
    return ["FREQ=MONTHLY", f"BYMONTHDAY={days}", "BYSETPOS=-1"]


def until_part(until: date, zone: tzinfo) -> str:
    """UNTIL for the last local day a rule may fire on, whole: its last second, in UTC."""
    return f"UNTIL={end_of_day(until, zone):%Y%m%dT%H%M%SZ}"


def end_of_day(day: date, zone: tzinfo) -> datetime:
    """The last second of a local day, in UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def parts_of(rule: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in rule.split(";") if "=" in p)


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


def moments(rule: str, first_local: datetime) -> Iterator[datetime]:
    """Every moment the rule gives from `first_local` on, in UTC. The rule runs on the local
    wall clock of `first_local`'s zone, so 10:00 stays 10:00 local when the clocks change
    (its UTC time moves instead). The first moment is the first the rule allows on or after
    `first_local`, which need not be `first_local` itself ("the first Tuesday" from a
    Wednesday)."""
    for at in rrulestr(rule, dtstart=first_local):
        yield at.astimezone(UTC)


def check(rule: str, first_start: datetime, zone: str, *, until: datetime | None = None) -> None:
    """NeverFires when the rule gives no moment at all from the first start (on or before
    `until`, when given): a series or a programme with no dates would say it is on, and
    never be."""
    if not rule:
        return
    first = next(moments(rule, first_start.astimezone(ZoneInfo(zone))), None)
    if first is None or (until is not None and first > until):
        raise NeverFires("this rule gives no date on or after the first start")


def words(rule: str, first_start: datetime, zone: str) -> str:
    """How a rule repeats, in plain words: `Every other week until 31 Mar 2027`."""
    parts = parts_of(rule)
    said = _pattern(parts, first_start.astimezone(ZoneInfo(zone)))
    if (until := until_of(rule, zone)) is not None:
        said += f" until {until.day} {until:%b %Y}"
    if (count := count_of(rule)) is not None:
        said += f", {count} times"
    return said


def _pattern(parts: dict[str, str], first_local: datetime) -> str:
    freq, interval = parts.get("FREQ"), int(parts.get("INTERVAL", "1"))
    byday = parts.get("BYDAY", "")
    if freq == "WEEKLY" and "," not in byday and not byday[:-2]:
        every = {1: "Every week", 2: "Every other week"}.get(interval, f"Every {interval} weeks")
        day = WEEKDAYS.index(byday) if byday in WEEKDAYS else None
        return every if day is None else f"{every} on {DAY_NAMES[day]}"
    if freq == "MONTHLY" and interval == 1 and (found := re.fullmatch(r"([+-]?\d)(\w\w)", byday)):
        nth, weekday = int(found[1]), found[2]
        if nth in ORDINALS and weekday in WEEKDAYS:
            return f"Monthly on the {ORDINALS[nth]} {DAY_NAMES[WEEKDAYS.index(weekday)]}"
    if freq == "MONTHLY" and interval == 1 and not byday:
        days = [int(d) for d in parts.get("BYMONTHDAY", str(first_local.day)).split(",")]
        last = " (or the month's last day)" if parts.get("BYSETPOS") == "-1" else ""
        return f"Monthly on day {max(days)}{last}"
    return "On a custom schedule"


def cadence(text: str) -> str:
    """The RRULE (without DTSTART) for a programme's cadence in plain words, or for an RRULE
    written out; a ValueError saying what is understood when it is neither. Weekly cadences
    fall on the weekday of the programme's start."""
    said = " ".join(text.lower().replace(",", " ").split())
    if said.upper().removeprefix("RRULE:").startswith("FREQ="):
        return _own_rule(text.strip().upper().removeprefix("RRULE:"))
    if said in ("weekly", "every week"):
        return ";".join(weekly(1))
    if said in ("fortnightly", "every other week"):
        return ";".join(weekly(2))
    if found := re.fullmatch(r"every (\w+) weeks", said):
        weeks = NUMBERS.get(found[1]) or (int(found[1]) if found[1].isdecimal() else 0)
        if not 1 <= weeks <= MAX_WEEKS:
            raise ValueError(f"give a number of weeks from 1 to {MAX_WEEKS}")
        return ";".join(weekly(weeks))
    ordinal = "|".join(ORDINALS.values())
    days = "|".join(d.lower() for d in DAY_NAMES)
    if found := re.fullmatch(rf"monthly on the ({ordinal}) ({days})", said):
        nth = next(n for n, name in ORDINALS.items() if name == found[1])
        return ";".join(monthly_on_weekday(nth, [d.lower() for d in DAY_NAMES].index(found[2])))
    if found := re.fullmatch(r"monthly on (?:day |the )?(\d{1,2})(?:st|nd|rd|th)?", said):
        if not 1 <= int(found[1]) <= 31:
            raise ValueError("give a day of the month from 1 to 31")
        return ";".join(monthly_on_day(int(found[1])))
    raise ValueError(CADENCE_WORDS)


def _own_rule(rule: str) -> str:
    parts = parts_of(rule)
    if len(parts) != rule.count(";") + 1 or not parts:
        raise ValueError("write an RRULE as NAME=VALUE pairs separated by ;")
    if unknown := sorted(set(parts) - SETTINGS):
        raise ValueError(
            f"{', '.join(unknown)} cannot be used here: the programme's ends: says when it stops"
            if {"UNTIL", "COUNT"} & set(unknown)
            else f"this RRULE setting is not understood here: {', '.join(unknown)}"
        )
    if parts.get("FREQ") not in FREQUENCIES:
        raise ValueError("check-ins come weekly or less often: use FREQ=WEEKLY or FREQ=MONTHLY")
    try:
        rrulestr(rule, dtstart=datetime(2026, 1, 1))
    except ValueError:
        raise ValueError("this RRULE is not valid; check each setting") from None
    return rule
