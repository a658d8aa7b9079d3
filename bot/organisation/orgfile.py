"""The organisation file: its format, and a loader that names every problem with its line."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from bot.organisation.identities import id_given, id_problem
from bot.organisation.recurrence import cadence as cadence_rule
from bot.organisation.schedule import DEFAULT_TIME, clock_time
from bot.organisation.schedule import problems as schedule_problems

KEY = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
PLATFORMS = ("slack", "teams", "console")
PERSON_DETAILS = ("name", "phone", *PLATFORMS)
"""What may be repeated where a person is listed twice, but never differently."""

Loc = tuple[str | int, ...]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently drop a guardian."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class PersonEntry(Strict):
    name: str = Field(min_length=1)
    email: str
    phone: str | None = None
    slack: str | None = None
    teams: str | None = None
    console: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("this does not look like an email address")
        return value.lower()

    @field_validator("teams")
    @classmethod
    def _teams(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if (wrong := id_problem("teams", value)) is not None:
            raise ValueError(wrong)
        return id_given("teams", value)

    def identities(self) -> Iterator[tuple[str, str]]:
        for platform in PLATFORMS:
            user_id = getattr(self, platform)
            if user_id:
                yield platform, user_id


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a time zone name; use one like Europe/London") from None
    return value


Zone = Annotated[str, AfterValidator(_zone)]


def _domain(value: str) -> str:
    if not DOMAIN.match(value.lower()):
        raise ValueError("write a domain like riverside.nhs.uk, without the @")
    return value.lower()


class OrganisationEntry(Strict):
    name: str = Field(min_length=1)
    time_zone: Zone
    email_domains: tuple[Annotated[str, AfterValidator(_domain)], ...] = ()
    """Where staff emails are; without it, the domains of everyone named in the file."""


class AlertPolicyEntry(Strict):
    """When guardians hear of a new case. An alert that comes the minute a concern is sent
    can point at whoever was on shift then; a random delay blurs that, and a digest at
    fixed times (sent even when empty) says nothing at all about when anyone spoke up."""

    policy: Literal["at_once", "random_delay", "digest"] = "at_once"
    max_delay_minutes: int = Field(default=240, ge=1, le=24 * 60)
    digest_at: tuple[str, ...] = Field(default=("09:00",), min_length=1)

    @field_validator("digest_at")
    @classmethod
    def _times(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
                raise ValueError(f"{text!r} is not a time; use 24-hour times like 09:00")
        return tuple(sorted(set(value)))


def _key(value: str) -> str:
    if not KEY.match(value):
        raise ValueError("use lowercase letters, digits and hyphens, like race-equality")
    return value


Key = Annotated[str, AfterValidator(_key)]
"""A stable id (a network's, a programme's) that later data hangs off: never renamed lightly."""


class NetworkEntry(Strict):
    key: Key
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    leads: tuple[PersonEntry, ...] = ()
    channels: dict[Literal["slack", "teams", "console"], str] = Field(default_factory=dict)


def _clock(value: str) -> str:
    clock_time(value)
    return value


Cadence = Annotated[str, AfterValidator(cadence_rule)]
"""Plain words (or an RRULE), kept as the RRULE they mean."""
ClockTime = Annotated[str, AfterValidator(_clock)]


class ProgrammeEntry(Strict):
    """A programme; with a `cadence` and `starts`, its pairs get check-ins."""

    key: Key
    name: str = Field(min_length=1)
    kind: Literal["mentoring", "reverse_mentoring", "executive_pairing"]
    description: str = ""
    coordinators: tuple[PersonEntry, ...] = ()
    cadence: Cadence | None = None
    at: ClockTime = DEFAULT_TIME
    starts: date | None = None
    ends: date | None = None
    time_zone: Zone | None = None
    remind_after_days: int = Field(default=3, ge=0, le=28)
    actions: bool | None = None
    questions: tuple[Annotated[str, Field(min_length=1, max_length=300)], ...] | None = Field(
        default=None, max_length=10
    )

    @property
    def records_actions(self) -> bool:
        """The senior partner records actions in the programmes that have one, unless told
        not to."""
        return self.kind in SENIOR_KINDS and self.actions is not False

    def schedule(self) -> dict[str, str | None]:
        """What the file says of the settings a coordinator may also change in chat."""
        return {
            "cadence": self.cadence or "",
            "round_time": self.at,
            "starts": None if self.starts is None else self.starts.isoformat(),
            "ends": None if self.ends is None else self.ends.isoformat(),
        }


SENIOR_KINDS = ("reverse_mentoring", "executive_pairing")
"""Programmes whose pairs have a senior partner, who may record actions."""


class ResourceEntry(Strict):
    name: str = Field(min_length=1)
    purpose: str = Field(alias="for", min_length=1)
    contact: str = Field(min_length=1)


DEFAULT_CRISIS: tuple[ResourceEntry, ...] = (
    ResourceEntry.model_validate(
        {"name": "Emergency", "for": "If a life is at risk now.", "contact": "Call 999."}
    ),
    ResourceEntry.model_validate(
        {
            "name": "NHS 111",
            "for": "Urgent help for your mental health, any time (England).",
            "contact": "Call 111 and choose option 2.",
        }
    ),
    ResourceEntry.model_validate(
        {
            "name": "Samaritans",
            "for": "Someone to talk to, day or night, free.",
            "contact": "Call 116 123.",
        }
    ),
    ResourceEntry.model_validate(
        {
            "name": "Shout",
            "for": "Text support, any time, free.",
            "contact": "Text SHOUT to 85258.",
        }
    ),
)
"""UK crisis contacts, used when an org file lists none: they must never be missing."""


class OrgFile(Strict):
    organisation: OrganisationEntry
    guardians: tuple[PersonEntry, ...] = Field(min_length=1)
    guardian_space: dict[Literal["slack", "teams", "console"], str] = Field(default_factory=dict)
    speak_up_alerts: AlertPolicyEntry = AlertPolicyEntry()
    networks: tuple[NetworkEntry, ...] = ()
    programmes: tuple[ProgrammeEntry, ...] = ()
    support: tuple[ResourceEntry, ...] = ()
    crisis: tuple[ResourceEntry, ...] = Field(default=DEFAULT_CRISIS, min_length=1)

    def unique_people(self) -> dict[str, PersonEntry]:
        """Each email once, with the details given wherever it is listed."""
        merged: dict[str, PersonEntry] = {}
        for _, person in self.people():
            known = merged.get(person.email)
            merged[person.email] = person if known is None else merge_person(known, person)
        return merged

    def people(self) -> Iterator[tuple[Loc, PersonEntry]]:
        """Every person entry with where it stands in the file."""
        for i, person in enumerate(self.guardians):
            yield ("guardians", i), person
        for i, network in enumerate(self.networks):
            for j, person in enumerate(network.leads):
                yield ("networks", i, "leads", j), person
        for i, programme in enumerate(self.programmes):
            for j, person in enumerate(programme.coordinators):
                yield ("programmes", i, "coordinators", j), person


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    line: int | None
    where: str
    message: str


class OrgFileError(Exception):
    """Every problem in the file, one line each, so an admin can fix them in one pass."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(
            f"{self.source}:"
            + (f"{p.line}:" if p.line else "")
            + (f" {p.where}:" if p.where else "")
            + f" {p.message}"
            for p in self.problems
        )


