"""What PostgreSQL would do for each statement some code issues: the statements caught on the
engine, each EXPLAINed with its own parameters, so a test (or bench/growth.py) can tell an
index from a Seq Scan."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from storage.engine import Database

CAST = r"(?:::(?:TIMESTAMP WITH TIME ZONE|[A-Z]+(?:\(\d+\))?))?"
PLACEHOLDERS = re.compile(rf"\$\d+{CAST}(?:, \$\d+{CAST})*")
"""A run of bound parameters: an IN list of any length reads as one `?`."""
SCAN = re.compile(r"((?:Index Only |Index |Bitmap Index |Bitmap Heap |Seq )Scan[^(]*)")


def shape(statement: str) -> str:
    """The statement with its parameters as `?`, on one line."""
    return " ".join(PLACEHOLDERS.sub("?", statement).split())


@dataclass
class Caught:
    """Each distinct statement issued while `on`, the first time with its parameters."""

    seen: dict[str, tuple[str, Sequence[Any]]] = field(default_factory=dict)
    on: bool = True

    def __call__(
        self, _conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, many: bool
    ) -> None:
        if self.on:  # of a statement run for many rows at once, the first row's
            self.seen.setdefault(shape(statement), (statement, params[0] if many else params))


@contextmanager
def caught(db: Database) -> Iterator[Caught]:
    statements = Caught()
    event.listen(db.engine.sync_engine, "before_cursor_execute", statements)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", statements)


@dataclass(frozen=True, slots=True)
class Plan:
    statement: str
    text: str

    def tables(self) -> set[str]:
        """The tables it reads, whichever way."""
        return set(re.findall(r"Scan (?:using \w+ )?on (\w+)", self.text))

    def seq_scans(self) -> set[str]:
        """The tables it reads whole."""
        return set(re.findall(r"Seq Scan on (\w+)", self.text))

    @property
    def access(self) -> str:
        """How it reaches its rows, in a few words: each scan of the plan, or its top node."""
        scans = dict.fromkeys(s.strip() for s in SCAN.findall(self.text))
        return "; ".join(scans) or self.text.splitlines()[0].split("  (")[0]


async def explained(db: Database, statements: Caught) -> list[Plan]:
    """EXPLAIN (without running) each statement caught, on PostgreSQL."""
    plans = []
    async with db.engine.connect() as connection:
        for statement, params in statements.seen.values():
            rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", tuple(params))
            plans.append(Plan(statement, "\n".join(str(row[0]) for row in rows.all())))
    return plans
