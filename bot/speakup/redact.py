"""A logging filter for the speak-up path: case codes may be logged, people never."""

from __future__ import annotations

import logging
import re

PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # email addresses
    re.compile(r"\b[UW][A-Z0-9]{6,}\b"),  # Slack user ids
    re.compile(r"\b29:[\w-]+"),  # Teams user ids
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),  # AAD ids
)
REDACTED = "[redacted]"


class RedactPeople(logging.Filter):
    """Rewrites each record with anything that looks like a person's id or email removed.

    A second line of defence: the code logs case codes and counts by design, and this
    catches the mistake of passing a user id or an exception quoting one.
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


def guarded(name: str) -> logging.Logger:
    """The logger a speak-up module must use."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactPeople) for f in logger.filters):
        logger.addFilter(RedactPeople())
    return logger
