"""The Teams app: each activity checked and parsed, answered by the core, and the reply plan
carried out in messages and dialogs (task modules), never in a way others can see."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web

from adapters.answering import TRY_LATER, Answering
from adapters.files import FileLinks
from adapters.refusal import Refused
from adapters.runtime import Runtime, reachable_at
from adapters.teams import render
from adapters.teams.hosting import Hosting, Incoming
from adapters.teams.pacing import Pacer
from adapters.teams.parse import PERSONAL, Inbound, Via, parse
from adapters.teams.render import Look
from adapters.teams.sender import TeamsSender, kind_of, look_at
from adapters.tokens import SealedTokens
from bot.conversation.codec import reply_from_json, reply_to_json
from bot.conversation.errors import described
from bot.conversation.forms import SAVE_LATER, refill
from bot.conversation.inbound import Command, Conversation, FormSubmitted, person_of
from bot.conversation.outbox import DeliveryFailed
from bot.conversation.plan import OpenForm, Post, Refuse, ReplaceForm, Step, UpdatePressed, plan
from bot.conversation.references import keep
from bot.conversation.replies import Reply, say

logger = logging.getLogger(__name__)

DIALOG_DEADLINE = 4.5
"""Seconds the core may take to answer a dialog; Teams gives up waiting soon after."""
SEALED_LASTS = timedelta(days=2)
"""How long a form opener in the chat, or a dialog's own copy of its form, stays good."""
SORRY = "Sorry, something went wrong on our side. Please try again in a minute."
EXPIRED = "Sorry, that has expired. Please ask again, and it will open afresh."
NOT_OURS = "Sorry, that button no longer works. Type help to see what I can do."
ONE_PERSON = "an answer for one person in a shared conversation"


