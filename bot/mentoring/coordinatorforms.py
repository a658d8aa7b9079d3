"""A coordinator's two forms: add a pair (checked as a CSV row is, see newpairs), and change
the programme's schedule (checked as the organisation file's is, see
bot.organisation.schedule). Each runs as a coordinator: checked and audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.conversation.forms import rejected, returned, sent_first, text_of
from bot.conversation.inbound import ButtonPressed, FieldValue, FormSubmitted, Platform
from bot.conversation.replies import Form, FormInput, Notice, Reply, TextInput
from bot.conversation.services import Services
from bot.mentoring import newpairs
from bot.mentoring.actions import ADD_PAIR, SCHEDULE
from bot.mentoring.coordinating import Coordinating, as_coordinator, form_reply
from bot.mentoring.coordinator import ROLES
from bot.mentoring.payloads import programme_value
from bot.organisation.identities import id_given
from bot.organisation.recurrence import cadence, words
from bot.organisation.schedule import Schedule, clock_time, problems
from storage.organisation import Programme
from storage.seen import SeenEvent

ID_LABELS = {
    Platform.SLACK: ("Slack member ID", "Like U07ABC123. Without it they can't be messaged yet."),
    Platform.TEAMS: (
        "Microsoft Entra object ID",
        "Your IT team can find it in Entra. Without it they can't be messaged yet.",
    ),
    Platform.CONSOLE: ("console name", "The name they use with `peerbot console --user`."),
}
"""The id asked for, on the coordinator's own platform: the one they can look up. On Teams
that is the Entra object id, which peerbot knows people by (Teams' own `29:` ids are
peerbot's alone, and nobody can look them up)."""


def pair_form(programme: Programme, platform: str) -> Form:
    inputs: list[FormInput] = []
    id_label, id_hint = ID_LABELS.get(Platform(platform), ID_LABELS[Platform.SLACK])
    for role in newpairs.roles_of(programme.kind):
        title = ROLES[role]
        inputs += [
            TextInput(field=f"{role}_email", label=f"{title}: email", max_length=320),
            TextInput(field=f"{role}_name", label=f"{title}: name", required=False, max_length=200),
            TextInput(
                field=f"{role}_{platform}",
                label=f"{title}: {id_label}",
                required=False,
                max_length=64,
                hint=id_hint,
            ),
        ]
    return Form(
        form=ADD_PAIR,
        title="Add a pair",
        intro=f"{programme.name}. They'll be asked to check in from this round on.",
        inputs=tuple(inputs),
        submit_label="Add",
        carried={"programme": programme_value(programme.key)},
    )


async def pressed_add(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(doing: Coordinating) -> list[Reply]:
        return form_reply(pair_form(doing.programme_of(press.value), press.actor.platform))

    return await as_coordinator(services, press.actor, "add_pair", work)


def _new_pair(
    programme: Programme, values: Mapping[str, FieldValue], platform: str
) -> newpairs.NewPair:
    people = []
    for role in newpairs.roles_of(programme.kind):
        given = text_of(values.get(f"{role}_{platform}"))
        people.append(
            newpairs.Person(
                role=role,
                email=text_of(values.get(f"{role}_email")).lower(),
                name=text_of(values.get(f"{role}_name")),
                ids={platform: id_given(platform, given)} if given else {},
            )
        )
    return newpairs.NewPair(people=(people[0], people[1]))


async def pair_added(form: FormSubmitted, services: Services) -> list[Reply]:
    async def work(doing: Coordinating) -> list[Reply]:
        programme = doing.programme_of(text_of(form.values.get("programme")) or "x")
        spec = pair_form(programme, form.actor.platform)
        if (again := rejected(spec, form.values)) is not None:
            return [again]
        new = _new_pair(programme, form.values, form.actor.platform)
        # Recorded only once the pair is added: a refused form is sent again with the same
        # id (Slack keeps a modal's), put right, and must then count as new.
        once = f"mentoring-pair:{form.submission}"
        if form.submission and await doing.session.get(SeenEvent, once) is not None:
            return _done("Pair added", "Already added.")
        known = await newpairs.known(doing.session, programme.key, [new])
        found = list(newpairs.check([new], known))
        if found:
            return [returned(spec, form.values, {p.field: _sentence(p.message) for p in found})]
        if not await sent_first(doing.session, "mentoring-pair", form, now=doing.now):
            return _done("Pair added", "Already added.")
        await newpairs.add(doing.session, programme.key, [new], now=doing.now)
        first, second = (p.name or p.email for p in new.people)
        return _done(
            "Pair added",
            f"{first} and {second} are paired in {programme.name}. "
            "They'll be asked to check in from this round on.",
        )

    return await as_coordinator(services, form.actor, "add_pair", work)


def _sentence(message: str) -> str:
    return message[0].upper() + message[1:] + "."


def _done(title: str, text: str) -> list[Reply]:
    return [Reply(summary=text, blocks=(Notice(title=title, text=text),))]


def schedule_form(programme: Programme, zone: str) -> Form:
    rule = programme.cadence
    said = ""
    if rule and programme.starts is not None:
        schedule = Schedule(
            cadence=rule,
            at=clock_time(programme.round_time),
            starts=programme.starts,
            ends=programme.ends,
            zone=zone,
        )
        said = words(rule, schedule.first, zone)
        try:
            said = said if cadence(said) == rule else rule
        except ValueError:
            said = rule  # words that do not read back: the rule itself
    return Form(
        form=SCHEDULE,
        title="Change schedule",
        intro=f"{programme.name}. Times are {zone} time. Rounds count afresh from the one "
        "in progress when you save.",
        inputs=(
            TextInput(
                field="cadence",
                label="How often",
                max_length=200,
                hint="Like: monthly on the first Tuesday, every 4 weeks, weekly, monthly on day 15",
                initial=said,
            ),
            TextInput(
                field="at",
                label="Time a round opens",
                max_length=5,
                hint="Like 10:00",
                initial=programme.round_time,
            ),
            TextInput(
                field="starts",
                label="First round from",
                max_length=10,
                hint="A date, like 2026-09-01",
                initial=programme.starts.isoformat() if programme.starts else "",
            ),
            TextInput(
                field="ends",
                label="Programme ends",
                required=False,
                max_length=10,
                hint="A date, like 2027-07-31. Blank: no end.",
                initial=programme.ends.isoformat() if programme.ends else "",
            ),
        ),
        submit_label="Save",
        carried={"programme": programme_value(programme.key)},
    )


async def pressed_schedule(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(doing: Coordinating) -> list[Reply]:
        programme = doing.programme_of(press.value)
        return form_reply(schedule_form(programme, programme.time_zone or doing.home))

    return await as_coordinator(services, press.actor, "schedule", work)


async def schedule_saved(form: FormSubmitted, services: Services) -> list[Reply]:
    async def work(doing: Coordinating) -> list[Reply]:
        programme = doing.programme_of(text_of(form.values.get("programme")) or "x")
        zone = programme.time_zone or doing.home
        spec = schedule_form(programme, zone)
        if (again := rejected(spec, form.values)) is not None:
            return [again]
        read = _read_schedule(form.values, zone)
        if isinstance(read, dict):
            return [returned(spec, form.values, read)]
        programme.cadence, programme.round_time = read.cadence, f"{read.at:%H:%M}"
        programme.starts, programme.ends = read.starts, read.ends
        programme.rounds_from = None  # counted afresh from the next tick
        doing.session.add(programme)
        return _done("Schedule changed", f"{programme.name}: {read.words()}.")

    return await as_coordinator(services, form.actor, "schedule", work)


def _read_schedule(values: Mapping[str, FieldValue], zone: str) -> Schedule | dict[str, str]:
    """The schedule the form gives, or each field's error (field -> message)."""
    errors: dict[str, str] = {}
    rule = at = starts = ends = None
    try:
        rule = cadence(text_of(values.get("cadence")))
    except ValueError as wrong:
        errors["cadence"] = _sentence(str(wrong))
    try:
        at = clock_time(text_of(values.get("at")))
    except ValueError as wrong:
        errors["at"] = _sentence(str(wrong))
    for name in ("starts", "ends"):
        text = text_of(values.get(name))
        try:
            day = date.fromisoformat(text) if text else None
        except ValueError:
            errors[name] = "Please give a date like 2026-09-01."
            continue
        starts, ends = (day, ends) if name == "starts" else (starts, day)
    if errors or rule is None or at is None:
        return errors
    if whole := problems(rule, at, starts, ends, zone):
        return {name: _sentence(message) for name, message in whole.items()}
    assert starts is not None  # problems() says so when it is missing
    return Schedule(cadence=rule, at=at, starts=starts, ends=ends, zone=zone)
