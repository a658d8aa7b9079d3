"""The Slack app: bolt listeners that ack at once, ask the core, and answer natively."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.patience import GaveUp, patiently
from adapters.runtime import Runtime
from adapters.slack import parse
from adapters.slack.render import answer_view, field_errors, message, metadata, modal
from adapters.slack.sender import SlackSender
from bot.events import Command, Conversation, InboundEvent
from bot.features.help import HOME
from bot.outbox import Outgoing, enqueue
from bot.replies import Reply, say
from storage.engine import BUSY
from storage.seen import SeenKeys

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
    seen = SeenKeys(runtime.db, now)
    unfinished: set[asyncio.Task[list[Reply]]] = set()
    turns = asyncio.Semaphore(SENDING_AT_ONCE)

    async def route(event: InboundEvent) -> list[Reply]:
        """The core's answer, after the ack: a busy database is waited out, and one that
        stays busy gets the person an apology rather than silence."""
        try:
            return await patiently(
                lambda: runtime.router.handle(event, services), what="slack: answering"
            )
        except GaveUp:
            return [say(TRY_LATER, ephemeral=True)]

    async def first_delivery(body: dict[str, Any]) -> bool:
        """Slack retries an event whose ack was late or lost; the first delivery wins.

        Checked after the ack, so the ack never waits for the database; the checks of
        concurrent events are committed together (storage.seen.SeenKeys).
        """
        event_id = body.get("event_id")
        if not event_id:
            return True
        key = f"slack:{event_id}"
        try:
            if await patiently(lambda: seen.first_time(key), what="slack: recording an event"):
                return True
        except GaveUp:
            return True  # answer (with an apology, most likely) rather than stay silent
        logger.info("slack: event %s already handled; retry ignored", event_id)
        return False

    async def answer(
        replies: list[Reply],
        event: InboundEvent,
        *,
        trigger_id: str | None,
        respond: Respond | None,
        modal_id: str | None = None,
        origin: str | None = None,
    ) -> None:
        """Forms open as modals (stacked on the modal they were asked from); an answer to a
        button inside a modal replaces that modal; everything else answers where the person
        asked: openly in their DM with peerbot, and only to them anywhere else.

        A message Slack could not take just now goes to the outbox instead (`origin`, the
        event's id when it has one, keeps it to one copy); a view cannot be shown later.

        Answers take turns: in a burst, events already acked wait here rather than crowd
        the event loop, so the acks of new ones are not held up behind them.
        """
        async with turns:
            await send(replies, event, trigger_id, respond, modal_id, origin)

    async def send(
        replies: list[Reply],
        event: InboundEvent,
        trigger_id: str | None,
        respond: Respond | None,
        modal_id: str | None,
        origin: str | None,
    ) -> None:
        channel = event.conversation.channel_id
        where = metadata({"channel": channel})
        origin = origin or uuid.uuid4().hex
        for index, reply in enumerate(replies):
            in_view = bool(modal_id) or (reply.form is not None and bool(trigger_id))
            to_person = respond is not None or reply.ephemeral or not event.conversation.is_private
            try:
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
                    sent = await respond(
                        **message(reply), response_type="ephemeral", replace_original=False
                    )
                    if sent.status_code == 429 or sent.status_code >= 500:
                        raise ResponseUrlFailed(sent.status_code)
                elif to_person:
                    # in a shared channel only the asker sees the answer: asking for support
                    # or about speaking up is nobody else's business
                    await client.chat_postEphemeral(
                        channel=channel, user=event.actor.user_id, **message(reply)
                    )
                else:
                    await client.chat_postMessage(channel=channel, **message(reply))
            except SEND_ERRORS as exc:
                if not for_later(exc):
                    raise
                if in_view:
                    logger.warning("slack: a view failed (%s); it cannot be shown later", kind(exc))
                elif runtime.router.confidential(event):
                    # speak-up words never wait in the outbox in clear
                    logger.warning("slack: a speak-up reply failed (%s); not queued", kind(exc))
                else:
                    address = event.conversation
                    if to_person:  # later, only to them: in their DM with peerbot
                        person = event.actor
                        address = parse.conversation(person.tenant, person.user_id, person.user_id)
                    await later(f"slack-reply:{origin}:{index}", address, reply, exc)

    async def later(key: str, address: Conversation, reply: Reply, exc: Exception) -> None:
        item = Outgoing(dedupe_key=key, address=address, reply=reply, due_at=now())

        async def queue() -> None:
            async with runtime.db.session() as session:
                await enqueue(session, item, now=now())

        try:
            await patiently(queue, what="slack: queueing a reply")
        except GaveUp:
            logger.error("slack: a reply failed (%s) and could not be queued", kind(exc))
            return
        logger.warning("slack: a reply failed (%s); queued for the outbox as %s", kind(exc), key)
        if runtime.worker is not None:
            runtime.worker.wake()

    async def in_time(event: InboundEvent) -> list[Reply] | None:
        """The core's answer within Slack's deadline, or None when it could not give one.

        Work still running at the deadline is left to finish, never cut off half-way: a
        speak-up form it saves keeps its receipt, so pressing Submit again gets the same
        case rather than a second one.
        """
        task = asyncio.create_task(runtime.router.handle(event, services))
        done, _ = await asyncio.wait({task}, timeout=VIEW_DEADLINE)
        if not done:
            logger.warning("slack: a form took over %ss; asked to submit again", VIEW_DEADLINE)
            unfinished.add(task)
            task.add_done_callback(finished)
            return None
        try:
            return task.result()
        except BUSY as exc:
            logger.warning("slack: a form met a busy database (%s)", kind(exc))
            return None

    def finished(task: asyncio.Task[list[Reply]]) -> None:
        unfinished.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.warning("slack: a late form finished with %s", kind(exc))

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
        if event is not None and await first_delivery(body):
            origin = str(body["event_id"]) if body.get("event_id") else None
            await answer(await route(event), event, trigger_id=None, respond=None, origin=origin)

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
        replaces the form. So the core runs before the ack here, bounded by Slack's
        deadline: past it, the form stays open asking the person to submit again."""
        event = parse.view_submission(body, now())
        if event is None:
            await ack()
            return
        replies = await in_time(event)
        if replies is None:
            await ack(**try_again(body))
            return
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
        if not await first_delivery(body):
            return
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


SENDING_AT_ONCE = 16
"""Answers being rendered and sent at once; more wait their turn (see `answer`)."""
WEB_API_TIMEOUT = 30
"""Seconds a Web API call may take: the SDK's own default."""
TRY_LATER = "Sorry, I can't do that right now. Please try again in a minute."
VIEW_DEADLINE = 2.5
"""Seconds a form's submission may take before its ack; Slack gives up at 3."""
SAVE_LATER = "We couldn't save this just now. Please press Submit again in a minute."


class ResponseUrlFailed(Exception):
    """Slack's response_url answered with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"response_url answered {status}")


SEND_ERRORS = (SlackApiError, ResponseUrlFailed, ClientError, TimeoutError)


def for_later(exc: Exception) -> bool:
    """A send worth trying later: Slack down or rate-limiting, or no connection at all.
    Anything else (a channel gone, a bad token) would fail the same way later."""
    if isinstance(exc, SlackApiError):
        status: int = exc.response.status_code
        return status == 429 or status >= 500
    return True


def kind(exc: BaseException) -> str:
    """How an error is logged: its kind only, since its text may quote a message."""
    return type(exc).__name__


def try_again(body: dict[str, Any]) -> dict[str, Any]:
    """The ack that keeps a submitted form open, as typed, with a note to submit again."""
    view = body.get("view") or {}
    blocks = [b for b in view.get("blocks") or () if isinstance(b, dict)]
    inputs = [b.get("block_id") for b in blocks if b.get("type") == "input"]
    inputs += list(((view.get("state") or {}).get("values") or {}).keys())
    first = next((str(block) for block in inputs if block), None)
    if first is None:
        return {"response_action": "update", "view": answer_view(say(SAVE_LATER))}
    return {"response_action": "errors", "errors": {first: SAVE_LATER}}
