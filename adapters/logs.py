"""Where peerbot's logs go and in what shape: one JSON object a line for a server (or text for
a person watching), a request id on what each HTTP request led to, and every record from
every logger passed through the redaction filter first."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.organisation.config import Settings
from bot.speakup.redact import RedactPeople, about_a_case

REQUEST_ID: ContextVar[str | None] = ContextVar("peerbot_request_id", default=None)
"""The id of the HTTP request being answered. Work started while answering it (a Slack
listener after the ack, a Teams turn) runs in a task that copies the context, so its lines
carry the id too; the outbox worker and the tick, started with the server, carry none."""
HEADER = "X-Request-Id"
TRUSTED_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")
"""What a proxy's request id looks like (a UUID, nginx's hex, a trace id): anything else
is replaced, so a header cannot write whatever it likes into the logs."""
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def request_ids(*, trusted: bool) -> Middleware:
    """A request id for every request: the one your reverse proxy sent in X-Request-Id when
    peerbot sits behind it (`trusted`), so its access log and peerbot's lines meet; else a
    fresh one, since a visitor's own header would let them choose what the logs say."""

    @web.middleware
    async def identified(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get(HEADER, "") if trusted else ""
        token = REQUEST_ID.set(given if TRUSTED_ID.fullmatch(given) else secrets.token_hex(16))
        try:
            return await handler(request)
        finally:
            REQUEST_ID.reset(token)

    return identified


class RequestIds(logging.Filter):
    """Puts the current request id on each record, except on one about a speak-up case:
    a proxy logs the visitor's address beside the same id, and the two logs together
    would say who the case was raised or looked up by."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = REQUEST_ID.get()
        record.request_id = None if current is None or about_a_case(record) else current
        return True


class JsonLines(logging.Formatter):
    """time, level, logger, message and, inside a request, request_id: nothing else of the
    record (its arguments or a traceback could quote what someone wrote)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := getattr(record, "request_id", None):
            line["request_id"] = request_id
        return json.dumps(line, ensure_ascii=False)


def log_format(settings: Settings, *, console: bool, stream: TextIO) -> str:
    """PEERBOT_LOG_FORMAT when set; else text when a person is watching (the console is
    open, or the logs go to a terminal) and JSON when they go to a service manager, a
    container's log or a file, where a log collector reads them."""
    if settings.log_format is not None:
        return settings.log_format
    return "text" if console or stream.isatty() else "json"


def configure(
    settings: Settings, *, console: bool, stream: TextIO | None = None
) -> logging.Handler:
    """peerbot's handler on the root logger (stderr unless told), returned so it can be
    taken off again. In the console, logs would interrupt the conversation: only warnings.

    Every handler the root logger has gets the redaction filter: a filter on a logger sees
    only that logger's own records, a handler's sees every record it is given.
    """
    out = stream or sys.stderr
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIds())
    handler.setFormatter(
        JsonLines()
        if log_format(settings, console=console, stream=out) == "json"
        else logging.Formatter(TEXT)
    )
    root = logging.getLogger()
    root.addHandler(handler)
    for each in root.handlers:
        if not any(isinstance(f, RedactPeople) for f in each.filters):
            each.addFilter(RedactPeople())
    quiet = console and settings.log_level in {"DEBUG", "INFO"}
    root.setLevel(logging.WARNING if quiet else settings.log_level)
    return handler
