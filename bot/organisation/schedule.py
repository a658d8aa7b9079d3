"""A programme's check-in schedule: read and checked alike from the organisation file and
from a coordinator's form, and the moments its rounds open."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.organisation.recurrence import NeverFires, check, moments, words
from storage.organisation import Programme

CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
DEFAULT_TIME = "10:00"
NEVER_FIRES = "this cadence gives no date between the start and the end; check the dates"
ENDS_FIRST = "the end is before the start; check the dates"


def clock_time(text: str) -> time:
    """`10:00` as a time of day; a ValueError in plain words for anything else."""
    if not CLOCK.fullmatch(text.strip()):
        raise ValueError("use a 24-hour time like 10:00")
    return time.fromisoformat(text.strip())


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """When a programme's rounds open: `cadence` (an RRULE) on the local wall clock of
    `zone`, from `starts` at `at`, until the end of `ends` (open-ended without one)."""

    cadence: str
    at: time
    starts: date
    ends: date | None
    zone: str

    @property
    def first(self) -> datetime:
        """The start, local: the rule's first opening is the first it allows from here."""
        return datetime.combine(self.starts, self.at, tzinfo=ZoneInfo(self.zone))

    @property
    def finish(self) -> datetime | None:
        """When the last round closes (UTC): the end of the `ends` day, local."""
        if self.ends is None:
            return None
        midnight = datetime.combine(self.ends + timedelta(days=1), time(0), ZoneInfo(self.zone))
        return midnight.astimezone(UTC)

    def openings(self) -> Iterator[datetime]:
        """Each round's opening (UTC), in order, up to the finish."""
        for moment in moments(self.cadence, self.first):
            if self.finish is not None and moment >= self.finish:
                return
            yield moment

    def words(self) -> str:
        """`Monthly on the first Tuesday at 10:00, 1 Sep 2026 to 31 Jul 2027`."""
        said = f"{words(self.cadence, self.first, self.zone)} at {self.at:%H:%M}"
        span = f"{self.starts.day} {self.starts:%b %Y}"
        if self.ends is not None:
            return f"{said}, {span} to {self.ends.day} {self.ends:%b %Y}"
        return f"{said}, from {span}"


def problems(
    cadence: str, at: time, starts: date | None, ends: date | None, zone: str
) -> dict[str, str]:
    """What is wrong with a schedule as a whole, by setting (`starts`, `ends`, `cadence`):
    an end before the start, or a cadence that never falls between them."""
    if starts is None:
        return {"starts": "give the date the first round may open, like 2026-09-01"}
    if ends is not None and ends < starts:
        return {"ends": ENDS_FIRST}
    schedule = Schedule(cadence=cadence, at=at, starts=starts, ends=ends, zone=zone)
    try:
        check(cadence, schedule.first, zone, until=schedule.finish)
    except NeverFires:
        return {"cadence": NEVER_FIRES}
    return {}


def schedule_of(programme: Programme, home_zone: str) -> Schedule | None:
    """The programme's schedule, or None when it has no check-ins (no cadence or start)."""
    if not programme.cadence or programme.starts is None:
        return None
    return Schedule(
        cadence=programme.cadence,
        at=clock_time(programme.round_time),
        starts=programme.starts,
        ends=programme.ends,
        zone=programme.time_zone or home_zone,
    )
