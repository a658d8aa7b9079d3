"""The organisation file: the example loads, and every problem is named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.organisation.orgfile import DEFAULT_CRISIS, OrgFileError, load_org_file, parse_org

ROOT = Path(__file__).resolve().parents[3]

GOOD = """\
organisation:
  name: Test Trust
  time_zone: Europe/London
guardians:
  - name: Amara Okafor
    email: amara@trust.example
    slack: U1
networks:
  - key: race-equality
    name: Race Equality Network
    description: For everyone.
    leads:
      - name: Kwame Mensah
        email: kwame@trust.example
support:
  - name: EAP
    for: Counselling.
    contact: Call 0800 555 0190.
"""


def problems(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(OrgFileError) as caught:
        parse_org(text, "org.yml")
    return [(p.line, p.where, p.message) for p in caught.value.problems]


def test_the_example_file_loads_with_every_section() -> None:
    org = load_org_file(ROOT / "examples" / "org.yml")
    assert org.organisation.time_zone == "Europe/London"
    assert len(org.guardians) == 3 and org.guardians[0].console == "guardian"
    assert [n.key for n in org.networks] == [
        "race-equality",
        "disabled-staff",
        "lgbtq",
        "womens",
        "multi-faith",
    ]
    assert {p.kind for p in org.programmes} == {
        "mentoring",
        "reverse_mentoring",
        "executive_pairing",
    }
    assert org.support[0].name == "Employee Assistance Programme"
    assert org.crisis == DEFAULT_CRISIS


def test_crisis_defaults_are_the_uk_lines() -> None:
    contacts = " ".join(c.contact for c in DEFAULT_CRISIS)
    for number in ("999", "111", "116 123", "85258"):
        assert number in contacts


def test_a_yaml_syntax_error_names_its_line() -> None:
    ((line, _, message),) = problems("organisation:\n  name: [unclosed\nguardians: []\n")
    assert line == 3
    assert message.startswith("not valid YAML")


def test_an_unknown_key_is_caught_at_its_line() -> None:
    text = GOOD.replace("    slack: U1\n", "    slak: U1\n")
    assert problems(text) == [(7, "guardians[0].slak", "unknown setting (check the spelling)")]


def test_a_missing_field_points_at_its_parent() -> None:
    text = GOOD.replace("    description: For everyone.\n", "")
    assert problems(text) == [(9, "networks[0].description", "this is required and missing")]


def test_a_bad_time_zone_is_caught_at_its_line() -> None:
    ((line, where, message),) = problems(GOOD.replace("Europe/London", "Mars/Olympus"))
    assert (line, where) == (3, "organisation.time_zone")
    assert "Europe/London" in message


def test_a_duplicate_key_is_reported_at_the_second() -> None:
    text = GOOD.replace(
        "support:", GOOD[GOOD.index("  - key:") : GOOD.index("support:")] + "support:"
    )
    assert problems(text) == [(15, "networks[1].key", "race-equality is used twice")]


def test_every_problem_is_reported_at_once() -> None:
    text = (
        GOOD.replace("Europe/London", "Nowhere")
        .replace("key: race-equality", "key: Race Equality")
        .replace("email: kwame@trust.example", "email: not-an-email")
    )
    assert [(line, where) for line, where, _ in problems(text)] == [
        (3, "organisation.time_zone"),
        (9, "networks[0].key"),
        (14, "networks[0].leads[0].email"),
    ]


def test_no_guardian_is_refused() -> None:
    text = GOOD.replace(GOOD[GOOD.index("guardians:") : GOOD.index("networks:")], "guardians: []\n")
    assert problems(text) == [(4, "guardians", "list at least one Freedom to Speak Up guardian")]


def test_one_platform_id_cannot_belong_to_two_people() -> None:
    text = GOOD.replace(
        "        email: kwame@trust.example\n",
        "        email: kwame@trust.example\n        slack: U1\n",
    )
    assert problems(text) == [
        (15, "networks[0].leads[0].slack", "slack id U1 already belongs to amara@trust.example")
    ]


def test_one_email_cannot_have_two_names() -> None:
    text = GOOD.replace("kwame@trust.example", "amara@trust.example")
    assert problems(text) == [
        (
            13,
            "networks[0].leads[0].name",
            "amara@trust.example is listed elsewhere with name Amara Okafor; "
            "use the same everywhere",
        )
    ]


def test_one_email_cannot_have_two_ids_on_a_platform() -> None:
    text = GOOD.replace("kwame@trust.example", "amara@trust.example\n        slack: U2").replace(
        "Kwame Mensah", "Amara Okafor"
    )
    assert problems(text) == [
        (
            15,
            "networks[0].leads[0].slack",
            "amara@trust.example is listed elsewhere with slack U1; use the same everywhere",
        )
    ]


def test_a_setting_given_twice_is_refused_not_silently_replaced() -> None:
    text = GOOD + "guardians:\n  - name: Someone Else\n    email: else@trust.example\n"
    assert problems(text) == [(19, "guardians", "this setting appears twice here; keep one")]


def test_an_unknown_platform_is_named_at_its_key() -> None:
    ((line, where, message),) = problems(GOOD + "guardian_space:\n  slak: C1\n")
    assert (line, where) == (20, "guardian_space.slak")
    assert message == "use 'slack', 'teams' or 'console'"


def test_a_number_where_text_belongs_asks_for_quotes() -> None:
    text = GOOD.replace("    slack: U1\n", "    slack: U1\n    phone: 01615550142\n")
    assert problems(text) == [
        (8, "guardians[0].phone", "write this as text; put it in quotes if it is a number")
    ]


def test_an_empty_list_heading_asks_for_a_list() -> None:
    text = GOOD.replace(
        "    leads:\n      - name: Kwame Mensah\n        email: kwame@trust.example\n",
        "    leads:\n",
    )
    assert problems(text) == [
        (12, "networks[0].leads", "expected a list, one item per line starting with -")
    ]


def test_a_resource_listed_twice_is_refused() -> None:
    text = GOOD + "  - name: EAP\n    for: Again.\n    contact: Ext. 1.\n"
    assert problems(text) == [(19, "support[1].name", "EAP is used twice")]


def test_an_empty_crisis_list_would_hide_the_defaults_so_is_refused() -> None:
    ((line, where, message),) = problems(GOOD + "crisis: []\n")
    assert (line, where) == (19, "crisis")
    assert "leave crisis out" in message


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "nope.yml"
    with pytest.raises(OrgFileError) as caught:
        load_org_file(path)
    assert str(caught.value) == f"{path}: cannot read it: No such file or directory"


def test_an_empty_file_says_what_is_expected() -> None:
    assert problems("") == [(1, "", "expected sections like organisation: and guardians:")]


def test_errors_print_one_line_each_with_file_and_line() -> None:
    with pytest.raises(OrgFileError) as caught:
        parse_org(GOOD.replace("Europe/London", "Nowhere"), "org.yml")
    assert str(caught.value).startswith("org.yml:3: organisation.time_zone: not a time zone")


def test_a_person_listed_twice_keeps_the_details_from_both_places() -> None:
    text = GOOD.replace(
        "        email: kwame@trust.example\n",
        "        email: kwame@trust.example\n"
        "      - name: Amara Okafor\n        email: Amara@Trust.example\n        phone: ext 42\n",
    )
    people = parse_org(text, "org.yml").unique_people()
    assert list(people) == ["amara@trust.example", "kwame@trust.example"]
    assert (people["amara@trust.example"].slack, people["amara@trust.example"].phone) == (
        "U1",
        "ext 42",
    )


def programme(kind: str = "reverse_mentoring", **settings: str) -> str:
    """GOOD with one programme: a monthly cadence from 1 September unless `settings` say
    otherwise (an empty value leaves the setting out)."""
    given = {"cadence": "monthly on the first Tuesday", "starts": "2026-09-01", **settings}
    lines = [
        "programmes:",
        "  - key: reverse-mentoring",
        "    name: Reverse Mentoring",
        f"    kind: {kind}",
        *(f"    {name}: {value}" for name, value in given.items() if value),
    ]
    return GOOD + "\n".join(lines) + "\n"


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def test_a_programmes_schedule_is_read_as_an_rrule_with_its_defaults() -> None:
    (entry,) = parse_org(programme(ends="2027-07-31"), "org.yml").programmes
    assert entry.cadence == "FREQ=MONTHLY;BYDAY=+1TU"
    assert (entry.at, entry.remind_after_days, entry.records_actions) == ("10:00", 3, True)
    assert entry.schedule() == {
        "cadence": "FREQ=MONTHLY;BYDAY=+1TU",
        "round_time": "10:00",
        "starts": "2026-09-01",
        "ends": "2027-07-31",
    }


@pytest.mark.parametrize(
    ("settings", "where", "message"),
    [
        ({"ends": "2026-08-31"}, "ends", "the end is before the start; check the dates"),
        (
            {"ends": "2026-09-05", "cadence": "monthly on day 30"},
            "cadence",
            "this cadence gives no date between the start and the end; check the dates",
        ),
        ({"at": '"25:00"'}, "at", "use a 24-hour time like 10:00"),
        ({"at": "10:00"}, "at", "write this as text; put it in quotes if it is a number"),
        (
            {"time_zone": "Mars/Olympus"},
            "time_zone",
            "not a time zone name; use one like Europe/London",
        ),
        ({"starts": "next week"}, "starts", "write a date like 2026-09-01"),
        ({"remind_after_days": "lots"}, "remind_after_days", "write a whole number, like 3"),
        ({"cadence": "now and then"}, "cadence", "use words like “monthly on the first Tuesday”"),
    ],
)
def test_a_programmes_bad_schedule_is_named_at_its_line(
    settings: dict[str, str], where: str, message: str
) -> None:
    text = programme(**settings)
    ((line, found, said),) = problems(text)
    assert (line, found) == (line_of(text, f"    {where}:"), f"programmes[0].{where}")
    assert said.startswith(message)


def test_a_cadence_needs_a_start_and_dates_need_a_cadence() -> None:
    no_start = programme(starts="")
    assert problems(no_start) == [
        (
            line_of(no_start, "  - key: reverse"),
            "programmes[0].starts",
            "give the date the first round may open, like 2026-09-01",
        )
    ]
    no_cadence = programme(cadence="")
    assert problems(no_cadence) == [
        (
            line_of(no_cadence, "  - key: reverse"),
            "programmes[0]",
            "give a cadence for the dates to mean anything",
        )
    ]


def test_only_a_programme_with_a_senior_partner_records_actions() -> None:
    text = programme("mentoring", actions="true")
    assert problems(text) == [
        (
            line_of(text, "    actions:"),
            "programmes[0].actions",
            "only reverse_mentoring and executive_pairing programmes record actions",
        )
    ]
    (mentoring,) = parse_org(programme("mentoring"), "org.yml").programmes
    assert not mentoring.records_actions
    (quiet,) = parse_org(programme(actions="false"), "org.yml").programmes
    assert not quiet.records_actions


def test_email_domains_are_plain_domains() -> None:
    text = GOOD.replace(
        "  time_zone: Europe/London\n",
        "  time_zone: Europe/London\n  email_domains: [trust.example, '@nhs.net']\n",
    )
    assert problems(text) == [
        (4, "organisation.email_domains[1]", "write a domain like riverside.nhs.uk, without the @")
    ]


def test_a_teams_id_is_an_entra_object_id_kept_in_lower_case() -> None:
    """Teams sends a person's Entra object id in lower case: one pasted in capitals must
    still find its guardian, and a `29:` Teams id (which Teams shows nobody else) never
    could."""
    text = GOOD.replace("    slack: U1\n", "    teams: 5B8C2F1E-7A3D-4C6B-9E0F-1A2B3C4D5E6F\n")
    (amara,) = parse_org(text, "org.yml").guardians
    assert amara.teams == "5b8c2f1e-7a3d-4c6b-9e0f-1a2b3c4d5e6f"
    wrong = GOOD.replace("    slack: U1\n", "    teams: 29:1a2b3c\n")
    ((line, where, message),) = problems(wrong)
    assert (line, where) == (7, "guardians[0].teams")
    assert "is not a Microsoft Entra object ID" in message
