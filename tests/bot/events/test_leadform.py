"""The lead's form: a good one is a Draft; each bad answer is an error beside its own field,
with everything typed kept."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from bot.conversation.inbound import FieldValue
from bot.conversation.replies import ChoiceInput, Form, Reply
from bot.events.leadform import Draft, checked, lead_form, read
from bot.events.schedule import Repeats
from storage.events import EventSeries

ZONE = "Europe/London"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LEADS = {"lgbtq": "LGBTQ+ network", "disability": "Disabled staff network"}


def filled(**changes: FieldValue) -> dict[str, FieldValue]:
    values: dict[str, FieldValue] = {
        "network": "lgbtq",
        "title": "Lunch and chat",
        "description": "Bring your lunch.",
        "start": "2026-12-03 12:30",
        "end": "2026-12-03T13:30",
        "place": "Room 4, Main building",
        "link": "https://meet.example.org/lunch",
        "capacity": "20",
        "waitlist": "yes",
        "closes": "2 hours",
        "reminders": ("1440", "60"),
        "accessibility": "Step-free access.",
        "repeats": Repeats.FORTNIGHTLY.value,
        "until": "2027-03-31",
        "count": "",
    }
    values.update(changes)
    return values


def submit(
    values: Mapping[str, FieldValue], *, signed_up: int = 0, form: Form | None = None
) -> Draft | Reply:
    spec = form or lead_form(LEADS, ZONE)
    return checked(spec, values, networks=LEADS, zone=ZONE, now=NOW, signed_up=signed_up)


def errors_of(result: Draft | Reply) -> Mapping[str, str]:
    assert isinstance(result, Reply), result
    assert result.form is not None
    return result.form.errors


def kept(result: Draft | Reply) -> dict[str, object]:
    """What the returned form shows in each field."""
    assert isinstance(result, Reply) and result.form is not None
    return {i.field: i.initial for i in result.form.inputs}


def test_a_good_form_is_a_draft_in_utc() -> None:
    draft = submit(filled())
    assert isinstance(draft, Draft)
    assert draft.network == "lgbtq"
    assert draft.first_start == datetime(2026, 12, 3, 12, 30, tzinfo=UTC)  # GMT in December
    assert draft.minutes == 60
    assert draft.rule == "FREQ=WEEKLY;INTERVAL=2;UNTIL=20270331T225959Z"
    assert draft.capacity == 20
    assert draft.closes_before == 120
    assert draft.reminders == (60, 1440)
    assert draft.waitlist is True
    assert draft.time_zone == ZONE


def test_blank_capacity_is_unlimited_and_reminders_may_be_off() -> None:
    draft = submit(filled(capacity="", reminders=(), closes="", link="", waitlist="no"))
    assert isinstance(draft, Draft)
    assert draft.capacity is None
    assert draft.reminders == ()
    assert draft.closes_before is None
    assert draft.waitlist is False
    assert draft.online_url == ""


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"end": "2026-12-03 12:00"}, "end", "after the start"),
        ({"end": "2026-12-03 12:30"}, "end", "after the start"),
        ({"start": "2026-11-24 12:30", "end": "2026-11-24 13:30"}, "start", "passed"),
        ({"until": "2026-12-01"}, "until", "never happen"),
        ({"network": "chess"}, "network", "pick one"),
        ({"title": "x" * 10_000}, "title", "200"),
        ({"capacity": "twenty"}, "capacity", "whole number"),
        ({"capacity": "2.5"}, "capacity", "whole number"),
        ({"capacity": "0"}, "capacity", "whole number"),
        ({"link": "javascript:alert(1)"}, "link", "web link"),
        ({"link": "http://meet.example.org/x"}, "link", "https://"),
        ({"start": "tomorrow"}, "start", "date and time"),
        ({"closes": "soonish"}, "closes", "before the start"),
        ({"count": "3"}, "count", "not both"),
        ({"repeats": "never"}, "until", "doesn't repeat"),
        ({"until": "31/03/2027"}, "until", "2027-03-31"),
        ({"place": "", "link": ""}, "place", "place"),
        ({"start": "2027-03-28 01:30", "end": "2027-03-28 03:00", "until": ""}, "start", "clocks"),
    ],
)
def test_each_bad_answer_is_refused_beside_its_field_with_everything_kept(
    changes: dict[str, FieldValue], field: str, words: str
) -> None:
    values = filled(**changes)
    result = submit(values)
    errors = errors_of(result)
    assert field in errors, errors
    assert words in errors[field]
    shown = kept(result)
    assert shown["title"] == values["title"]
    assert shown["description"] == "Bring your lunch."
    assert shown["reminders"] == ("1440", "60")
    assert shown["start"] == values["start"]


def test_the_parser_refuses_a_huge_title_even_past_the_form_checks() -> None:
    """A platform that ignores max_length (or a forged submission) still gets an error."""
    errors = read(filled(title="x" * 10_000), networks=LEADS, zone=ZONE, now=NOW)
    assert isinstance(errors, dict)
    assert "title" in errors


def test_a_network_they_do_not_lead_is_refused_by_the_parser() -> None:
    errors = read(filled(network="women"), networks=LEADS, zone=ZONE, now=NOW)
    assert isinstance(errors, dict)
    assert errors["network"].startswith("That isn't a network you lead")


def test_capacity_below_those_already_signed_up_is_refused() -> None:
    errors = errors_of(submit(filled(capacity="3"), signed_up=5))
    assert "5 people already have a place" in errors["capacity"]
    assert isinstance(submit(filled(capacity="5"), signed_up=5), Draft)


def test_with_one_network_the_form_carries_it_and_refuses_a_forged_one() -> None:
    form = lead_form({"lgbtq": "LGBTQ+ network"}, ZONE)
    assert "network" not in {i.field for i in form.inputs}
    assert form.carried == {"network": "lgbtq"}
    values = filled()
    del values["network"]
    assert isinstance(checked(form, values, networks={"lgbtq": "L"}, zone=ZONE, now=NOW), Draft)
    forged = checked(form, filled(network="women"), networks={"lgbtq": "L"}, zone=ZONE, now=NOW)
    errors = errors_of(forged)
    assert "network you lead" in errors["title"]


def test_the_edit_form_is_filled_from_the_series_and_keeps_its_past_start() -> None:
    first = datetime(2026, 11, 5, 12, 30, tzinfo=UTC)
    series = EventSeries(
        id=7,
        network="lgbtq",
        title="Lunch",
        first_start=first,
        minutes=60,
        time_zone=ZONE,
        rule="FREQ=WEEKLY;INTERVAL=2",
        capacity=12,
        closes_before=60,
        reminders=[60],
        place="Room 4",
        created_by="slack:U1",
        created_at=first - timedelta(days=30),
    )
    form = lead_form(LEADS, ZONE, series)
    shown = {i.field: i.initial for i in form.inputs}
    assert shown["start"] == "2026-11-05T12:30"
    assert shown["end"] == "2026-11-05T13:30"
    assert shown["repeats"] == ("fortnightly",)
    assert shown["reminders"] == ("60",)
    assert shown["capacity"] == "12"
    assert form.carried == {"series": "7", "network": "lgbtq"}
    values: dict[str, FieldValue] = {
        i.field: i.initial[0] if isinstance(i, ChoiceInput) and not i.multiple else i.initial
        for i in form.inputs
    }
    draft = checked(form, values, networks=LEADS, zone=ZONE, now=NOW, kept_start=first)
    assert isinstance(draft, Draft)
    assert draft.first_start == first
    assert draft.rule == series.rule
    moved = checked(
        form,
        {**values, "start": "2026-11-06T12:30"},
        networks=LEADS,
        zone=ZONE,
        now=NOW,
        kept_start=first,
    )
    assert "passed" in errors_of(moved)["start"]
    silent = lead_form(LEADS, ZONE, EventSeries(**{**series.model_dump(), "reminders": []}))
    assert {i.field: i.initial for i in silent.inputs}["reminders"] == ()  # none, not one ""
