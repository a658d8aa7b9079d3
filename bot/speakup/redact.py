"""The logging filter for every logger peerbot's handlers serve: case codes may be logged,
people never."""

from __future__ import annotations

import logging
import re

PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # email addresses
    re.compile(r"\b[UWD][A-Z0-9]{6,}\b"),  # Slack user ids, and direct messages (one person each)
    re.compile(r"\b29:[\w-]+"),  # Teams user ids
    re.compile(r"\ba:[\w-]{6,}"),  # Teams personal chats: one person each
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),  # AAD ids
)
REDACTED = "[redacted]"
CASE_CODE = re.compile(r"\bSU-[0-9A-Z]{4}-[0-9A-Z]{2}\b")
"""A case code as peerbot writes it (bot.speakup.codes.case_code)."""
SPEAKUP = "bot.speakup"


class RedactPeople(logging.Filter):
    """Rewrites each record with anything that looks like a person's id or email removed.

    A second line of defence: the code logs case codes and counts by design, and this
    catches the mistake of passing a user id or an exception quoting one. The server
    puts it on every handler it logs to (adapters.logs), so a record from any logger,
    a library's included, is rewritten before it is written anywhere.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        for pattern in PATTERNS:
            text = pattern.sub(REDACTED, text)
        record.msg, record.args = text, None
        if record.exc_info:  # a traceback can quote anything: keep only its type
            record.msg += f" ({record.exc_info[0].__name__ if record.exc_info[0] else 'error'})"
            record.exc_info, record.exc_text = None, None
        return True


def about_a_case(record: logging.LogRecord) -> bool:
    """From a speak-up logger, or naming a case code: such a record must carry nothing
    that could tie it to who made the request (a request id a proxy also logged beside
    the visitor's address, say)."""
    name = record.name
    return (
        name == SPEAKUP
        or name.startswith(f"{SPEAKUP}.")
        or CASE_CODE.search(record.getMessage()) is not None
    )


def guarded(name: str) -> logging.Logger:
    """The logger a speak-up module must use: filtered at the source, whatever handlers
    the process has (a test's, or an embedding application's own)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactPeople) for f in logger.filters):
        logger.addFilter(RedactPeople())
    return logger
