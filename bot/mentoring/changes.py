"""Changes to a pairing: a person snoozes their check-ins, pauses or resumes the pair, or
leaves it (a coordinator may pause and resume it too). Each is audited, in the transaction
that makes it, and the other person and the coordinators are told once, keyed by the audit
row: kindly, and without blame. A nudge still waiting in the outbox is taken back, so
nobody hears from a pairing they have just paused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.actions import ActionId
from bot.conversation.forms import rejected, sent_first, text_of
from bot.conversation.inbound import Actor, ButtonPressed, FormSubmitted
from bot.conversation.outbox import Outgoing
from bot.conversation.payloads import decode
from bot.conversation.replies import ChoiceInput, Form, Notice, Option, Reply, say
from bot.conversation.services import Services
from bot.mentoring import rounds
from bot.mentoring.actions import LEAVE_FORM, PAUSE_FORM, SNOOZE_FORM
from bot.mentoring.hours import shifts_of
from bot.mentoring.notify import for_coordinators, for_member, home_zone, queue
from bot.mentoring.nudges import notice
from bot.mentoring.payloads import PairRef
from bot.mentoring.people import called, coordinated, members_of, membership
from bot.organisation.gated import Refused
from storage import outbox
from storage.directory import programme as programme_named
from storage.mentoring import BEFORE_ANY_ROUND, Member, MentoringAudit, Pair, PairStatus
from storage.organisation import Programme

NOT_YOURS = "That pairing isn't one of yours. Type “mentoring” to see yours."
NOT_LIVE = "That pairing has ended, so there's nothing to change. Type “mentoring” to see yours."
SNOOZES = (
    Option(value="1", label="1 week"),
    Option(value="2", label="2 weeks"),
    Option(value="4", label="4 weeks"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One change under way, in its transaction. `me` is the member making it; None when
    it is the programme's coordinator."""

    session: AsyncSession
    actor: Actor
    me: Member | None
    pair: Pair
    both: list[Member]
    programme: Programme
    now: datetime
    home: str

    @property
    def who(self) -> str:
        return called(self.me) if self.me is not None else "Your coordinator"

    @property
    def member(self) -> Member:
        """The member making a change only they may make (see `_changing`)."""
        assert self.me is not None
        return self.me

    def becomes(self, status: PairStatus) -> None:
        self.pair.status, self.pair.changed_at = status, self.now
        self.session.add(self.pair)

    async def _audited(self, action: str) -> MentoringAudit:
        row = MentoringAudit(
            at=self.now,
            platform=self.actor.platform,
            user_id=self.actor.user_id,
            action=action,
            programme=self.programme.key,
            pair_id=self.pair.id,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def tell(self, action: str, *, them: str, coordinators: str) -> None:
        """Audit the change, and tell the other person (both, when the coordinator acted)
        and, for a member's change, the coordinators: once each, keyed by the audit row."""
        audit = await self._audited(action)
        key = f"mentoring:{audit.action}:{audit.id}"
        items: list[Outgoing] = []
        for member in self.both:
            if self.me is None or member.id != self.me.id:
                said = notice(them)
                items += await for_member(
                    self.session,
                    member,
                    f"{key}:member:{member.id}",
                    said,
                    now=self.now,
                    home=self.home,
                )
        if self.me is not None:
            said = notice(f"{self.programme.name}, pair {self.pair.id}: {coordinators}")
            items += await for_coordinators(
                self.session, self.programme.key, key, said, now=self.now, home=self.home
            )
        await queue(self.session, items, now=self.now)


async def _changing(
    services: Services,
    actor: Actor,
    value: str,
    work: Callable[[Change], Awaitable[list[Reply]]],
    *,
    coordinator_may: bool = False,
) -> list[Reply]:
    """Run one change to the pair `value` names, for one of its people (or, where
    `coordinator_may`, its coordinator); a polite refusal for anyone else."""
    pair_id = decode(PairRef, value).pair
    now = services.clock.now()
    try:
        async with services.db.session() as session:
            mine = await membership(session, actor, pair_id)
            pair = mine[1] if mine else await session.get(Pair, pair_id)
            if pair is None:
                raise Refused
            programmes = await coordinated(session, actor) if coordinator_may else {}
            programme = programmes.get(pair.programme) or await programme_named(
                session, pair.programme
            )
            if programme is None:
                raise Refused
            if mine is None and pair.programme not in programmes:
                raise Refused
            if pair.status not in (PairStatus.ACTIVE, PairStatus.PAUSED):
                return [say(NOT_LIVE, ephemeral=True)]
            change = Change(
                session=session,
                actor=actor,
                me=mine[0] if mine else None,
                pair=pair,
                both=await members_of(session, pair_id),
                programme=programme,
                now=now,
                home=await home_zone(session),
            )
            return await work(change)
    except Refused:
        return [say(NOT_YOURS, ephemeral=True)]


def _keys(member: Member) -> list[str]:
    """The keys of the member's check-in and reminder for the round they were last asked."""
    if member.asked_round == BEFORE_ANY_ROUND:
        return []
    round_ = rounds.name(member.asked_round)
    return [
        f"mentoring:{kind}:{member.pair_id}:{round_}:{member.id}" for kind in ("checkin", "remind")
    ]


async def _take_back(session: AsyncSession, member: Member) -> bool:
    """Withdraw their nudges still waiting unsent; True when the check-in itself was, so it
    counts as not asked (a resume or the end of a snooze asks again)."""
    checkin, reminder = _keys(member) or ["", ""]
    withdrawn = await outbox.withdraw(session, [checkin])
    await outbox.withdraw(session, [reminder])
    if withdrawn:
        member.asked_due = None
        member.remind_at = None
        session.add(member)
    return bool(withdrawn)


def _confirm(form: ActionId, title: str, intro: str, yes: str, value: str) -> Form:
    sure = (Option(value="yes", label=yes),)
    return Form(
        form=form,
        title=title,
        intro=intro,
        inputs=(ChoiceInput(field="sure", label="Are you sure?", options=sure),),
        submit_label=title.split()[0],
        carried={"pair": value},
    )


def snooze_form(value: str) -> Form:
    return Form(
        form=SNOOZE_FORM,
        title="Snooze check-ins",
        intro="Take a break from check-ins. Your partner and coordinator will know you're "
        "having a break, nothing more.",
        inputs=(ChoiceInput(field="weeks", label="For how long?", options=SNOOZES),),
        submit_label="Snooze",
        carried={"pair": value},
    )


def pause_form(value: str, *, theirs: bool) -> Form:
    """`theirs`: the coordinator is pausing someone else's pairing."""
    told = (
        "for either of them until it is resumed. Both will be told, kindly."
        if theirs
        else "for either of you until it is resumed. Your partner and coordinator will be "
        "told, kindly."
    )
    return _confirm(PAUSE_FORM, "Pause the pairing", f"No check-ins {told}", "Yes, pause it", value)


def leave_form(value: str) -> Form:
    return _confirm(
        LEAVE_FORM,
        "Leave the pairing",
        "No more check-ins for this pairing. Your partner and coordinator will be told, "
        "kindly. Your coordinator can pair you again.",
        "Yes, leave it",
        value,
    )


def _done(title: str, text: str) -> list[Reply]:
    return [Reply(summary=text, blocks=(Notice(title=title, text=text),))]


def _pair_of(form: FormSubmitted) -> str:
    return text_of(form.values.get("pair"))


async def _day(change: Change, member: Member, moment: datetime) -> str:
    """`Tue 20 Oct`, on the member's clock."""
    zone = (await shifts_of(change.session, [member.email], change.home))[member.email].zone
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}"


