"""The web form's routes on peerbot's own server: GET and POST /speakup, and its stylesheet.

Nothing about a visitor is kept: their address is only hashed, keyed with the server secret,
so the core can count wrong case codes per visitor on every replica; the address itself is
never stored or logged.
"""

from __future__ import annotations

import logging
from datetime import UTC, tzinfo
from importlib.resources import files

from aiohttp import web
from aiohttp.typedefs import Handler

from adapters.runtime import Runtime, reachable_at
from adapters.web import csrf, parse, render
from adapters.web.scope import COMMAND, PATH, SPECS
from bot.conversation.errors import described
from bot.conversation.forms import SAVE_LATER, refill
from bot.conversation.inbound import (
    Actor,
    Command,
    Conversation,
    FormSubmitted,
    InboundEvent,
    Platform,
)
from bot.conversation.plain import plain_values
from bot.conversation.plan import plan
from bot.conversation.replies import Reply, Text
from bot.conversation.sealing import keyed_hash
from bot.organisation.config import Settings
from bot.organisation.zone import home_zone
from storage.engine import BUSY

logger = logging.getLogger(__name__)

TENANT = "web"
CONVERSATION = Conversation(platform=Platform.WEB, tenant=TENANT, channel_id="web")
FORM_BODY = "application/x-www-form-urlencoded"
MAX_BODY = 128 * 1024
"""The longest speak-up form, every field full of emoji, is about 80 KiB as a form body."""

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
STYLESHEET = (files(__package__) / "style.css").read_bytes()

EXPIRED = "This page has expired. Please go back, reload and try again."
STALE = (
    "This page was open a long time, so nothing was sent yet. Your words are kept below. "
    "Please check them and send again."
)
UNREADABLE = "Sorry, we could not read what was sent. Please go back to the start and try again."
NOT_FOUND = "There is no page at this address. Please go back to the start."
TRY_LATER = "Sorry, that could not be done just now. Please try again in a minute."
BROKEN = (
    "Sorry, something went wrong on our side. Please try again in a few minutes. "
    "If it keeps happening, please contact a guardian directly."
)


class WebForm:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._tokens = csrf.Tokens(runtime.guard_key)

    def actor(self, request: web.Request) -> Actor:
        source = keyed_hash(self._runtime.guard_key, "web visitor", request.remote or "")
        return Actor(platform=Platform.WEB, tenant=TENANT, user_id=source)

    async def show(self, request: web.Request) -> web.Response:
        """GET /speakup: who sees what, who to call now, and the buttons to start."""
        event = Command(
            actor=self.actor(request),
            conversation=CONVERSATION,
            at=self._runtime.clock.now(),
            name=COMMAND,
            surface=parse.PAGE,
        )
        return await self._answer(request, event, home=True)

    async def post(self, request: web.Request) -> web.Response:
        """POST /speakup: a button pressed or a form sent, from a page we served."""
        try:
            posted = parse.fields(await _body(request))
        except parse.Malformed:
            return _unreadable()
        now = self._runtime.clock.now()
        genuine = self._tokens.matches(request, posted.get(csrf.FIELD), now)
        if not genuine and not self._tokens.stale(request, posted.get(csrf.FIELD)):
            logger.info("web form: a post without this browser's token was refused")
            return _plain(403, "This page has expired", EXPIRED)
        try:
            event = parse.event(posted, self.actor(request), CONVERSATION, now)
        except parse.Malformed:
            return _unreadable()
        if genuine:
            return await self._answer(request, event)
        logger.info("web form: a post from a page left open too long was handed back")
        return self._again(request, event)

    def _again(self, request: web.Request, event: InboundEvent) -> web.Response:
        """A form from a page of ours that expired comes back as it was sent, with a fresh
        token: nothing is done with it, and nothing typed is lost."""
        if not isinstance(event, FormSubmitted) or (spec := SPECS.get(event.form)) is None:
            return _plain(403, "This page has expired", EXPIRED)
        blocks = (Text(text=STALE), refill(spec, plain_values(event.values), {}))
        again = Reply(summary="Please send it again", blocks=blocks)
        token = self._tokens.for_page(request, self._runtime.clock.now())
        response = _html(200, render.page([again], token=token))
        csrf.give(response, request, token)
        return response

    async def _answer(
        self, request: web.Request, event: InboundEvent, *, home: bool = False
    ) -> web.Response:
        """The core's replies as a page. A failure is logged by its type alone: a traceback
        or an exception's message could quote what someone wrote."""
        runtime = self._runtime
        zone: tzinfo = UTC  # until the database says the organisation's
        try:
            zone = await home_zone(runtime.db)  # first: a database away is answered as busy
            replies = await runtime.router.handle(event, runtime.services)
        except BUSY as exc:
            logger.warning("web form: database busy (%s)", described(exc))
            if not isinstance(event, FormSubmitted) or (spec := SPECS.get(event.form)) is None:
                return _plain(503, "Please try again", TRY_LATER)
            first = spec.inputs[0].field
            refilled = refill(spec, event.values, {first: SAVE_LATER})
            replies = [Reply(summary="Please send it again", blocks=(refilled,))]
        except Exception as exc:
            logger.error("web form: could not answer (%s)", described(exc))
            return _plain(500, "Sorry", BROKEN)
        # one page shows every step of the plan, in its order
        shown = [step.reply for step in plan(event, replies)]
        token = self._tokens.for_page(request, runtime.clock.now())
        response = _html(200, render.page(shown, token=token, home=home, zone=zone))
        csrf.give(response, request, token)
        return response


async def stylesheet(_request: web.Request) -> web.Response:
    return web.Response(body=STYLESHEET, content_type="text/css", charset="utf-8")


async def _body(request: web.Request) -> bytes:
    if request.content_type != FORM_BODY or (request.content_length or 0) > MAX_BODY:
        raise parse.Malformed("not a form post, or too long")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise parse.Malformed("too long") from exc
    if len(body) > MAX_BODY:
        raise parse.Malformed("too long")
    return body


def _unreadable() -> web.Response:
    logger.info("web form: a malformed post was refused")
    return _plain(400, "That did not work", UNREADABLE)


def _plain(status: int, title: str, text: str) -> web.Response:
    return _html(status, render.message(title, text))


def _html(status: int, page: str) -> web.Response:
    return web.Response(status=status, text=page, content_type="text/html", charset="utf-8")


@web.middleware
async def _our_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A mistyped address or a method the form does not take, under /speakup, is a page of
    ours like every other: a heading, words to read and the way back, not the server's bare
    text, which a screen reader announces as an untitled document."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        if not _ours(request):
            raise
        return _plain(404, "Page not found", NOT_FOUND)
    except web.HTTPMethodNotAllowed as exc:
        if not _ours(request):
            raise
        refused = _plain(405, "That did not work", UNREADABLE)
        refused.headers["Allow"] = exc.headers["Allow"]
        return refused


async def _protect(request: web.Request, response: web.StreamResponse) -> None:
    """Every /speakup answer, errors and the stylesheet included, carries the same guards."""
    if _ours(request):
        response.headers.update(HEADERS)


def _ours(request: web.Request) -> bool:
    return request.path == PATH or request.path.startswith(f"{PATH}/")


def mount(app: web.Application, runtime: Runtime) -> None:
    form = WebForm(runtime)
    app.router.add_get(PATH, form.show)
    app.router.add_post(PATH, form.post)
    app.router.add_get(render.STYLE, stylesheet)
    app.middlewares.append(_our_pages)
    app.on_response_prepare.append(_protect)


def url(settings: Settings) -> str:
    """Where staff open the form."""
    return reachable_at(settings) + PATH
