"""Recurrence: the form's words as RRULE text, and its dates on the local wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.events.schedule import Repeats, expand, repeats_of, rule_for
from bot.organisation.recurrence import NeverFires, check, count_of, until_of, words

LONDON = "Europe/London"


def local(*args: int, zone: str = LONDON) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def test_a_weekly_thursday_stays_at_half_past_twelve_local_across_the_clock_change() -> None:
    first = local(2026, 10, 15, 12, 30)  # BST; the clocks go back on Sunday 25 October
    rule = rule_for(Repeats.WEEKLY, first)
    assert rule == "FREQ=WEEKLY;INTERVAL=1"
    slots = expand(rule, first_start=first.astimezone(UTC), minutes=60, zone=LONDON)
    starts = [s.starts_at for s in slots[:3]]
    assert starts == [
        datetime(2026, 10, 15, 11, 30, tzinfo=UTC),
        datetime(2026, 10, 22, 11, 30, tzinfo=UTC),
        datetime(2026, 10, 29, 12, 30, tzinfo=UTC),
    ]
    assert all(s.astimezone(ZoneInfo(LONDON)).strftime("%H:%M") == "12:30" for s in starts)
    assert slots[2].ends_at == datetime(2026, 10, 29, 13, 30, tzinfo=UTC)
    assert all(s.starts_at.tzinfo is UTC for s in slots)


def test_every_other_week_until_a_date_includes_that_date() -> None:
    first = local(2026, 12, 3, 12, 30)
    rule = rule_for(Repeats.FORTNIGHTLY, first, until=date(2026, 12, 31))
    assert rule == "FREQ=WEEKLY;INTERVAL=2;UNTIL=20261231T235959Z"
    slots = expand(rule, first_start=first.astimezone(UTC), minutes=30, zone=LONDON)
    assert [s.starts_at.day for s in slots] == [3, 17, 31]
    assert until_of(rule, LONDON) == date(2026, 12, 31)
    assert repeats_of(rule) == Repeats.FORTNIGHTLY


def test_every_four_weeks_with_a_count() -> None:
    first = local(2027, 1, 5, 9, 0)
    rule = rule_for(Repeats.FOUR_WEEKLY, first, count=3)
    slots = expand(rule, first_start=first.astimezone(UTC), minutes=30, zone=LONDON)
    assert [s.starts_at.date() for s in slots] == [
        date(2027, 1, 5),
        date(2027, 2, 2),
        date(2027, 3, 2),
    ]
    assert count_of(rule) == 3
    assert words(rule, first, LONDON) == "Every 4 weeks, 3 times"


def test_monthly_on_the_first_tuesday() -> None:
    first = local(2027, 1, 5, 18, 0)  # the first Tuesday of January
    rule = rule_for(Repeats.MONTHLY_WEEKDAY, first, count=3)
    assert "BYDAY=+1TU" in rule
    slots = expand(rule, first_start=first.astimezone(UTC), minutes=60, zone=LONDON)
    assert [s.starts_at.date() for s in slots] == [
        date(2027, 1, 5),
        date(2027, 2, 2),
        date(2027, 3, 2),
    ]
    assert words(rule, first, LONDON).startswith("Monthly on the first Tuesday")


def test_a_fifth_weekday_means_the_last_one() -> None:
    first = local(2026, 12, 29, 18, 0)  # the fifth (last) Tuesday of December
    rule = rule_for(Repeats.MONTHLY_WEEKDAY, first, count=2)
    slots = expand(rule, first_start=first.astimezone(UTC), minutes=60, zone=LONDON)
    assert [s.starts_at.date() for s in slots] == [date(2026, 12, 29), date(2027, 1, 26)]


def test_monthly_on_the_thirty_first_falls_on_shorter_months_last_day() -> None:
    first = local(2027, 1, 31, 12, 0)
    rule = rule_for(Repeats.MONTHLY_DATE, first, count=3)
    slots = expand(rule, first_start=first.astimezone(UTC), minutes=60, zone=LONDON)
    assert [s.starts_at.date() for s in slots] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
    ]
    assert repeats_of(rule) == Repeats.MONTHLY_DATE


def test_a_one_off_is_one_slot_and_no_rule() -> None:
    first = local(2027, 1, 31, 12, 0).astimezone(UTC)
    assert rule_for(Repeats.NEVER, first) == ""
    (slot,) = expand("", first_start=first, minutes=45, zone=LONDON)
    assert slot.ends_at - slot.starts_at == timedelta(minutes=45)
    assert repeats_of("") == Repeats.NEVER
    check("", first, LONDON)


def test_expansion_stops_at_the_horizon_and_the_limit() -> None:
    first = local(2027, 1, 4, 12, 0).astimezone(UTC)
    weekly = rule_for(Repeats.WEEKLY, first)
    assert len(expand(weekly, first_start=first, minutes=30, zone=LONDON)) == 27  # 26 weeks on
    assert len(expand(weekly, first_start=first, minutes=30, zone=LONDON, limit=5)) == 5
    later = expand(
        weekly, first_start=first, minutes=30, zone=LONDON, start=first + timedelta(days=8)
    )
    assert later[0].starts_at == first + timedelta(weeks=2)


def test_an_end_date_before_the_first_start_never_fires() -> None:
    first = local(2027, 1, 5, 18, 0)
    rule = rule_for(Repeats.WEEKLY, first, until=date(2027, 1, 4))
    with pytest.raises(NeverFires):
        check(rule, first.astimezone(UTC), LONDON)
    assert expand(rule, first_start=first.astimezone(UTC), minutes=60, zone=LONDON) == []


def test_an_end_date_and_a_count_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        rule_for(Repeats.WEEKLY, local(2027, 1, 5, 18, 0), until=date(2027, 2, 1), count=3)


def test_until_is_the_last_local_day_even_far_from_utc() -> None:
    zone = "Pacific/Auckland"
    first = local(2027, 1, 5, 18, 0, zone=zone)
    rule = rule_for(Repeats.WEEKLY, first, until=date(2027, 1, 12))
    slots = expand(rule, first_start=first.astimezone(UTC), minutes=60, zone=zone)
    assert [s.starts_at.astimezone(ZoneInfo(zone)).day for s in slots] == [5, 12]
    assert until_of(rule, zone) == date(2027, 1, 12)