def _opens(
    form_for: Callable[[str, Change], Form], *, coordinator_may: bool = False
) -> Callable[[ButtonPressed, Services], Awaitable[list[Reply]]]:
    """A button that opens its form, for the pair's people (and coordinator, if it may)."""

    async def pressed(press: ButtonPressed, services: Services) -> list[Reply]:
        async def work(change: Change) -> list[Reply]:
            form = form_for(press.value, change)
            return [Reply(summary=form.title, blocks=(form,))]

        return await _changing(
            services, press.actor, press.value, work, coordinator_may=coordinator_may
        )

    return pressed


pressed_snooze = _opens(lambda value, _: snooze_form(value))
pressed_pause = _opens(
    lambda value, change: pause_form(value, theirs=change.me is None), coordinator_may=True
)
pressed_leave = _opens(lambda value, _: leave_form(value))


async def snoozed(form: FormSubmitted, services: Services) -> list[Reply]:
    value = _pair_of(form)

    async def work(change: Change) -> list[Reply]:
        me = change.member
        if (again := rejected(snooze_form(value), form.values)) is not None:
            return [again]
        if not await sent_first(change.session, "mentoring-form", form, now=change.now):
            until = me.snoozed_until or change.now
            return _done("Snoozed", f"No check-ins until {await _day(change, me, until)}.")
        until = change.now + timedelta(weeks=int(text_of(form.values.get("weeks"))))
        me.snoozed_until = until
        if await _take_back(change.session, me):
            me.asked_round = BEFORE_ANY_ROUND  # asked again when the snooze ends
        change.session.add(me)
        day = await _day(change, me, until)
        await change.tell(
            "snooze",
            them=f"{change.who} is having a short break from check-ins until {day}. "
            "Nothing you need to do.",
            coordinators=f"{change.who} snoozed check-ins until {day}.",
        )
        return _done("Snoozed", f"No check-ins until {day}. Take care of yourself.")

    return await _changing(services, form.actor, value, work)


