"""The check-in: "Have you met since last time?", the programme's own questions, a note for
the coordinator, and for a senior partner what happened with each open action; after
"Met", a second form for the actions they will take. One answer per person per round:
answering again updates it, until the round closes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.forms import rejected, returned, sent_first, text_of
from bot.conversation.inbound import Actor, ButtonPressed, FieldValue, FormSubmitted
from bot.conversation.payloads import decode, encode
from bot.conversation.replies import (
    Block,
    ChoiceInput,
    Form,
    FormInput,
    Notice,
    Option,
    Reply,
    Text,
    TextInput,
    When,
    say,
)
from bot.conversation.sealing import Sealer
from bot.conversation.services import Services
from bot.mentoring import agreed, nudges, rounds
from bot.mentoring.actions import CHECK_IN, RECORD_ACTIONS
from bot.mentoring.deps import Mentoring
from bot.mentoring.hours import notice_zone
from bot.mentoring.notify import for_coordinators, home_zone, queue
from bot.mentoring.payloads import PairRef
from bot.mentoring.people import called, coordinators, members_of, membership, partner
from bot.mentoring.private import opened, opened_answers, sealed, sealed_answers
from bot.organisation.schedule import schedule_of
from storage.directory import programme as programme_named
from storage.mentoring import (
    ActionStatus,
    Answer,
    CheckIn,
    Member,
    Pair,
    PairAction,
    PairRole,
    PairStatus,
    Round,
)
from storage.organisation import Programme, ProgrammeKind
from storage.upsert import upsert

ANSWERS = (
    Option(value=Answer.MET, label="Yes, we met"),
    Option(value=Answer.PLANNED, label="We've planned to meet"),
    Option(value=Answer.NOT_YET, label="Not yet"),
    Option(value=Answer.HELP, label="I'd like some help"),
)
QUESTIONS = {
    ProgrammeKind.MENTORING: (
        "What has gone well since you last met?",
        "What would you like to talk about next time?",
    ),
    ProgrammeKind.REVERSE_MENTORING: (
        "What have you learned from each other?",
        "What would you like to talk about next time?",
    ),
    ProgrammeKind.EXECUTIVE_PAIRING: (
        "What have you learned from each other?",
        "What would you like to talk about next time?",
    ),
}
"""Each kind's usual questions, for a programme that names none of its own."""
WHAT_HAPPENED = (
    Option(value=ActionStatus.DONE, label="Done"),
    Option(value=ActionStatus.IN_PROGRESS, label="In progress"),
    Option(value=ActionStatus.DROPPED, label="Dropped"),
)
MAX_ACTIONS = 5
"""Actions recorded after one meeting, and asked about in one check-in."""
NOT_YOURS = "That check-in isn't one of yours. Type “mentoring” to see yours."
PAUSED = "Your pairing is paused, so there's no check-in. Press Resume when you're ready."
CLOSED = "That round has closed, so it can't be changed now. Your next check-in will come."
ENDED = "That pairing has ended, so there's no check-in. Type “mentoring” to see yours."
THANKS = {
    Answer.MET: "Thank you. It's good to hear you met.",
    Answer.PLANNED: "Thank you. Good luck with the meeting.",
    Answer.NOT_YET: "Thank you for letting us know. No pressure: meet when you can.",
}


