"""Shift-aware timing: when each person may be nudged. A message that falls in their quiet
hours or on a day off waits (its outbox row's `due_at`) for the next moment they allow.

Nurses work nights and weekends: the default (no nudges 20:00-08:00 or at weekends) suits
office hours, so each person may set their own working days, quiet hours and time zone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.mentoring import Hours

WORKING_WEEK = frozenset(range(5))
QUIET_FROM, QUIET_UNTIL = time(20, 0), time(8, 0)
STEPS = 32
"""Boundaries looked at for the next allowed moment: two a day (midnight, the end of the
quiet hours) for a fortnight, with room to spare."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Shifts:
    """A person's nudge hours: working `days` (0 is Monday) and quiet hours from
    `quiet_from` to `quiet_until` (crossing midnight when it is the later of the two; the
    same time twice means none), on the clock of `zone`."""

    days: frozenset[int] = WORKING_WEEK
    quiet_from: time = QUIET_FROM
    quiet_until: time = QUIET_UNTIL
    zone: tzinfo = UTC

    def quiet(self, at: time) -> bool:
        if self.quiet_from == self.quiet_until:
            return False
        if self.quiet_from > self.quiet_until:  # overnight
            return at >= self.quiet_from or at < self.quiet_until
        return self.quiet_from <= at < self.quiet_until

    def allows(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and not self.quiet(local.time())

    def next_allowed(self, moment: datetime) -> datetime:
        """`moment` if it is allowed, else the first allowed moment after it (UTC). With no
        working day at all there is none: the moment stands, rather than nobody ever being
        asked (the form refuses that, so only a hand-made row gets here)."""
        at = moment
        for _ in range(STEPS):
            if self.allows(at):
                return at.astimezone(UTC)
            at = self._boundary_after(at)
        return moment

    def _boundary_after(self, moment: datetime) -> datetime:
        """The next moment anything can change: the end of today's quiet hours, or midnight."""
        local = moment.astimezone(self.zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), time(0), self.zone)
        wakes = datetime.combine(local.date(), self.quiet_until, self.zone)
        later = [t for t in (wakes, midnight) if t.astimezone(UTC) > moment.astimezone(UTC)]
        return min(later, key=lambda t: t.astimezone(UTC))


def known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_named(*names: str) -> tzinfo:
    """The first of `names` that is a time zone peerbot knows; UTC when none is."""
    return next((ZoneInfo(n) for n in names if n and known_zone(n)), UTC)


async def notice_zone(session: AsyncSession, email: str, zone: str | None) -> None:
    """Keep the zone a person's platform told us, for when they have not chosen one."""
    if not zone or not known_zone(zone):
        return
    hours = await session.get(Hours, email)
    if hours is None:
        hours = Hours(
            email=email,
            days=sorted(WORKING_WEEK),
            quiet_from=f"{QUIET_FROM:%H:%M}",
            quiet_until=f"{QUIET_UNTIL:%H:%M}",
        )
    if hours.seen_zone != zone:
        hours.seen_zone = zone
        session.add(hours)


def shifts(hours: Hours | None, home_zone: str) -> Shifts:
    """A person's own hours, or the default ones, on their zone, else the organisation's."""
    if hours is None:
        return Shifts(zone=zone_named(home_zone))
    return Shifts(
        days=frozenset(hours.days),
        quiet_from=time.fromisoformat(hours.quiet_from),
        quiet_until=time.fromisoformat(hours.quiet_until),
        zone=zone_named(hours.time_zone, hours.seen_zone, home_zone),
    )


async def shifts_of(
    session: AsyncSession, emails: Collection[str], home_zone: str
) -> dict[str, Shifts]:
    """Everyone's hours at once (a round asks thousands): email -> Shifts, defaults for
    people who never set theirs."""
    found: dict[str, Hours] = {}
    wanted = sorted(set(emails))
    for start in range(0, len(wanted), 500):  # bound each IN list
        query = select(Hours).where(col(Hours.email).in_(wanted[start : start + 500]))
        found |= {h.email: h for h in (await session.exec(query)).all()}
    return {email: shifts(found.get(email), home_zone) for email in wanted}