@dataclass(frozen=True, kw_only=True)
class TeamsAdapter:
    """`hosting` holds botbuilder; `sender` every message peerbot sends to Teams; `links`
    the signed links a reply's files open from."""

    runtime: Runtime
    hosting: Hosting
    sender: TeamsSender
    links: FileLinks
    forms: SealedReplies
    answering: Answering
    base: Look

    async def running(self, _app: web.Application) -> AsyncIterator[None]:
        """While the server runs (an aiohttp cleanup context, unwound before the runtime
        stops): at shutdown, activities already acknowledged are answered first."""
        yield
        await self.answering.acked.drain()
        self.hosting.close()

    async def handle(self, request: web.Request) -> web.Response:
        """POST /api/messages. The token is checked before anything else happens; an
        invoke (a dialog, a card action) is answered in this response, and anything else
        is acknowledged at once and answered by messages after."""
        try:
            incoming = await self.hosting.authenticate(request)
        except Refused as refused:
            return refused.response("teams")
        if incoming.invoke:
            try:
                body = await self.hosting.run(incoming, self._invoked)
            except Exception as exc:  # the turn never started (no token for peerbot, say)
                logger.error("teams: an invoke failed (%s)", described(exc))
                body = _note(incoming.activity.get("name"), SORRY)
            return web.json_response(body) if body is not None else web.Response(status=200)
        task = asyncio.create_task(self._later(incoming))
        self.answering.acked.track(task)
        return web.Response(status=200)

    async def _later(self, incoming: Incoming) -> None:
        try:
            await self.hosting.run(incoming, self._activity)
        except Exception as exc:
            logger.error("teams: a turn could not run (%s)", described(exc))

    async def _activity(self, activity: dict[str, Any]) -> None:
        """A message, a card's button or form, or an install: answered with messages."""
        inbound = parse(activity, self.runtime.clock.now())
        if inbound is None:
            return None
        if inbound.via == Via.INSTALL:
            await self._installed(inbound)
            return None
        event = inbound.event
        assert event is not None  # parse gives a message's event or nothing
        delivery = delivery_id(inbound.conversation, inbound.activity_id)
        if not await self.answering.first_delivery(delivery):
            return None
        try:
            steps = plan(event, await self.answering.replies(event))

            async def run(index: int, step: Step) -> None:
                await self._carry_out(inbound, index, step)

            await self.answering.carry_out(steps, event, run, origin=delivery)
        except Exception as exc:
            # its kind and place only: an exception's text may quote what was being handled
            logger.error("teams: a turn failed (%s)", described(exc))
            await self._say(inbound.conversation, SORRY)
        return None

    async def _carry_out(self, inbound: Inbound, index: int, step: Step) -> None:
        """One step of the plan for a message or a card action in a conversation."""
        assert inbound.event is not None
        event, where = inbound.event, inbound.conversation
        match step:
            case OpenForm(reply=reply) | Post(reply=reply) if kind_of(where) != PERSONAL:
                # Teams shows a message to everyone here: it goes to the asker's own chat
                key = f"teams-asker:{delivery_id(where, inbound.activity_id)}:{index}"
                item = self.answering.later(key, person_of(event.actor), reply, event)
                await self.answering.queue(item, ONE_PERSON, level=logging.INFO)
            case ReplaceForm(reply=reply) | Refuse(reply=reply) | UpdatePressed(reply=reply) if (
                inbound.card
            ):
                await self.sender.replace(where, inbound.card, reply)
            case _:
                await self.sender.post(where, step.reply)

    async def _installed(self, inbound: Inbound) -> None:
        """peerbot added: in someone's personal scope, their reference is kept (to reach
        them later) and they are greeted; in a team or a chat, it says hello there. Once
        per conversation, however often Teams tells of it."""
        where, actor = inbound.conversation, inbound.actor
        if where.is_private:
            async with self.runtime.db.session() as session:
                await keep(session, person_of(actor), where)
        if not await self.answering.first_delivery(delivery_id(where, "installed")):
            return
        hello = Command(actor=actor, conversation=where, at=self.runtime.clock.now(), name="help")
        try:
            for reply in await self.answering.replies(hello):
                await self.sender.post(where, reply)
        except DeliveryFailed as failed:
            logger.warning("teams: the greeting was not delivered (%s)", failed.reason)

    async def _say(self, where: Conversation, text: str) -> None:
        try:
            await self.sender.post(where, say(text))
        except DeliveryFailed as failed:
            logger.warning("teams: could not say sorry either (%s)", failed.reason)

    async def _invoked(self, activity: dict[str, Any]) -> dict[str, Any] | None:
        """A dialog asked for or sent, or a card action: the answer goes in the response."""
        inbound = parse(activity, self.runtime.clock.now())
        if inbound is None:
            return None  # an invoke peerbot does not use: a 200, and nothing happens
        try:
            if inbound.sealed:
                opened = self.forms.open(inbound.sealed)
                if opened is None:
                    return render.dialog_note(EXPIRED)
                return render.dialog(
                    [opened], look_at(self.base, inbound.conversation, dialog=True)
                )
            if inbound.event is None:
                return _note(inbound.via, NOT_OURS)
            return await self._answered_in_place(inbound)
        except Exception as exc:
            logger.error("teams: a dialog failed (%s)", described(exc))
            return _note(inbound.via, SORRY)

    async def _answered_in_place(self, inbound: Inbound) -> dict[str, Any] | None:
        """The plan's views (a form, or what takes its place) as the dialog's next page or
        the card's new face; its posts as messages, after the answer."""
        event = inbound.event
        assert event is not None
        replies = await self.answering.within(event, DIALOG_DEADLINE)
        if replies is None:
            replies = [self._again(inbound) or say(TRY_LATER)]
        steps = plan(event, replies)
        views = [s.reply for s in steps if not isinstance(s, Post)]
        posts = [s for s in steps if isinstance(s, Post)]
        if posts:

            async def run(index: int, step: Step) -> None:
                await self._carry_out(inbound, index + len(views), step)

            origin = delivery_id(inbound.conversation, inbound.activity_id)
            work = self.answering.carry_out(posts, event, run, origin=origin)
            self.answering.acked.track(asyncio.create_task(_logged(work)))
        where = inbound.conversation
        if inbound.via == Via.CARD_ACTION:
            return _card_answer(views, posts, look_at(self.base, where))
        return render.dialog(views, look_at(self.base, where, dialog=True)) if views else None

    def _again(self, inbound: Inbound) -> Reply | None:
        """A form that could not be answered in time, given back as it was sent with a
        note to send it again: nothing typed is lost."""
        event = inbound.event
        spec = self.forms.open(inbound.spec) if inbound.spec else None
        form = spec.form if spec is not None else None
        if not isinstance(event, FormSubmitted) or form is None or not form.inputs:
            return None
        refilled = refill(form, event.values, {form.inputs[0].field: SAVE_LATER})
        return Reply(summary="Please send it again", blocks=(refilled,))


