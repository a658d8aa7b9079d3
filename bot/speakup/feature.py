"""Speak-up's one entry in the router table: the reporter's flow and guardian casework, with
the dependencies only speak-up has and the housekeeping only it needs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TypeVar

from bot.conversation.actions import ActionId
from bot.conversation.inbound import Actor, ButtonPressed, Command, FormSubmitted
from bot.conversation.needs import Handler, Needs, given
from bot.conversation.replies import Block, Reply, say
from bot.conversation.router import ActionHandler, CommandHandler, Feature, FormHandler
from bot.conversation.services import Services
from bot.conversation.tick import Chore, DueSource
from bot.speakup import alerts, guardian, reporter
from bot.speakup.attempts import Attempts
from bot.speakup.codes import TYPED_CODE
from bot.speakup.deps import SpeakUp
from bot.speakup.receipts import Receipts
from bot.speakup.report import purge

NAME = "speakup"
E = TypeVar("E", Command, ButtonPressed, FormSubmitted)
Uses = Needs[E, SpeakUp]

COMMANDS: Mapping[str, Handler[Command] | Uses[Command]] = {
    "speakup": Needs(reporter.show),
    "concern": Needs(reporter.show),
    "whistleblowing": Needs(reporter.show),
    "whistleblow": Needs(reporter.show),
    "report": Needs(reporter.show),
    "checkcase": reporter.check_typed,
    "cases": guardian.list_cases,
    "case": Needs(guardian.show_case),
}
SHOWN = tuple(k for k, h in COMMANDS.items() if isinstance(h, Needs) and h.handler is reporter.show)
"""The words that introduce speak-up: without a key they still explain it."""
ACTIONS: Mapping[ActionId, Handler[ButtonPressed] | Uses[ButtonPressed]] = {
    reporter.START: reporter.start,
    reporter.CHECK: reporter.check,
    reporter.ADD: Needs(reporter.add),
    reporter.FEEDBACK: Needs(reporter.feedback),
    guardian.ACK: guardian.acknowledge,
    guardian.REPLY: guardian.open_reply,
    guardian.NOTE: guardian.open_note,
    guardian.CATEGORISE: guardian.open_categorise,
    guardian.ASSIGN: guardian.open_assign,
    guardian.STEP_BACK: Needs(guardian.step_back),
    guardian.CLOSE: guardian.open_close,
}
FORMS: Mapping[ActionId, Handler[FormSubmitted] | Uses[FormSubmitted]] = {
    reporter.RAISE: Needs(reporter.submitted),
    reporter.LOOKUP: Needs(reporter.looked_up),
    reporter.ADDED: Needs(reporter.added),
    reporter.FEEDBACK_GIVEN: Needs(reporter.feedback_given),
    guardian.REPLY_FORM_ID: Needs(guardian.replied),
    guardian.NOTE_FORM_ID: Needs(guardian.noted),
    guardian.CATEGORISE_FORM_ID: guardian.categorised,
    guardian.ASSIGN_FORM_ID: Needs(guardian.assigned),
    guardian.CLOSE_FORM_ID: Needs(guardian.closed),
}


def feature(deps: SpeakUp | None, *, keep_closed_for: timedelta) -> Feature:
    """Speak-up with its dependencies; `deps` is None when no sealing key is configured.

    Then nothing can be kept safe, so nothing is taken: its command explains speaking up
    and names the guardians, and every other command, button and form says why it cannot
    help here yet. No alerts are due (they could not be queued sealed), but housekeeping
    runs either way: cases stored while a key was set still leave on time.
    `keep_closed_for` is how long a closed case is kept before only its counts remain.
    """
    if deps is None:
        return _speakup(
            commands={
                **dict.fromkeys(COMMANDS, _refuse),
                **dict.fromkeys(SHOWN, reporter.show_unsealed),
            },
            actions=dict.fromkeys(ACTIONS, _refuse),
            forms=dict.fromkeys(FORMS, _refuse),
            due=None,
            chores=_chores(keep_closed_for, Attempts(), Receipts()),
        )
    return _speakup(
        commands=given(COMMANDS, deps),
        actions=given(ACTIONS, deps),
        forms=given(FORMS, deps),
        due=alerts.due,
        chores=_chores(keep_closed_for, deps.guards.attempts, deps.receipts),
    )


def _speakup(
    *,
    commands: Mapping[str, CommandHandler],
    actions: Mapping[ActionId, ActionHandler],
    forms: Mapping[ActionId, FormHandler],
    due: DueSource | None,
    chores: tuple[Chore, ...],
) -> Feature:
    return Feature(
        name=NAME,
        title="Speak up",
        summary="Raise a concern safely, anonymously if you need to.",
        commands=commands,
        actions=actions,
        forms=forms,
        spotted={TYPED_CODE: "checkcase"},
        home=home,
        due=due,
        chores=chores,
        confidential=True,
    )


async def _refuse(_event: Command | ButtonPressed | FormSubmitted, _s: Services) -> list[Reply]:
    return [say(reporter.NOT_SET_UP, ephemeral=True)]


async def home(actor: Actor, services: Services) -> list[Block]:
    """Everyone's way in, then, for guardians only, what is waiting."""
    return [*await reporter.home(actor, services), *await guardian.home(actor, services)]


def _chores(
    keep_closed_for: timedelta, attempts: Attempts, receipts: Receipts
) -> tuple[Chore, ...]:
    """Without a key the guards' purge needs none: it drops rows by age alone."""

    async def purge_expired(services: Services) -> int:
        return await purge_closed(services, keep_closed_for)

    async def purge_guards(services: Services) -> int:
        """Look-up counts and sent-form receipts past the time they guard."""
        now = services.clock.now()
        return await attempts.purge(services.db, now) + await receipts.purge(services.db, now)

    return (
        Chore(name="speakup-purge", every=timedelta(days=1), run=purge_expired),
        Chore(name="speakup-guards", every=timedelta(minutes=1), run=purge_guards),
    )


async def purge_closed(services: Services, keep_closed_for: timedelta) -> int:
    """Daily, and on demand (`peerbot speakup purge`): closed cases past retention leave
    only their counts."""
    async with services.db.session() as session:
        return await purge(session, now=services.clock.now(), keep_for=keep_closed_for)
