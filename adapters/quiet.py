"""Platform libraries kept quiet: at some level each logs whole request bodies."""

from __future__ import annotations

import logging


def silenced(name: str, *libraries: str) -> logging.Logger:
    """A logger that writes nothing at any level, for a library that takes one, with each
    of `libraries`' own loggers switched off too (what they log outside the logger they are
    given). They log whole request and response bodies (people's words, user ids, a
    speak-up form's contents), which for speak-up is a breach, not a debugging aid.
    Bolt copies the returned logger's level and `disabled` flag into every logger it makes."""
    for library in libraries:
        logging.getLogger(library).setLevel(logging.CRITICAL + 1)
    quiet = logging.getLogger(name)
    quiet.setLevel(logging.CRITICAL + 1)
    quiet.disabled = True
    quiet.propagate = False
    return quiet
