"""The Slack app: bolt listeners that ack at once, ask the core, and answer natively."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.runtime import Runtime
from adapters.slack import parse
from adapters.slack.render import answer_view, field_errors, message, metadata, modal
from adapters.slack.sender import SlackSender
from bot.events import Command, InboundEvent
from bot.features.help import HOME
from bot.replies import Reply
from storage.seen import first_time

logger = logging.getLogger(__name__)

ANY = re.compile(".+")
Respond = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class SlackAdapter:
    """`socket` is set in Socket Mode (SLACK_APP_TOKEN): then no HTTP route is served."""

    app: AsyncApp
    sender: SlackSender
    socket: AsyncSocketModeHandler | None = None

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

        Bolt parses the body before it checks the signature, and trusts Slack's shapes;
        a body that is not what Slack sends gets a 400 here, never a 500.
        """
        try:
            bolt_request = await to_bolt_request(request)
            if not _looks_like_slack(bolt_request.body):
                raise ValueError("none of Slack's payload shapes")
            response = await self.app.async_dispatch(bolt_request)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            logger.warning("slack: malformed request refused (%s)", type(exc).__name__)
            return web.json_response({"error": "malformed payload"}, status=400)
        return await to_aiohttp_response(response)


def _looks_like_slack(body: dict[str, Any]) -> bool:
    return isinstance(body, dict) and any(
        k in body for k in ("type", "command", "event", "token", "ssl_check")
    )


QUIET_LOGGERS = ("slack_sdk", "slack_bolt")
"""At DEBUG these log whole request and response bodies: people's words, user ids and
the private metadata of a speak-up form. They are held at WARNING whatever the level."""


def build(runtime: Runtime) -> SlackAdapter:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    settings = runtime.settings
    assert settings.slack_bot_token is not None
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    socket_mode = settings.slack_app_token is not None
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=client,
        signing_secret=None if socket_mode or secret is None else secret.get_secret_value(),
        request_verification_enabled=not socket_mode,
        process_before_response=False,
    )
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
    async def on_command(ack: Any, body: dict[str, Any], respond: Respond) -> None:
        await ack()
        event = parse.slash_command(body, now())
        await answer(await route(event), event, trigger_id=body.get("trigger_id"), respond=respond)

    @app.shortcut(ANY)
    async def on_shortcut(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        team, user = str(body["team"]["id"]), str(body["user"]["id"])
        event = Command(
            actor=parse.actor(team, user),
            conversation=parse.conversation(team, user, user),
            at=now(),
            name=str(body["callback_id"]),
        )
        await answer(await route(event), event, trigger_id=body.get("trigger_id"), respond=None)

    async def on_message(body: dict[str, Any]) -> None:
        event = parse.message_event(body, now())
        if event is not None:
            await answer(await route(event), event, trigger_id=None, respond=None)

    app.event("message")(on_message)
    app.event("app_mention")(on_message)

    @app.action(ANY)
    async def on_action(ack: Any, body: dict[str, Any], respond: Respond) -> None:
        await ack()
        event = parse.block_action(body, now())
        if event is None:
            return
        has_url = bool(body.get("response_url"))
        await answer(
            await route(event),
            event,
            trigger_id=body.get("trigger_id"),
            respond=respond if has_url else None,
            modal_id=(body.get("view") or {}).get("id"),
        )

    @app.view(ANY)
    async def on_view(ack: Any, body: dict[str, Any]) -> None:
        """A modal's ack must carry its outcome: field errors, or the confirmation that
        replaces the form. So the core runs before the ack here (well within 3 s)."""
        event = parse.view_submission(body, now())
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
    async def on_home(body: dict[str, Any]) -> None:
        user = str(body["event"]["user"])
        team = str(body.get("team_id", ""))
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
        socket = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
    return SlackAdapter(app=app, sender=SlackSender(client), socket=socket)
