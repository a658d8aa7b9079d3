"""The Slack app: bolt listeners that ack at once, ask the core, and answer natively."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.runtime import Runtime
from adapters.slack import parse, payloads
from adapters.slack.ingress import (
    PAYLOAD,
    Refused,
    TypedSocketModeHandler,
    payload_of,
    silenced,
    verified,
)
from adapters.slack.render import answer_view, field_errors, message, metadata, modal
from adapters.slack.sender import SlackSender
from bot.events import Command, InboundEvent
from bot.features.help import HOME
from bot.replies import Reply
from storage.seen import first_time

logger = logging.getLogger(__name__)

ANY = re.compile(".+")
Respond = Callable[..., Awaitable[Any]]

SORRY = "Sorry, that did not go through. Please try again in a minute."


@dataclass(frozen=True, slots=True)
class SlackAdapter:
    """`socket` is set in Socket Mode (SLACK_APP_TOKEN): then no HTTP route is served.
    `origins` are where a payload's response_url may point."""

    app: AsyncApp
    sender: SlackSender
    verifier: SignatureVerifier | None
    origins: frozenset[str]
    socket: TypedSocketModeHandler | None = None

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
            return Refused(404, "no HTTP endpoint in Socket Mode").response()
        try:
            bolt_request = await verified(request, self.verifier, self.origins)
        except Refused as refused:
            return refused.response()
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))


