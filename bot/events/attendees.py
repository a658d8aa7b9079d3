"""Who is coming to one date, for that network's leads alone: names, who holds an offer,
the waitlist in order, access needs (opened only here), marking who came, and the CSV."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.conversation.actions import ActionId
from bot.conversation.forms import chosen, rejected
from bot.conversation.inbound import ButtonPressed, FormSubmitted
from bot.conversation.replies import (
    Attachment,
    Block,
    Button,
    Buttons,
    ChoiceInput,
    FieldItem,
    Fields,
    Form,
    Option,
    People,
    Reply,
    Text,
    When,
    say,
)
from bot.conversation.sealing import open_sealed
from bot.conversation.services import Services
from bot.events import attendance
from bot.events.actions import NAME
from bot.events.deps import Events
from bot.events.lead import Lead, as_lead, carried_ref, date_of, date_ref, done, form_reply
from bot.events.notices import person
from storage.events import EventSeries, Occurrence, Signup, SignupStatus

ATTENDEES = ActionId(NAME, "lead_attendees")
MARK = ActionId(NAME, "lead_mark")
EXPORT = ActionId(NAME, "lead_export")
MARK_FORM = ActionId(NAME, "lead_mark_form")


def _who(signup: Signup, named: Mapping[tuple[str, str], str]) -> str:
    return named.get((signup.platform, signup.user_id)) or signup.user_id


async def pressed_attendees(
    press: ButtonPressed, services: Services, events: Events
) -> list[Reply]:
    """Who is coming, who holds an offer, who is waiting (in order), and access needs: for
    the network's leads alone."""

    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, press.value)
        assert occurrence.id is not None
        people = await attendance.signups(lead.session, occurrence.id)
        named = await attendance.emails(lead.session, people)
        blocks: list[Block] = [
            Text(text=series.title, heading=True),
            When(label="Starts", at=occurrence.starts_at),
        ]
        groups = (
            (SignupStatus.GOING, "Coming"),
            (SignupStatus.OFFERED, "Offered a place"),
            (SignupStatus.WAITING, "Waiting"),
        )
        for status, label in groups:
            some = [s for s in people if s.status == status]
            blocks.append(
                People(
                    label=f"{label}: {len(some)}",
                    people=tuple(person(s) for s in some),
                    named=tuple(named.get((s.platform, s.user_id), "") for s in some),
                )
            )
        blocks += _needs(people, named, events)
        ref = date_ref(occurrence)
        blocks.append(
            Buttons(
                buttons=(
                    Button(label="Mark attended", action=MARK, value=ref),
                    Button(label="Download CSV", action=EXPORT, value=ref),
                )
            )
        )
        return [
            Reply(summary=f"Who is coming to {series.title}", blocks=tuple(blocks), ephemeral=True)
        ]

    return await as_lead(services, press.actor, "attendees", work)


def _needs(
    people: Sequence[Signup], named: Mapping[tuple[str, str], str], events: Events
) -> list[Block]:
    """Access needs, opened only here, for the leads' eyes."""
    sealed = [s for s in people if s.access_needs]
    if not sealed:
        return []
    if events.sealer is None:
        return [Text(text="Some people told us about access needs, but they can't be opened here.")]
    items = []
    for signup in sealed:
        assert signup.access_needs is not None
        opened = open_sealed(events.sealer, signup.access_needs)
        text = opened.get("text") or ""
        items.append(FieldItem(label=_who(signup, named), value=str(text)))
    return [Text(text="Access needs (only leads see these)"), Fields(items=tuple(items))]


def mark_form(
    occurrence: Occurrence,
    series: EventSeries,
    going: Sequence[Signup],
    named: Mapping[tuple[str, str], str],
) -> Form:
    return Form(
        form=MARK_FORM,
        title="Mark attended",
        intro=f"{series.title}: tick everyone who came.",
        inputs=(
            ChoiceInput(
                field="attended",
                label="Who came?",
                options=tuple(Option(value=str(s.id), label=_who(s, named)) for s in going),
                multiple=True,
                required=False,
                initial=tuple(str(s.id) for s in going if s.attended),
            ),
        ),
        submit_label="Save",
        carried={"occurrence": str(occurrence.id)},
    )


async def _going(
    lead: Lead, occurrence: Occurrence
) -> tuple[list[Signup], dict[tuple[str, str], str]]:
    assert occurrence.id is not None
    going = await attendance.signups(lead.session, occurrence.id, (SignupStatus.GOING,))
    return going, await attendance.emails(lead.session, going)


async def pressed_mark(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, press.value)
        going, named = await _going(lead, occurrence)
        if not going:
            return [say("Nobody has a place at this date yet.", ephemeral=True)]
        return form_reply(mark_form(occurrence, series, going, named), "Mark attended")

    return await as_lead(services, press.actor, "mark_attended", work)


async def marked(form: FormSubmitted, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, carried_ref(form))
        going, named = await _going(lead, occurrence)
        spec = mark_form(occurrence, series, going, named)
        if (again := rejected(spec, form.values)) is not None:
            return [again]
        came = set(chosen(form.values.get("attended")))
        for signup in going:
            signup.attended = str(signup.id) in came
            lead.session.add(signup)
        return done(f"Saved: {len(came)} of {len(going)} came.")

    return await as_lead(services, form.actor, "mark_attended", work)


async def pressed_export(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(lead: Lead) -> list[Reply]:
        occurrence, series = await date_of(lead, press.value)
        assert occurrence.id is not None
        data = attendance.as_csv(await attendance.rows(lead.session, occurrence.id))
        name = f"attendance-{occurrence.id}.csv"
        file = Attachment(name=name, media_type="text/csv", data=data.encode())
        text = f"Attendance for {series.title}. Access needs are not in the file."
        return [Reply(summary=text, blocks=(Text(text=text),), ephemeral=True, files=(file,))]

    return await as_lead(services, press.actor, "export", work)