def questions_of(programme: Programme) -> tuple[str, ...]:
    return tuple(programme.questions) or QUESTIONS[ProgrammeKind(programme.kind)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Sitting:
    """One person's check-in for one round, everything its form needs."""

    me: Member
    pair: Pair
    partner: Member
    programme: Programme
    round: Round
    open_actions: list[PairAction]
    before: CheckIn | None

    @property
    def senior(self) -> bool:
        return self.me.role == PairRole.SENIOR and self.programme.records_actions

    def carried(self) -> dict[str, str]:
        assert self.pair.id is not None
        pair = encode(PairRef(pair=self.pair.id))
        return {"pair": pair, "round": rounds.name(self.round.opens_at)}


def check_in_form(sitting: Sitting, sealer: Sealer | None) -> Form:
    """The form, holding what they answered before this round, if they did. With no key to
    seal words, it asks nothing anyone would write."""
    before = sitting.before
    was: dict[str, str] = {}
    if before is not None and sealer is not None:
        was = {"note": opened(sealer, before.note)}
        answers = opened_answers(sealer, before.answers)
        asked = enumerate(questions_of(sitting.programme), 1)
        was |= {f"q{n}": answers.get(q, "") for n, q in asked}
    inputs: list[FormInput] = [
        ChoiceInput(
            field="met",
            label="Have you met since last time?",
            options=ANSWERS,
            initial=(before.answer,) if before else (),
        ),
        TextInput(
            field="planned_for",
            label="If you've planned to meet: which day?",
            required=False,
            max_length=10,
            hint="Like 2026-12-01",
            initial=before.planned_for.isoformat() if before and before.planned_for else "",
        ),
    ]
    if sealer is not None:
        inputs += [
            TextInput(
                field=f"q{n}",
                label=q,
                required=False,
                multiline=True,
                max_length=1000,
                initial=was.get(f"q{n}", ""),
            )
            for n, q in enumerate(questions_of(sitting.programme), 1)
        ]
        if sitting.senior:
            for action in sitting.open_actions:
                inputs += [
                    ChoiceInput(
                        field=f"action_{action.id}",
                        label=f"What happened with: {opened(sealer, action.text)}",
                        options=WHAT_HAPPENED,
                        required=False,
                    ),
                    TextInput(
                        field=f"why_{action.id}",
                        label="Why? (optional)",
                        required=False,
                        max_length=300,
                    ),
                ]
        inputs.append(
            TextInput(
                field="note",
                label="Anything you'd like the coordinator to know?",
                required=False,
                multiline=True,
                max_length=1000,
                hint="Only this is shared with your coordinator. Leave it blank to share nothing.",
                initial=was.get("note", ""),
            )
        )
    return Form(
        form=CHECK_IN,
        title="Check-in",
        intro=f"{sitting.programme.name}, with {called(sitting.partner)}. "
        "One answer for this round: you can change it until the round closes.",
        inputs=tuple(inputs),
        submit_label="Send",
        carried=sitting.carried(),
    )


def actions_form(sitting: Sitting) -> Form:
    return Form(
        form=RECORD_ACTIONS,
        title="Record actions",
        intro="Good to hear you met. What will you do as a result? Up to five things. "
        f"{called(sitting.partner)} will see them, and how they go.",
        inputs=tuple(
            TextInput(field=f"a{n}", label=f"Action {n}", required=n == 1, max_length=300)
            for n in range(1, MAX_ACTIONS + 1)
        ),
        submit_label="Save",
        carried=sitting.carried(),
    )


async def sitting(session: AsyncSession, me: Member, pair: Pair, round_: Round) -> Sitting:
    assert pair.id is not None and round_.id is not None
    programme = await programme_named(session, pair.programme)
    assert programme is not None
    both = await members_of(session, pair.id)
    actions = await agreed.of_pair(session, pair.id)
    said = select(CheckIn).where(
        col(CheckIn.member_id) == me.id, col(CheckIn.round_id) == round_.id
    )
    still_open = [a for a in actions if a.status in agreed.STILL_OPEN and a.round_id != round_.id]
    return Sitting(
        me=me,
        pair=pair,
        partner=partner(both, me),
        programme=programme,
        round=round_,
        open_actions=_to_ask(still_open),
        before=(await session.exec(said)).first(),
    )


def _to_ask(still_open: list[PairAction]) -> list[PairAction]:
    """The actions one check-in asks about: those longest without news, a few at a time.
    Asking about every open action from a year of rounds would be a long form to face on
    a phone, and too big for a Slack modal or a Teams card; the rest come next time."""
    waiting = sorted(still_open, key=lambda a: (a.changed_at, a.id or 0))
    return sorted(waiting[:MAX_ACTIONS], key=lambda a: a.id or 0)


class Unavailable(Exception):
    """No check-in to give: `reply` says why, kindly."""

    def __init__(self, reply: Reply) -> None:
        super().__init__("no check-in")
        self.reply = reply


async def _seated(
    session: AsyncSession, actor: Actor, value: str, round_name: str | None, now: datetime
) -> Sitting:
    """This person's check-in for the round named `round_name` (the one open now, when
    None) of the pair `value` names; Unavailable when there is none for them."""
    pair_id = decode(PairRef, value).pair
    mine = await membership(session, actor, pair_id)
    if mine is None:
        raise Unavailable(say(NOT_YOURS, ephemeral=True))
    me, pair = mine
    if pair.status == PairStatus.PAUSED:
        raise Unavailable(say(PAUSED, ephemeral=True))
    if pair.status != PairStatus.ACTIVE:
        raise Unavailable(say(ENDED, ephemeral=True))
    if round_name is None:
        round_ = next(iter(reversed(await rounds.open_rounds(session, pair.programme, now))), None)
        if round_ is None:
            raise Unavailable(await _no_round(session, pair.programme, now))
    else:
        opens_at = rounds.named(round_name)
        round_ = (
            await rounds.open_round(session, pair.programme, opens_at, now) if opens_at else None
        )
        if round_ is None:
            raise Unavailable(say(CLOSED, ephemeral=True))
    return await sitting(session, me, pair, round_)


async def _no_round(session: AsyncSession, key: str, now: datetime) -> Reply:
    programme = await programme_named(session, key)
    schedule = schedule_of(programme, await home_zone(session)) if programme else None
    coming = rounds.next_opening(schedule, now) if schedule else None
    if coming is None:
        return say("There's no check-in open just now. Thanks for taking part.", ephemeral=True)
    text = "There's no check-in open just now. The next round opens soon."
    return Reply(
        summary=text,
        blocks=(Text(text=text), When(label="Next round opens", at=coming)),
        ephemeral=True,
    )


async def pressed_check_in(
    press: ButtonPressed, services: Services, deps: Mentoring
) -> list[Reply]:
    """Check in: this round's form for one of the pair."""
    now = services.clock.now()
    try:
        async with services.db.session(write=False) as session:
            seated = await _seated(session, press.actor, press.value, None, now)
    except Unavailable as none:
        return [none.reply]
    return [Reply(summary="Check-in", blocks=(check_in_form(seated, deps.sealer),))]


async def checked_in(form: FormSubmitted, services: Services, deps: Mentoring) -> list[Reply]:
    """The answer stored (or changed), their reminder called off, a request for help told
    to the coordinators at once; then thanks, or the senior partner's actions form."""
    now = services.clock.now()
    values = form.values
    try:
        async with services.db.session() as session:
            seated = await _seated(session, form.actor, _pair(values), _round(values), now)
            spec = check_in_form(seated, deps.sealer)
            given = {**values, **spec.carried}
            if (again := rejected(spec, given)) is not None:
                return [again]
            answer = Answer(text_of(given.get("met")))
            planned, problem = _planned(answer, text_of(given.get("planned_for")), now)
            if problem:
                return [returned(spec, given, {"planned_for": problem})]
            note = await _save(session, seated, answer, planned, given, deps.sealer, now)
            await notice_zone(session, seated.me.email, form.actor.time_zone)
            if answer == Answer.HELP:
                return await _help_asked(session, seated, note, deps.sealer, now)
            if answer == Answer.MET and seated.senior and deps.sealer is not None:
                return [Reply(summary="Record actions", blocks=(actions_form(seated),))]
            return await _thanked(session, seated, THANKS[answer], deps.sealer)
    except Unavailable as none:
        return [none.reply]


async def actions_recorded(form: FormSubmitted, services: Services, deps: Mentoring) -> list[Reply]:
    """The senior partner's actions, sealed, for both of them to follow."""
    now = services.clock.now()
    values = form.values
    try:
        async with services.db.session() as session:
            seated = await _seated(session, form.actor, _pair(values), _round(values), now)
            sealer = deps.sealer
            if not seated.senior or sealer is None:
                return [say(NOT_YOURS, ephemeral=True)]
            spec = actions_form(seated)
            given = {**values, **spec.carried}
            if (again := rejected(spec, given)) is not None:
                return [again]
            if await sent_first(session, "mentoring-actions", form, now=now):
                for n in range(1, MAX_ACTIONS + 1):
                    if text := text_of(given.get(f"a{n}")):
                        session.add(
                            PairAction(
                                pair_id=seated.pair.id or 0,
                                round_id=seated.round.id or 0,
                                text=sealed(sealer, text) or "",
                                created_at=now,
                                changed_at=now,
                            )
                        )
                await session.flush()
            partner_name = called(seated.partner)
            return await _thanked(
                session, seated, f"Saved. {partner_name} can see them in “mentoring”.", sealer
            )
    except Unavailable as none:
        return [none.reply]


def _pair(values: Mapping[str, FieldValue]) -> str:
    """The pair the form carries ("x", which is none, when it was tampered with)."""
    return text_of(values.get("pair")) or "x"


def _round(values: Mapping[str, FieldValue]) -> str:
    """The round the form was for, by name (see rounds.name)."""
    return text_of(values.get("round"))


def _planned(answer: Answer, text: str, now: datetime) -> tuple[date | None, str]:
    """The day they plan to meet, for "planned" only; and what is wrong with it, if anything."""
    if answer != Answer.PLANNED:
        return None, ""
    if not text:
        return None, "Please give the day you plan to meet, like 2026-12-01."
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None, "Please give the day like 2026-12-01."
    if day < now.date():
        return None, "That day has passed. Please give a day to come, or pick another answer."
    return day, ""


async def _save(
    session: AsyncSession,
    seated: Sitting,
    answer: Answer,
    planned: date | None,
    given: Mapping[str, FieldValue],
    sealer: Sealer | None,
    now: datetime,
) -> str:
    """Store the answer (again, when they change it) and what happened with each action;
    returns the note for the coordinator, if they wrote one."""
    note = text_of(given.get("note")) if sealer else ""
    answers = {
        q: text_of(given.get(f"q{n}")) for n, q in enumerate(questions_of(seated.programme), 1)
    }
    row = {
        "answer": answer,
        "planned_for": planned,
        "answers": sealed_answers(sealer, answers) if sealer else None,
        "note": sealed(sealer, note) if sealer else None,
        "changed_at": now,
    }
    statement = upsert(session, CheckIn).values(
        pair_id=seated.pair.id,
        member_id=seated.me.id,
        round_id=seated.round.id,
        answered_at=now,
        **row,
    )
    await session.exec(
        statement.on_conflict_do_update(index_elements=["member_id", "round_id"], set_=row)
    )
    seated.me.remind_at = None  # answered: no reminder this round
    session.add(seated.me)
    if seated.senior and sealer is not None:
        for action in seated.open_actions:
            status = text_of(given.get(f"action_{action.id}"))
            if status in {o.value for o in WHAT_HAPPENED}:
                action.status = status
                action.why = sealed(sealer, text_of(given.get(f"why_{action.id}")))
                action.changed_at = now
                session.add(action)
    return note


async def _help_asked(
    session: AsyncSession, seated: Sitting, note: str, sealer: Sealer | None, now: datetime
) -> list[Reply]:
    """Every coordinator is told at once (within their hours), once per person per round;
    sealed when a sealing key is there, as it names who asked and may carry their note."""
    home = await home_zone(session)
    me, pair = seated.me, seated.pair
    key = f"mentoring:help:{pair.id}:{rounds.name(seated.round.opens_at)}:{me.id}"
    reply = nudges.help_wanted(seated.programme.name, called(me), me.email, note, pair)
    items = await for_coordinators(session, pair.programme, key, reply, now=now, home=home)
    await queue(
        session, [replace(i, sealed=sealer is not None) for i in items], now=now, sealer=sealer
    )
    names = [c.person.name for c in await coordinators(session, pair.programme)]
    who = " or ".join(names) if names else "Your programme's coordinator"
    return await _thanked(
        session, seated, f"Thank you for telling us. {who} will be in touch soon.", sealer
    )


async def _thanked(
    session: AsyncSession, seated: Sitting, text: str, sealer: Sealer | None
) -> list[Reply]:
    """Thanks, with the pair's actions and how they stand, which both partners follow."""
    actions = await agreed.of_pair(session, seated.pair.id or 0)
    blocks: list[Block] = [Notice(title="Thank you", text=text), *agreed.blocks(actions, sealer)]
    return [Reply(summary=text, blocks=tuple(blocks))]