def load_org_file(path: Path) -> OrgFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OrgFileError(
            str(path), [Problem(line=None, where="", message=f"cannot read it: {exc.strerror}")]
        ) from None
    return parse_org(text, str(path))


def parse_org(text: str, source: str) -> OrgFile:
    root, data = _read_yaml(text, source)
    lines = dict(_node_lines(root, ()))
    problems = list(_repeated_settings(root))
    try:
        org = OrgFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        locs = [tuple(e["loc"]) for e in errors]
        problems += [
            _problem(e, lines)
            for e in errors
            if not (e["type"] == "too_short" and _inside_another(tuple(e["loc"]), locs))
        ]
        raise OrgFileError(source, sorted(problems, key=lambda p: p.line or 0)) from None
    problems += _cross_checks(org, lines)
    problems += _programme_checks(org, lines)
    if problems:
        raise OrgFileError(source, sorted(problems, key=lambda p: p.line or 0))
    return org


def _read_yaml(text: str, source: str) -> tuple[yaml.Node, dict[str, Any]]:
    """The node tree (for lines) and the data built from that same tree, in one parse."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise OrgFileError(
            source,
            [
                Problem(
                    line=mark.line + 1 if mark else None,
                    where="",
                    message=f"not valid YAML: {exc.problem}",
                )
            ],
        ) from None
    finally:
        loader.dispose()
    if root is None or not isinstance(data, dict):
        raise OrgFileError(
            source,
            [
                Problem(
                    line=root.start_mark.line + 1 if root is not None else 1,
                    where="",
                    message="expected sections like organisation: and guardians:",
                )
            ],
        )
    return root, data


def _node_lines(node: yaml.Node | None, path: Loc) -> Iterator[tuple[Loc, int]]:
    """Path in the data -> 1-based line where it starts, for every mapping key and item."""
    if node is None:
        return
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            yield child, key.start_mark.line + 1
            yield from (item for item in _node_lines(value, child) if item[0] != child)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _node_lines(item, (*path, index))


def _repeated_settings(node: yaml.Node, path: Loc = ()) -> Iterator[Problem]:
    """YAML keeps only the last of two equal keys: a second `guardians:` would silently
    replace the first list."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            child = (*path, str(key.value))
            if child[-1] in seen:
                yield Problem(
                    line=key.start_mark.line + 1,
                    where=_where(child),
                    message="this setting appears twice here; keep one",
                )
            seen.add(str(key.value))
            yield from _repeated_settings(value, child)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _repeated_settings(item, (*path, index))