async def paused(form: FormSubmitted, services: Services) -> list[Reply]:
    value = _pair_of(form)

    async def work(change: Change) -> list[Reply]:
        spec = pause_form(value, theirs=change.me is None)
        if (again := rejected(spec, form.values)) is not None:
            return [again]
        if change.pair.status == PairStatus.PAUSED:
            return _done("Paused", "It's paused already. Press Resume when you're ready.")
        change.becomes(PairStatus.PAUSED)
        for member in change.both:
            await _take_back(change.session, member)
        await change.tell(
            "pause",
            them=f"{change.who} has paused your {change.programme.name} pairing for now. "
            "Nothing you need to do.",
            coordinators=f"{change.who} paused the pairing.",
        )
        return _done(
            "Paused", "The pairing is paused. Press Resume in “mentoring” when you're ready."
        )

    return await _changing(services, form.actor, value, work, coordinator_may=True)


async def pressed_resume(press: ButtonPressed, services: Services) -> list[Reply]:
    async def work(change: Change) -> list[Reply]:
        if change.pair.status == PairStatus.ACTIVE:
            return _done("Resumed", "It's on already. Check-ins come as usual.")
        change.becomes(PairStatus.ACTIVE)
        for member in change.both:
            if member.asked_due is None:  # not asked this round: the next tick asks
                member.asked_round = BEFORE_ANY_ROUND
                change.session.add(member)
        await change.tell(
            "resume",
            them=f"{change.who} has started your {change.programme.name} pairing again. "
            "Check-ins will come as before.",
            coordinators=f"{change.who} started the pairing again.",
        )
        return _done("Resumed", "Welcome back. Check-ins will come as before.")

    return await _changing(services, press.actor, press.value, work, coordinator_may=True)


async def left(form: FormSubmitted, services: Services) -> list[Reply]:
    value = _pair_of(form)

    async def work(change: Change) -> list[Reply]:
        if (again := rejected(leave_form(value), form.values)) is not None:
            return [again]
        change.becomes(PairStatus.LEFT)
        for member in change.both:
            await _take_back(change.session, member)
            member.active_in, member.remind_at = None, None
            change.session.add(member)
        await change.tell(
            "leave",
            them=f"{change.who} has left your {change.programme.name} "
            "pairing. Nothing you need to do: your coordinator will be in touch.",
            coordinators=f"{change.who} left the pairing.",
        )
        return _done("Done", "You've left the pairing. Thank you for the time you gave it.")

    return await _changing(services, form.actor, value, work)