def build(runtime: Runtime) -> SlackAdapter:
    quiet = silenced(f"{__name__}.libraries")
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
    services = runtime.services
    now = runtime.clock.now

    async def route(event: InboundEvent) -> list[Reply]:
        return await runtime.router.handle(event, services)

    async def answer(
        replies: list[Reply],
        event: InboundEvent,
        *,
        trigger_id: str | None,
        respond: Respond | None,
        modal_id: str | None = None,
    ) -> None:
        """Forms open as modals (stacked on the modal they were asked from); an answer to a
        button inside a modal replaces that modal; everything else answers where the person
        asked: openly in their DM with peerbot, and only to them anywhere else."""
        channel = event.conversation.channel_id
        where = metadata({"channel": channel})
        for reply in replies:
            if (form := reply.form) is not None and trigger_id:
                opened = modal(form, private_metadata=where)
                if modal_id:
                    await client.views_push(trigger_id=trigger_id, view=opened)
                else:
                    await client.views_open(trigger_id=trigger_id, view=opened)
            elif modal_id:
                await client.views_update(
                    view_id=modal_id, view=answer_view(reply, private_metadata=where)
                )
            elif respond is not None:
                await respond(**message(reply), response_type="ephemeral", replace_original=False)
            elif reply.ephemeral or not event.conversation.is_private:
                # in a shared channel only the asker sees the answer: asking for support
                # or about speaking up is nobody else's business
                await client.chat_postEphemeral(
                    channel=channel, user=event.actor.user_id, **message(reply)
                )
            else:
                await client.chat_postMessage(channel=channel, **message(reply))

    @app.error
    async def failed(
        error: Exception, context: AsyncBoltContext, response: BoltResponse | None
    ) -> BoltResponse | None:
        """Where it failed and the kind of error, never its message (which may quote the
        payload). Slack gets an ack whatever failed, except for an event, whose 500 makes
        Slack deliver it again later."""
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        logger.error("slack: a listener failed (%s at %s)", type(error).__name__, where)
        payload = context.get(PAYLOAD)
        if response is None or isinstance(payload, payloads.EventCallback):
            return None  # acknowledged already, or an event for Slack to retry
        return sorry(payload)

    @app.middleware
    async def once(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> Any:
        """Slack retries an event whose ack was late or lost; the first delivery wins."""
        event_id = body.get("event_id")
        if event_id:
            async with runtime.db.session() as session:
                if not await first_time(session, f"slack:{event_id}", now=now()):
                    logger.info("slack: event %s already handled; retry ignored", event_id)
                    return BoltResponse(status=200, body="")
        return await next()

    @app.command(ANY)
    async def on_command(ack: Any, context: AsyncBoltContext, respond: Respond) -> None:
        await ack()
        slash = payload_of(context, payloads.SlashCommand)
        event = parse.slash_command(slash, now())
        await answer(
            await route(event),
            event,
            trigger_id=slash.trigger_id,
            respond=respond if slash.response_url else None,
        )

    @app.shortcut(ANY)
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
        await answer(await route(event), event, trigger_id=shortcut.trigger_id, respond=None)

    async def on_message(context: AsyncBoltContext) -> None:
        event = parse.message_event(payload_of(context, payloads.EventCallback), now())
        if event is not None:
            await answer(await route(event), event, trigger_id=None, respond=None)

    app.event("message")(on_message)
    app.event("app_mention")(on_message)

    @app.action(ANY)
    async def on_action(ack: Any, context: AsyncBoltContext, respond: Respond) -> None:
        await ack()
        press = payload_of(context, payloads.BlockActions)
        event = parse.block_action(press, now())
        if event is None:
            return
        await answer(
            await route(event),
            event,
            trigger_id=press.trigger_id,
            respond=respond if press.response_url else None,
            modal_id=press.view.id if press.view else None,
        )

    @app.view(ANY)
    async def on_view(ack: Any, context: AsyncBoltContext) -> None:
        """A modal's ack must carry its outcome: field errors, or the confirmation that
        replaces the form. So the core runs before the ack here (well within 3 s)."""
        event = parse.view_submission(payload_of(context, payloads.ViewSubmission), now())
        if event is None:
            await ack()
            return
        replies = await route(event)
        refused = next((r.form for r in replies if r.form and r.form.errors), None)
        if refused is not None:
            await ack(response_action="errors", errors=field_errors(refused))
            return
        if not replies:
            await ack()
            return
        first, *rest = replies
        where = metadata({"channel": event.conversation.channel_id})
        if first.form is not None:  # the next step of the same task
            await ack(response_action="update", view=modal(first.form, private_metadata=where))
        else:  # the answer replaces the form: nothing about it goes into the chat
            await ack(response_action="update", view=answer_view(first, private_metadata=where))
        await answer(rest, event, trigger_id=None, respond=None)

    @app.view_closed(ANY)
    async def on_closed(ack: Any) -> None:
        await ack()

    @app.event("app_home_opened")
    async def on_home(context: AsyncBoltContext) -> None:
        callback = payload_of(context, payloads.EventCallback)
        if not isinstance(callback.event, payloads.HomeOpened):
            return
        user, team = callback.event.user, callback.team_id
        event = Command(
            actor=parse.actor(team, user),
            conversation=parse.conversation(team, user, user),
            at=now(),
            name=HOME,
        )
        blocks = [b for reply in await route(event) for b in message(reply)["blocks"]]
        await client.views_publish(user_id=user, view={"type": "home", "blocks": blocks})

    socket = None
    if settings.slack_app_token is not None:
        socket = TypedSocketModeHandler(
            app, settings.slack_app_token.get_secret_value(), origins=origins, logger=quiet
        )
    return SlackAdapter(
        app=app,
        sender=SlackSender(client),
        verifier=None if secret is None else SignatureVerifier(secret.get_secret_value()),
        origins=origins,
        socket=socket,
    )


def sorry(payload: object) -> BoltResponse:
    """Slack's answer when a listener failed before acknowledging: a modal stays open with a
    kind word beside its first field, so nothing typed is lost; a command says sorry."""
    if isinstance(payload, payloads.ViewSubmission) and payload.view.state.values:
        first = next(iter(payload.view.state.values))
        return BoltResponse(
            status=200, body={"response_action": "errors", "errors": {first: SORRY}}
        )
    if isinstance(payload, payloads.SlashCommand):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": SORRY})
    return BoltResponse(status=200, body="")
