"""The Slack app: bolt listeners that ack at once, ask the core, and answer natively."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.acked import AckedWork
from adapters.answering import Answering
from adapters.quiet import silenced
from adapters.refusal import Refused
from adapters.runtime import Runtime
from adapters.slack import parse, payloads
from adapters.slack.ingress import (
    PAYLOAD,
    QUIET_LOGGERS,
    TypedSocketModeHandler,
    payload_of,
    verified,
)
from adapters.slack.render import answer_view, field_errors, message, metadata, modal
from adapters.slack.sender import SlackSender, upload
from bot.conversation.errors import described
from bot.conversation.forms import SAVE_LATER
from bot.conversation.inbound import Address, Command, Conversation, InboundEvent
from bot.conversation.outbox import DeliveryFailed
from bot.conversation.plan import (
    OpenForm,
    Post,
    Refuse,
    ReplaceForm,
    Step,
    UpdatePressed,
    plan,
    shared_to,
)
from bot.conversation.replies import Form, Reply, say
from bot.help.feature import HOME

logger = logging.getLogger(__name__)

ANY = re.compile(".+")
Respond = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class SlackAdapter:
    """`socket` is set in Socket Mode (SLACK_APP_TOKEN): then no HTTP route is served.
    `origins` are where a payload's response_url may point; `acked` is the work still
    under way for events Slack has its ack for."""

    app: AsyncApp
    sender: SlackSender
    verifier: SignatureVerifier | None
    origins: frozenset[str]
    acked: AckedWork
    socket: TypedSocketModeHandler | None = None

    async def running(self, _app: web.Application) -> AsyncIterator[None]:
        """Slack's events while the server runs (an aiohttp cleanup context, unwound
        before the runtime stops): at shutdown, no new ones are taken, then those already
        acked are answered while the database and the outbox are still there."""
        await self.connect()
        yield
        await self.close()
        await self.acked.drain()

    async def connect(self) -> None:
        """Open the Socket Mode connection inside our own event loop (never start_async(),
        which blocks forever); the SDK reconnects on its own, and we log when it must."""
        if self.socket is None:
            return

        async def closed(_message: Any) -> None:
            logger.warning("slack socket mode: connection closed; reconnecting")

        self.socket.client.on_close_listeners.append(closed)
        await self.socket.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it untyped
        logger.info("slack socket mode: connected")

    async def pooled(self, _app: web.Application) -> AsyncIterator[None]:
        """One connection pool for every Web API call while the server runs (an aiohttp
        cleanup context). Without it the SDK opens, and closes, a connection per call."""
        async with ClientSession(timeout=ClientTimeout(total=WEB_API_TIMEOUT)) as session:
            self.app.client.session = session
            yield
            self.app.client.session = None

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close_async()  # type: ignore[no-untyped-call]

    async def handle(self, request: web.Request) -> web.Response:
        """POST /slack/events: Events API, interactivity and slash commands share it.

        The signature is checked on the raw bytes before anything parses them (bolt parses
        first, and logs the body of whatever fails its own check), then the body becomes one
        of Slack's typed payloads or a 400. Bolt gets only the validated payload, and every
        answer Slack sees comes from a listener's ack.
        """
        if self.verifier is None:  # Socket Mode: no HTTP route, nothing to verify with
            return Refused(404, "no HTTP endpoint in Socket Mode").response("slack")
        try:
            bolt_request = await verified(request, self.verifier, self.origins)
        except Refused as refused:
            return refused.response("slack")
        await self.acked.room()
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))


def build(runtime: Runtime) -> SlackAdapter:
    quiet = silenced(f"{__name__}.libraries", *QUIET_LOGGERS)
    settings = runtime.settings
    assert settings.slack_bot_token is not None
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        logger=quiet,
    )
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=client,
        logger=quiet,
        request_verification_enabled=False,  # handle() has verified, on the raw bytes
        process_before_response=False,
    )
    api = urlsplit(settings.slack_api_url)
    origins = payloads.SLACK_ORIGINS | {f"{api.scheme}://{api.netloc}"}
    now = runtime.clock.now
    acked = AckedWork()
    sender = SlackSender(client)
    answering = Answering(
        runtime=runtime, platform="slack", errors=SEND_ERRORS, for_later=for_later, acked=acked
    )

    async def first_delivery(callback: payloads.EventCallback) -> bool:
        return await answering.first_delivery(callback.event_id)

    async def answer(
        steps: list[Step],
        event: InboundEvent,
        *,
        origin: str | None,
        trigger_id: str | None = None,
        respond: Respond | None = None,
        modal_id: str | None = None,
    ) -> None:
        """Carry out the reply plan with what Slack gave this event: a trigger to open a
        modal, a response_url, the modal a button was pressed in; `origin` is Slack's own
        id for what the person did (an event id, a trigger id, a view id)."""

        async def run(_index: int, step: Step) -> None:
            await carry_out(step, event, trigger_id, respond, modal_id)
            if to := shared_to(step):
                await share(step.reply, to)

        await answering.carry_out(steps, event, run, origin=origin)

    async def carry_out(
        step: Step,
        event: InboundEvent,
        trigger_id: str | None,
        respond: Respond | None,
        modal_id: str | None,
    ) -> None:
        channel = event.conversation.channel_id
        where = metadata({"channel": channel})
        match step:
            case OpenForm(stacked=stacked) if trigger_id:
                opened = modal(step.form, private_metadata=where)
                if stacked:
                    await client.views_push(trigger_id=trigger_id, view=opened)
                else:
                    await client.views_open(trigger_id=trigger_id, view=opened)
            case ReplaceForm(reply=reply) if modal_id:
                await client.views_update(
                    view_id=modal_id, view=answer_view(reply, private_metadata=where)
                )
            case UpdatePressed(reply=reply) if respond is not None:
                await responded(respond, reply, replace_original=True)
            case OpenForm() | ReplaceForm() | UpdatePressed():
                # Slack sends a trigger, the modal's id or a response_url with whatever needs
                # one; a payload without (never Slack's own) is answered by nothing at all.
                logger.warning("slack: %s needs what Slack did not send", type(step).__name__)
            case Post(reply=reply, only_asker=True) if respond is not None:
                await responded(respond, reply, response_type="ephemeral", replace_original=False)
            case Post(reply=reply, only_asker=True):
                await client.chat_postEphemeral(
                    channel=channel, user=event.actor.user_id, **message(reply)
                )
            case Post(reply=reply):
                await client.chat_postMessage(channel=channel, **message(reply))
            case _:
                raise ValueError(f"slack cannot carry out {type(step).__name__} here")

    async def share(reply: Reply, to: Address) -> None:
        """A reply's files, after it was shown, where the plan sends them (the asker's DM
        outside one). A failed upload is logged, never retried with its message: the
        message itself was seen."""
        try:
            where = to if isinstance(to, Conversation) else await sender.resolve(to)
            await upload(client, where.channel_id, reply.files)
        except (*SEND_ERRORS, DeliveryFailed) as exc:
            logger.warning("slack: a file could not be shared (%s)", described(exc))

    @app.error
    async def failed(
        error: Exception, context: AsyncBoltContext, response: BoltResponse | None
    ) -> BoltResponse | None:
        """Where it failed and the kind of error, never its message (which may quote the
        payload). Slack gets an ack whatever failed, except for an event, whose 500 makes
        Slack deliver it again later."""
        logger.error("slack: a listener failed (%s)", described(error))
        payload = context.get(PAYLOAD)
        if response is None or isinstance(payload, payloads.EventCallback):
            return None  # acknowledged already, or an event for Slack to retry
        return sorry(payload)

    @app.command(ANY)
    @acked.tracked
    async def on_command(ack: Any, context: AsyncBoltContext, respond: Respond) -> None:
        await ack()
        slash = payload_of(context, payloads.SlashCommand)
        event = parse.slash_command(slash, now())
        await answer(
            plan(event, await answering.replies(event)),
            event,
            trigger_id=slash.trigger_id,
            respond=respond if slash.response_url else None,
            origin=slash.trigger_id,
        )

    @app.shortcut(ANY)
    @acked.tracked
    async def on_shortcut(ack: Any, context: AsyncBoltContext) -> None:
        await ack()
        shortcut = payload_of(context, payloads.Shortcut)
        team, user = shortcut.team.id, shortcut.user.id
        event = Command(
            actor=parse.actor(team, user),
            conversation=parse.conversation(team, user, user),
            at=now(),
            name=shortcut.callback_id,
        )
        await answer(
            plan(event, await answering.replies(event)),
            event,
            trigger_id=shortcut.trigger_id,
            origin=shortcut.trigger_id,
        )

    @acked.tracked
    async def on_message(context: AsyncBoltContext) -> None:
        callback = payload_of(context, payloads.EventCallback)
        event = parse.message_event(callback, now())
        if event is not None and await first_delivery(callback):
            await answer(
                plan(event, await answering.replies(event)), event, origin=callback.event_id
            )

    app.event("message")(on_message)
    app.event("app_mention")(on_message)

    @app.action(ANY)
    @acked.tracked
    async def on_action(ack: Any, context: AsyncBoltContext, respond: Respond) -> None:
        await ack()
        press = payload_of(context, payloads.BlockActions)
        event = parse.block_action(press, now())
        if event is None:
            return
        await answer(
            plan(event, await answering.replies(event)),
            event,
            trigger_id=press.trigger_id,
            respond=respond if press.response_url else None,
            origin=press.trigger_id,
            modal_id=press.view.id if press.view else None,
        )

    @app.view(ANY)
    @acked.tracked
    async def on_view(ack: Any, context: AsyncBoltContext) -> None:
        """A modal's ack must carry its outcome: field errors, or the confirmation that
        replaces the form. So the core runs before the ack here, bounded by Slack's
        deadline: past it, the form stays open asking the person to submit again."""
        submitted = payload_of(context, payloads.ViewSubmission)
        event = parse.view_submission(submitted, now())
        if event is None:
            await ack()
            return
        replies = await answering.within(event, VIEW_DEADLINE)
        if replies is None:
            await ack(**keep_open(submitted, SAVE_LATER))
            return
        steps = plan(event, replies)
        first, rest = (steps[0], steps[1:]) if steps else (None, [])
        where = metadata({"channel": event.conversation.channel_id})
        match first:
            case Refuse():
                await ack(response_action="errors", errors=field_errors(first.form))
            case ReplaceForm(reply=Reply(form=Form() as form)):  # the same task's next step
                await ack(response_action="update", view=modal(form, private_metadata=where))
            case ReplaceForm(reply=reply):  # the answer replaces the form, out of the chat
                await ack(response_action="update", view=answer_view(reply, private_metadata=where))
            case _:
                await ack()
        await answer(rest, event, origin=submitted.view.id)

    @app.view_closed(ANY)
    async def on_closed(ack: Any) -> None:
        await ack()

    @app.event("app_home_opened")
    @acked.tracked
    async def on_home(context: AsyncBoltContext) -> None:
        callback = payload_of(context, payloads.EventCallback)
        if not isinstance(callback.event, payloads.HomeOpened):
            return
        if not await first_delivery(callback):
            return
        user, team = callback.event.user, callback.team_id
        event = Command(
            actor=parse.actor(team, user),
            conversation=parse.conversation(team, user, user),
            at=now(),
            name=HOME,
        )
        blocks = [b for reply in await answering.replies(event) for b in message(reply)["blocks"]]
        await client.views_publish(user_id=user, view={"type": "home", "blocks": blocks})

    socket = None
    if settings.slack_app_token is not None:
        socket = TypedSocketModeHandler(
            app, settings.slack_app_token.get_secret_value(), origins=origins, logger=quiet
        )
    return SlackAdapter(
        app=app,
        sender=sender,
        verifier=None if secret is None else SignatureVerifier(secret.get_secret_value()),
        origins=origins,
        acked=acked,
        socket=socket,
    )


WEB_API_TIMEOUT = 30
"""Seconds a Web API call may take: the SDK's own default."""
SORRY = "Sorry, that did not go through. Please try again in a minute."
VIEW_DEADLINE = 2.5
"""Seconds a form's submission may take before its ack; Slack gives up at 3."""


