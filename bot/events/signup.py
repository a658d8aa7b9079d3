"""Staff's buttons on an event: sign up, join the waitlist, cancel, take or turn down an
offered place, and the optional question about access needs. Every change of place goes
through bot.events.places; this module only says what happened, in plain words, and hands
over the calendar invite."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.forms import rejected, text_of
from bot.conversation.inbound import ButtonPressed, FormSubmitted, person_of
from bot.conversation.payloads import decode, encode
from bot.conversation.replies import Attachment, Form, Notice, Reply, TextInput, say
from bot.conversation.sealing import seal
from bot.conversation.services import Services
from bot.events import invite, notices, places
from bot.events.actions import NEEDS
from bot.events.deps import Events
from bot.events.listing import CANCELLED, GONE, Listed, answer, card, current
from bot.events.payloads import OccurrenceRef
from bot.events.places import Outcome, Result
from storage.events import Signup, SignupStatus

NEEDS_FIELD = "needs"
NEEDS_QUESTION = "Is there anything we can do to make this event work for you?"
CARRIED = "occurrence"

ALREADY = {
    SignupStatus.GOING: "You're already signed up.",
    SignupStatus.OFFERED: "A place is being held for you: press “Yes, I'll come” to take it.",
    SignupStatus.CANCELLED: "You cancelled your place at this event.",
    SignupStatus.LAPSED: "The place we held for you has gone to the next person.",
}
CLOSED = "Sign-up for that event has closed."
FULL = "Sorry, that event is full, and it has no waitlist."


async def calendar_invite(
    session: AsyncSession, listed: Listed, signup: Signup, *, cancel: bool = False, now: datetime
) -> Attachment:
    """The .ics for one person's calendar, numbered above every invite they hold for this
    date (see bot.events.notices.next_sequence)."""
    sequence = await notices.next_sequence(session, signup, listed.occurrence)
    return invite.invite(
        listed.series,
        listed.occurrence,
        method="CANCEL" if cancel else "REQUEST",
        organiser_name=listed.network.name,
        domain=invite.DOMAIN,
        now=now,
        sequence=sequence,
    )


def _waiting_words(position: int | None) -> str:
    hours = int(places.OFFER_WINDOW.total_seconds() // 3600)
    return (
        f"The event is full, so you're on the waitlist: number {position}. "
        f"We'll message you if a place comes up — you'll have {hours} hours to take it "
        "(less if the event is soon)."
    )


async def _after(
    press: ButtonPressed,
    session: AsyncSession,
    deps: Events,
    result: Result,
    *,
    now: datetime,
    held: str | None = None,
) -> list[Reply]:
    """The answer to a press that went to the place rules: what happened, then the card as
    it now stands for them, in place of the one they pressed.

    In the press's own transaction: were the answer a second one, a busy database met
    after the place was given would have the press tried again from the start, and the
    person who just got a place would be told only that they already had one."""
    match result.outcome:
        case Outcome.GONE:
            return [answer(press, say(GONE))]
        case Outcome.EVENT_CANCELLED:
            return [answer(press, say(CANCELLED))]
    assert result.occurrence is not None and result.occurrence.id is not None
    found = await current(session, result.occurrence.id, person_of(press.actor))
    if found is None:
        return [answer(press, say(GONE))]
    listed, signup, position = found
    files: tuple[Attachment, ...] = ()
    title = listed.series.title
    match result.outcome:
        case Outcome.GOING if signup is not None:
            lead = f"You're going to {title}. We've sent you a calendar invite."
            files = (await calendar_invite(session, listed, signup, now=now),)
        case Outcome.WAITING:
            lead = _waiting_words(position)
        case Outcome.ALREADY if signup is not None and signup.status == SignupStatus.WAITING:
            lead = f"You're already on the waitlist: number {position}."
        case Outcome.ALREADY if signup is not None:
            lead = ALREADY.get(SignupStatus(signup.status), "")
        case Outcome.FULL:
            lead = FULL
        case Outcome.CLOSED:
            lead = CLOSED
        case Outcome.EXPIRED:
            lead = (
                "Sorry, the place we held for you ran out and has gone to the next person. "
                "You can join the waitlist again."
            )
        case Outcome.LEFT if held == SignupStatus.GOING and signup is not None:
            lead = (
                f"You've cancelled your place at {title}. "
                "We've sent a calendar update to take it out of your calendar."
            )
            files = (await calendar_invite(session, listed, signup, cancel=True, now=now),)
        case Outcome.LEFT if held == SignupStatus.WAITING:
            lead = f"You've left the waitlist for {title}."
        case Outcome.LEFT:
            lead = "No problem. We've let the place go, and you're off the waitlist."
        case Outcome.NOT_SIGNED_UP:
            lead = "You're not signed up for that event."
        case _:
            lead = ""
    blocks = card(listed, signup, position, now=now, deps=deps, lead=lead)
    summary = lead or title
    return [answer(press, Reply(summary=summary, blocks=blocks, files=files))]


async def _pressed(
    press: ButtonPressed,
    services: Services,
    deps: Events,
    step: places.Step,
    *,
    held: str | None = None,
    ended: str = "",
) -> list[Reply]:
    """The place rules' answer to this press, for the date its button names, and what the
    person is told of it, in one transaction (see `_after`). `ended` is said instead when
    there was nothing of theirs left to act on."""
    ref = decode(OccurrenceRef, press.value)
    now = services.clock.now()
    async with services.db.session() as session:
        result = await step(session, ref.occurrence, person_of(press.actor), now=now)
        if ended and result.outcome == Outcome.NOT_SIGNED_UP:
            return [answer(press, say(ended))]
        return await _after(press, session, deps, result, now=now, held=held)


async def sign_up(press: ButtonPressed, services: Services, deps: Events) -> list[Reply]:
    """One press, one place (or a spot in the queue): a double press changes nothing."""
    return await _pressed(press, services, deps, places.sign_up)


async def cancel(press: ButtonPressed, services: Services, deps: Events) -> list[Reply]:
    """Their place, their offer or their spot in the queue, given up; a place goes on to
    the next person waiting, and their calendar is told only if it had the invite."""
    ref = decode(OccurrenceRef, press.value)
    who = person_of(press.actor)
    now = services.clock.now()
    async with services.db.session() as session:
        before = await places.signup_of(session, ref.occurrence, who)
        held = before.status if before is not None else None
        result = await places.cancel(session, ref.occurrence, who, now=now)
        if result.outcome == Outcome.NOT_SIGNED_UP and held == SignupStatus.CANCELLED:
            return [answer(press, say("You've already cancelled your place."))]
        return await _after(press, session, deps, result, now=now, held=held)


async def claim(press: ButtonPressed, services: Services, deps: Events) -> list[Reply]:
    return await _pressed(press, services, deps, places.claim)


async def decline(press: ButtonPressed, services: Services, deps: Events) -> list[Reply]:
    ended = "That offer has already ended. Nothing has changed."
    return await _pressed(
        press, services, deps, places.decline, held=SignupStatus.OFFERED, ended=ended
    )


# Access needs: asked only where they can be sealed, read only by the network's leads

NOT_SEALABLE = (
    "Access needs can't be taken here yet. Please tell the network's lead directly; "
    "type “networks” to see who that is."
)


def needs_form(listed: Listed) -> Form:
    assert listed.occurrence.id is not None
    return Form(
        form=NEEDS,
        title="Access needs",
        intro=(
            f"For {listed.series.title}. Only the {listed.network.name}'s leads will see "
            "this. Leave it blank if there's nothing."
        ),
        inputs=(
            TextInput(
                field=NEEDS_FIELD,
                label=NEEDS_QUESTION,
                required=False,
                multiline=True,
                max_length=2000,
            ),
        ),
        carried={CARRIED: encode(OccurrenceRef(occurrence=listed.occurrence.id))},
    )


async def ask_needs(press: ButtonPressed, services: Services, deps: Events) -> list[Reply]:
    ref = decode(OccurrenceRef, press.value)
    if deps.sealer is None:
        return [answer(press, say(NOT_SEALABLE), in_place=False)]
    async with services.db.session(write=False) as session:
        found = await current(session, ref.occurrence, person_of(press.actor))
    if found is None:
        return [answer(press, say(GONE))]
    listed, signup, _ = found
    if places.cancelled(listed.occurrence, listed.series):
        return [answer(press, say(CANCELLED))]
    if signup is None or signup.status not in (SignupStatus.GOING, SignupStatus.WAITING):
        return [answer(press, say("Please sign up first, then tell the organisers."))]
    return [Reply(summary="Access needs", blocks=(needs_form(listed),))]


async def needs_given(form: FormSubmitted, services: Services, deps: Events) -> list[Reply]:
    """Sealed before it is stored; never logged, never shown back in a list."""
    ref = decode(OccurrenceRef, text_of(form.values.get(CARRIED)))
    if deps.sealer is None:
        return [say(NOT_SEALABLE)]
    who = person_of(form.actor)
    async with services.db.session() as session:
        found = await current(session, ref.occurrence, who)
        if found is None:
            return [say(GONE)]
        listed, signup, _ = found
        if places.cancelled(listed.occurrence, listed.series):
            return [_notice("Cancelled", CANCELLED)]
        if (refused := rejected(needs_form(listed), form.values)) is not None:
            return [refused]
        text = text_of(form.values.get(NEEDS_FIELD))
        if not text:
            return [_notice("Nothing sent", "You can tell the organisers any time from the event.")]
        if signup is None or signup.status not in (SignupStatus.GOING, SignupStatus.WAITING):
            return [_notice("Not signed up", "Please sign up first, then tell the organisers.")]
        await session.exec(
            update(Signup)
            .where(col(Signup.id) == signup.id)
            .values(access_needs=seal(deps.sealer, {"text": text}))
            .execution_options(synchronize_session=False)
        )
    return [
        _notice(
            "Thank you",
            f"We've passed this on. Only the {listed.network.name}'s leads will see it.",
        )
    ]


def _notice(title: str, text: str) -> Reply:
    return Reply(summary=title, blocks=(Notice(title=title, text=text),))
