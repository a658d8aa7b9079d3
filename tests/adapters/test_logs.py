"""The server's logs: one JSON object a line, a request id carried into the work after the
ack, and every logger's records redacted, never tying a request to a case."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from adapters.logs import REQUEST_ID, configure, log_format
from bot.organisation.config import load_settings
from bot.speakup.redact import REDACTED, RedactPeople
from tests.adapters.slack.test_endpoint import dm, serve
from tests.waiting import eventually

Configure = Callable[..., io.StringIO]
FIELDS = {"time", "level", "logger", "message", "request_id"}


@pytest.fixture
def logs() -> Iterator[Configure]:
    """peerbot's own handler, writing into a buffer, as `peerbot run` sets it up; taken off
    again afterwards, with the root logger's level and the test runner's handlers as
    they were."""
    root = logging.getLogger()
    level, filters = root.level, {h: list(h.filters) for h in root.handlers}
    ours: list[logging.Handler] = []

    def into(**settings: str) -> io.StringIO:
        out = io.StringIO()
        ours.append(configure(load_settings(**settings), console=False, stream=out))
        return out

    yield into
    for handler in ours:
        root.removeHandler(handler)
    root.setLevel(level)
    for handler, kept in filters.items():
        handler.filters = kept


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in out.getvalue().splitlines()]
    for line in parsed:
        assert set(line) <= FIELDS and set(line) >= FIELDS - {"request_id"}, line
    return parsed


async def logged(out: io.StringIO, words: str) -> dict[str, Any]:
    """The first line saying `words`: written by work still running after the response."""

    async def look() -> dict[str, Any] | None:
        return next((line for line in lines(out) if words in line["message"]), None)

    return await eventually(look)


@pytest.mark.parametrize(
    ("behind_proxy", "trusted"), [("true", True), ("false", False)], ids=["proxy", "direct"]
)
async def test_the_request_id_reaches_the_work_done_after_the_ack(
    sqlite_url: str, logs: Configure, behind_proxy: str, trusted: bool
) -> None:
    """Slack retries an event: the retry is acknowledged at once and only then found to be
    a retry, in the listener's own task. Its line carries the retry's request id: the one
    the proxy sent, or (with no proxy to trust) one of peerbot's own."""
    out = logs(PEERBOT_LOG_FORMAT="json")
    async with serve(sqlite_url, PEERBOT_BEHIND_PROXY=behind_proxy) as slack:
        first = await slack.event(dm("support", "Ev7"), headers={"X-Request-Id": "proxy-1"})
        assert first.status == 200
        await slack.api.wait_for("chat.postMessage")
        retry = await slack.event(dm("support", "Ev7"), headers={"X-Request-Id": "proxy-2"})
        assert retry.status == 200
        line = await logged(out, "Ev7 already handled")
    assert line["level"] == "INFO" and line["logger"] == "adapters.answering"
    if trusted:
        assert line["request_id"] == "proxy-2"
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert all(line.get("request_id") != "proxy-1" for line in lines(out))


def test_any_loggers_record_naming_a_person_beside_a_case_is_redacted_without_request_id(
    logs: Configure,
) -> None:
    out = logs(PEERBOT_LOG_FORMAT="json")
    token = REQUEST_ID.set("req-9")
    try:
        logging.getLogger("adapters.slack.app").warning(
            "case %s raised by %s in %s", "SU-7K3M-Q9", "U0NURSE42", "D0NURSEDM1"
        )
        try:
            raise ValueError("sam@trust.example.nhs.uk wrote in 29:1abcDEF")
        except ValueError:
            logging.getLogger("aiohttp.server").exception("handling %s failed", "a:1chatXYZ")
        logging.getLogger("adapters.web.app").info("web form: a malformed post was refused")
    finally:
        REQUEST_ID.reset(token)
    case, failure, plain = lines(out)
    assert case["message"] == f"case SU-7K3M-Q9 raised by {REDACTED} in {REDACTED}"
    assert "request_id" not in case  # a case, and the request a proxy logged with an address
    assert failure["message"] == f"handling {REDACTED} failed (ValueError)"  # no traceback
    assert failure["request_id"] == plain["request_id"] == "req-9"
    for trace in ("U0NURSE42", "D0NURSEDM1", "sam@", "29:1abc", "a:1chat", "Traceback"):
        assert trace not in out.getvalue()


def test_every_handler_on_the_root_logger_redacts(logs: Configure) -> None:
    """The test runner's own capture handler stands for any other handler already there."""
    logs()
    assert all(
        any(isinstance(f, RedactPeople) for f in handler.filters)
        for handler in logging.getLogger().handlers
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("setting", "console", "stream", "chosen"),
    [
        ("", False, io.StringIO(), "json"),  # a service manager, a container, a file
        ("", False, Terminal(), "text"),  # a person running `peerbot run`
        ("", True, io.StringIO(), "text"),  # the console is open
        ("json", True, Terminal(), "json"),
        ("TEXT", False, io.StringIO(), "text"),
    ],
)
def test_the_log_format_is_json_unless_a_person_is_watching_or_it_is_set(
    setting: str, console: bool, stream: io.StringIO, chosen: str
) -> None:
    settings = load_settings(PEERBOT_LOG_FORMAT=setting)
    assert log_format(settings, console=console, stream=stream) == chosen


def test_a_text_log_is_the_familiar_one_line_a_record(logs: Configure) -> None:
    out = logs(PEERBOT_LOG_FORMAT="text")
    logging.getLogger("adapters.runtime").warning("started: platforms %s", "slack")
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    said = " WARNING adapters.runtime: started: platforms slack\n"
    assert re.fullmatch(when + said, out.getvalue())
