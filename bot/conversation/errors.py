"""How a failure is logged: its kind and where it happened, never its text."""

from __future__ import annotations

import traceback
from pathlib import Path


def described(error: BaseException) -> str:
    """`OperationalError at engine.py:42`. An exception's text, and so a traceback, may quote
    what was being handled (SQLAlchemy's errors carry their statement's parameters: a
    message, an address), which no log line may carry; the kind and place are enough to
    find the fault."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__} at {where}"