class ResponseUrlFailed(Exception):
    """Slack's response_url answered with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"response_url answered {status}")


async def responded(respond: Respond, reply: Reply, **how: Any) -> None:
    """An answer through the event's response_url, which says a failure only by status."""
    sent = await respond(**message(reply), **how)
    if sent.status_code == 429 or sent.status_code >= 500:
        raise ResponseUrlFailed(sent.status_code)


SEND_ERRORS = (SlackApiError, ResponseUrlFailed, ClientError, TimeoutError)


def for_later(exc: Exception) -> bool:
    """A send worth trying later: Slack down or rate-limiting, or no connection at all.
    Anything else (a channel gone, a bad token) would fail the same way later."""
    if isinstance(exc, SlackApiError):
        status: int = exc.response.status_code
        return status == 429 or status >= 500
    return True


def sorry(payload: object) -> BoltResponse:
    """Slack's answer when a listener failed before acknowledging: a modal stays open as
    typed, with a kind word beside its first field; a command says sorry."""
    if isinstance(payload, payloads.ViewSubmission):
        return BoltResponse(status=200, body=keep_open(payload, SORRY))
    if isinstance(payload, payloads.SlashCommand):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": SORRY})
    return BoltResponse(status=200, body="")


def keep_open(submitted: payloads.ViewSubmission, note: str) -> dict[str, Any]:
    """The ack that keeps a submitted form open, as typed, with `note` beside its first
    field; a form without fields is replaced by the note instead."""
    first = next(iter(submitted.view.state.values), None)
    if first is None:
        return {"response_action": "update", "view": answer_view(say(note))}
    return {"response_action": "errors", "errors": {first: note}}