def delivery_id(where: Conversation, activity_id: str) -> str:
    """One activity's id across every conversation (Teams numbers messages within each):
    a digest, so it fits a key and says nothing of who or where."""
    return hashlib.sha256(f"{where.channel_id}\0{activity_id}".encode()).hexdigest()[:40]


def _card_answer(views: Sequence[Reply], posts: Sequence[Post], look: Look) -> dict[str, Any]:
    """A Universal Action's answer: the card that takes the pressed one's place, or else a
    word on what was posted."""
    if not views:
        return _card_message(posts[0].reply.summary if posts else "")
    return {"statusCode": 200, "type": render.CARD, "value": render.card(views[0], look)}


def _note(via: object, text: str) -> dict[str, Any]:
    return _card_message(text) if via == Via.CARD_ACTION else render.dialog_note(text)


def _card_message(text: str) -> dict[str, Any]:
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


class SealedReplies:
    """Replies sealed into a card for peerbot alone to open again, for two days: a form to
    open later in a dialog, or a dialog's own copy of its form."""

    def __init__(self, runtime: Runtime) -> None:
        self._tokens = SealedTokens(runtime.guard_key, "teams forms")
        self._clock = runtime.clock

    def seal(self, reply: Reply) -> str:
        return self._tokens.seal(json.dumps(reply_to_json(reply)).encode(), self._clock.now())

    def open(self, token: str) -> Reply | None:
        data = self._tokens.open(token, lasts=SEALED_LASTS, now=self._clock.now())
        return reply_from_json(json.loads(data)) if data is not None else None


async def _logged(work: Any) -> None:
    try:
        await work
    except Exception as exc:
        logger.error("teams: a message after a dialog failed (%s)", described(exc))


def build(runtime: Runtime, *, credentials: Any = None) -> TeamsAdapter:
    """The adapter from the settings; `credentials` replaces the Bot Framework credentials
    they name (a test's fixed token)."""
    settings = runtime.settings
    hosting = Hosting(settings, credentials=credentials)
    if not settings.teams_authenticated:
        logger.warning(
            "TEAMS AUTHENTICATION IS OFF (MICROSOFT_APP_ID is empty): anyone who can reach "
            "/api/messages can act as anyone. For trying peerbot locally only."
        )
    links = FileLinks(reachable_at(settings), runtime.guard_key, runtime.clock)
    forms = SealedReplies(runtime)
    base = Look(private=runtime.router.confidential_action, file_url=links.url, seal=forms.seal)
    sender = TeamsSender(
        hosting,
        Pacer(),
        base,
        service_url=settings.teams_service_url,
        tenant=settings.teams_app_tenant_id or "",
    )
    answering = Answering(
        runtime=runtime,
        platform="teams",
        errors=(DeliveryFailed,),
        for_later=lambda exc: isinstance(exc, DeliveryFailed) and exc.transient,
    )
    return TeamsAdapter(
        runtime=runtime,
        hosting=hosting,
        sender=sender,
        links=links,
        forms=forms,
        answering=answering,
        base=base,
    )
