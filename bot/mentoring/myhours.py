"""My hours: when a person may be nudged (working days, quiet hours, time zone), from
`mentoring hours` or the My hours button. Kept by email, for every programme they are in."""

from __future__ import annotations

from datetime import time

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.forms import chosen, rejected, returned, text_of
from bot.conversation.inbound import Actor, ButtonPressed, Command, FormSubmitted
from bot.conversation.replies import ChoiceInput, Form, Notice, Option, Reply, TextInput, say
from bot.conversation.services import Services
from bot.mentoring.actions import HOURS
from bot.mentoring.hours import QUIET_FROM, QUIET_UNTIL, WORKING_WEEK, known_zone
from bot.mentoring.notify import home_zone
from bot.mentoring.people import memberships
from bot.organisation.recurrence import DAY_NAMES
from bot.organisation.schedule import clock_time
from storage.mentoring import Hours
from storage.upsert import upsert

DAYS = tuple(Option(value=str(n), label=name) for n, name in enumerate(DAY_NAMES))
NOT_PAIRED = (
    "Your hours matter once you're in a mentoring pair: ask your programme's coordinator. "
    "Type “mentoring” to see the programmes."
)


def hours_form(hours: Hours | None, zone: str) -> Form:
    days = hours.days if hours else sorted(WORKING_WEEK)
    return Form(
        form=HOURS,
        title="My hours",
        intro="When may we send you mentoring messages? Anything that comes on a day off or "
        "in your quiet hours waits until you're back.",
        inputs=(
            ChoiceInput(
                field="days",
                label="The days you work",
                options=DAYS,
                multiple=True,
                initial=tuple(str(d) for d in days),
            ),
            _clock(
                "quiet_from",
                "No messages from",
                "A 24-hour time, like 20:00",
                hours.quiet_from if hours else f"{QUIET_FROM:%H:%M}",
            ),
            _clock(
                "quiet_until",
                "Until",
                "Like 08:00. The same time twice: no quiet hours.",
                hours.quiet_until if hours else f"{QUIET_UNTIL:%H:%M}",
            ),
            TextInput(
                field="time_zone",
                label="Your time zone",
                required=False,
                max_length=64,
                hint=f"Like Europe/London. Blank: {zone}.",
                initial=hours.time_zone if hours else "",
            ),
        ),
        submit_label="Save",
    )


def _clock(field: str, label: str, hint: str, initial: str) -> TextInput:
    return TextInput(field=field, label=label, max_length=5, hint=hint, initial=initial)


async def _emails(session: AsyncSession, actor: Actor) -> list[str]:
    return sorted({member.email for member, _ in await memberships(session, actor)})


async def asked(event: Command | ButtonPressed, services: Services) -> list[Reply]:
    """The form, filled with their hours as they are."""
    async with services.db.session(write=False) as session:
        emails = await _emails(session, event.actor)
        if not emails:
            return [say(NOT_PAIRED, ephemeral=True)]
        hours = await session.get(Hours, emails[0])
        zone = await home_zone(session)
    return [Reply(summary="My hours", blocks=(hours_form(hours, zone),))]


async def saved(form: FormSubmitted, services: Services) -> list[Reply]:
    async with services.db.session() as session:
        emails = await _emails(session, form.actor)
        if not emails:
            return [say(NOT_PAIRED, ephemeral=True)]
        spec = hours_form(await session.get(Hours, emails[0]), await home_zone(session))
        if (again := rejected(spec, form.values)) is not None:
            return [again]
        errors: dict[str, str] = {}
        quiet = [_time(form.values.get(f), f, errors) for f in ("quiet_from", "quiet_until")]
        zone = text_of(form.values.get("time_zone"))
        if zone and not known_zone(zone):
            errors["time_zone"] = (
                "We don't know that time zone. Please give one like Europe/London."
            )
        if errors:
            return [returned(spec, form.values, errors)]
        days = sorted(int(d) for d in chosen(form.values.get("days")))
        row = {
            "days": days,
            "quiet_from": f"{quiet[0]:%H:%M}",
            "quiet_until": f"{quiet[1]:%H:%M}",
            "time_zone": zone,
        }
        for email in emails:
            statement = upsert(session, Hours).values(email=email, seen_zone="", **row)
            await session.exec(statement.on_conflict_do_update(index_elements=["email"], set_=row))
    named = ", ".join(DAY_NAMES[d][:3] for d in days)
    text = (
        f"Saved. Messages come on {named}, never from {row['quiet_from']} to {row['quiet_until']}."
    )
    return [Reply(summary=text, blocks=(Notice(title="Saved", text=text),))]


def _time(value: object, field: str, errors: dict[str, str]) -> time:
    try:
        return clock_time(value if isinstance(value, str) else "")
    except ValueError:
        errors[field] = "Please give a 24-hour time like 20:00."
        return time(0)