def _inside_another(loc: tuple[Any, ...], locs: list[tuple[Any, ...]]) -> bool:
    """A list reported too short only because its items failed: the items' errors say more."""
    return any(len(other) > len(loc) and other[: len(loc)] == loc for other in locs)


def _line_of(path: Loc, lines: dict[Loc, int]) -> int | None:
    """The line of `path`, or of its nearest parent when it is missing from the file."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _where(path: Loc) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


MESSAGES = {
    "missing": "this is required and missing",
    "extra_forbidden": "unknown setting (check the spelling)",
    "string_type": "write this as text; put it in quotes if it is a number",
    "tuple_type": "expected a list, one item per line starting with -",
    "dict_type": "expected settings, one per line, like slack: C0123ABCD",
    "model_type": "expected settings, one per line, like name: and email:",
    "date_type": "write a date like 2026-09-01",
    "date_parsing": "write a date like 2026-09-01",
    "date_from_datetime_parsing": "write a date like 2026-09-01",
    "int_parsing": "write a whole number, like 3",
    "int_type": "write a whole number, like 3",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
}
"""Plain words for pydantic's error types that an admin editing YAML meets most."""

SECTION_MESSAGES: dict[Loc, str] = {
    ("guardians",): "list at least one Freedom to Speak Up guardian",
    ("crisis",): "leave crisis out to use the UK crisis lines, or list at least one",
}


def _problem(error: Any, lines: dict[Loc, int]) -> Problem:
    # A bad dict key (an unknown platform) ends its loc with "[key]": point at the key itself.
    path: Loc = tuple(p for p in error["loc"] if p != "[key]")
    message = MESSAGES.get(error["type"], str(error["msg"]).removeprefix("Value error, "))
    if error["type"] in ("too_short", "tuple_type"):
        message = SECTION_MESSAGES.get(path, message)
    if error["type"] == "literal_error":
        message = message.replace("Input should be", "use")
    return _at(path, lines, message)


def _cross_checks(org: OrgFile, lines: dict[Loc, int]) -> Iterator[Problem]:
    """What no single entry can know: repeats, and people described two ways."""
    yield from _repeats("networks", "key", [n.key for n in org.networks], lines)
    yield from _repeats("programmes", "key", [p.key for p in org.programmes], lines)
    yield from _repeats("support", "name", [r.name for r in org.support], lines)
    yield from _repeats("crisis", "name", [r.name for r in org.crisis], lines)
    merged: dict[str, PersonEntry] = {}
    owners: dict[tuple[str, str], str] = {}
    for path, person in org.people():
        known = merged.get(person.email, person)
        for detail in PERSON_DETAILS:
            mine, theirs = getattr(person, detail), getattr(known, detail)
            if mine is not None and theirs is not None and mine != theirs:
                yield _at(
                    (*path, detail),
                    lines,
                    f"{person.email} is listed elsewhere with {detail} {theirs}; "
                    "use the same everywhere",
                )
        merged[person.email] = merge_person(known, person)
        for platform, user_id in person.identities():
            owner = owners.setdefault((platform, user_id), person.email)
            if owner != person.email:
                yield _at(
                    (*path, platform), lines, f"{platform} id {user_id} already belongs to {owner}"
                )


def _programme_checks(org: OrgFile, lines: dict[Loc, int]) -> Iterator[Problem]:
    """What a programme's settings mean together: a cadence needs a start, an end comes
    after it, the cadence falls between them at least once, and only a programme with a
    senior partner records actions."""
    for i, entry in enumerate(org.programmes):
        if entry.actions and entry.kind not in SENIOR_KINDS:
            yield _at(
                ("programmes", i, "actions"),
                lines,
                "only reverse_mentoring and executive_pairing programmes record actions",
            )
        if entry.cadence is None:
            if entry.starts is not None or entry.ends is not None:
                yield _at(("programmes", i), lines, "give a cadence for the dates to mean anything")
            continue
        zone = entry.time_zone or org.organisation.time_zone
        wrong = schedule_problems(
            entry.cadence, clock_time(entry.at), entry.starts, entry.ends, zone
        )
        for setting, message in wrong.items():
            yield _at(("programmes", i, setting), lines, message)


def _repeats(
    section: str, field: str, values: list[str], lines: dict[Loc, int]
) -> Iterator[Problem]:
    """A value used twice in one section, reported at its second use."""
    for i, value in enumerate(values):
        if value in values[:i]:
            yield _at((section, i, field), lines, f"{value} is used twice")


def _at(path: Loc, lines: dict[Loc, int], message: str) -> Problem:
    return Problem(line=_line_of(path, lines), where=_where(path), message=message)


def merge_person(known: PersonEntry, again: PersonEntry) -> PersonEntry:
    """One person listed in two places: the details given in either place. The loader has
    refused real conflicts, so only gaps are filled."""
    fill = {
        detail: getattr(again, detail)
        for detail in PERSON_DETAILS
        if getattr(known, detail) is None and getattr(again, detail) is not None
    }
    return known.model_copy(update=fill) if fill else known
