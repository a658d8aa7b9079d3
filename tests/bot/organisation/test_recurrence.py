"""Recurrence shared by events and mentoring: a cadence in plain words as RRULE text, its
moments on the local wall clock, and the rule said back in words."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from bot.organisation.recurrence import NeverFires, cadence, check, moments, words

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("said", "rule"),
    [
        ("weekly", "FREQ=WEEKLY;INTERVAL=1"),
        ("Every week", "FREQ=WEEKLY;INTERVAL=1"),
        ("fortnightly", "FREQ=WEEKLY;INTERVAL=2"),
        ("every 2 weeks", "FREQ=WEEKLY;INTERVAL=2"),
        ("every four weeks", "FREQ=WEEKLY;INTERVAL=4"),
        ("monthly on the first Tuesday", "FREQ=MONTHLY;BYDAY=+1TU"),
        ("Monthly on the last Friday", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("monthly on day 15", "FREQ=MONTHLY;BYMONTHDAY=15"),
        ("monthly on the 30th", "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1"),
        ("FREQ=MONTHLY;BYDAY=1TU", "FREQ=MONTHLY;BYDAY=1TU"),
        ("rrule:freq=weekly;interval=3", "FREQ=WEEKLY;INTERVAL=3"),
    ],
)
def test_a_cadence_in_plain_words_or_as_an_rrule(said: str, rule: str) -> None:
    assert cadence(said) == rule


@pytest.mark.parametrize(
    ("said", "why"),
    [
        ("every so often", "use words like"),
        ("every 0 weeks", "from 1 to 52"),
        ("monthly on day 32", "from 1 to 31"),
        ("FREQ=DAILY", "weekly or less often"),
        ("FREQ=WEEKLY;COUNT=4", "ends: says when it stops"),
        ("FREQ=WEEKLY;BYHOUR=9", "not understood here: BYHOUR"),
        ("FREQ=MONTHLY;BYDAY=9XX", "not valid"),
    ],
)
def test_a_cadence_not_understood_says_what_is(said: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        cadence(said)


def test_ten_oclock_stays_ten_oclock_local_across_the_clock_change() -> None:
    first = datetime(2026, 10, 13, 10, 0, tzinfo=LONDON)  # BST; back to GMT on 25 October
    given = list(islice(moments(cadence("every 2 weeks"), first), 2))
    assert given == [
        datetime(2026, 10, 13, 9, 0, tzinfo=UTC),
        datetime(2026, 10, 27, 10, 0, tzinfo=UTC),
    ]


def test_the_first_moment_is_the_first_the_rule_allows_from_the_start() -> None:
    first = datetime(2026, 9, 2, 10, 0, tzinfo=LONDON)  # a Wednesday
    (moment,) = islice(moments(cadence("monthly on the first Tuesday"), first), 1)
    assert moment.astimezone(LONDON) == datetime(2026, 10, 6, 10, 0, tzinfo=LONDON)


def test_a_rule_whose_first_moment_is_after_the_end_never_fires() -> None:
    first = datetime(2026, 9, 1, 10, 0, tzinfo=LONDON)
    rule = cadence("monthly on day 31")  # September's is its last day, the 30th
    check(rule, first, "Europe/London", until=datetime(2026, 9, 30, 10, 0, tzinfo=LONDON))
    with pytest.raises(NeverFires):
        check(rule, first, "Europe/London", until=datetime(2026, 9, 29, tzinfo=LONDON))


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("FREQ=WEEKLY;INTERVAL=1", "Every week"),
        ("FREQ=WEEKLY;INTERVAL=2", "Every other week"),
        ("FREQ=WEEKLY;INTERVAL=4;COUNT=3", "Every 4 weeks, 3 times"),
        ("FREQ=WEEKLY;BYDAY=TU", "Every week on Tuesday"),
        ("FREQ=MONTHLY;BYDAY=1TU", "Monthly on the first Tuesday"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "Monthly on day 15"),
        ("FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1", "Monthly on day 31 (or the month's"),
        ("FREQ=MONTHLY;INTERVAL=2;BYDAY=MO,TU", "On a custom schedule"),
    ],
)
def test_a_rule_in_plain_words(rule: str, said: str) -> None:
    first = datetime(2026, 9, 1, 10, 0, tzinfo=LONDON)
    assert words(rule, first, "Europe/London").startswith(said)
