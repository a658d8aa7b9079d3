"""Pairs from a CSV file, for `peerbot mentoring import`: the whole file is read and checked
before anything is written, and every bad row is reported as `FILE:LINE: column: why`, so
a coordinator fixes the file in one pass and never finds half of it imported.

Columns (a header row, UTF-8, commas): for a mentoring programme `mentor_email` and
`mentee_email`, and optionally `mentor_name`, `mentee_name`, `mentor_slack`,
`mentee_slack`, `mentor_teams`, `mentee_teams`; for reverse mentoring and executive
pairing the same with `senior_` and `frontline_`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot.conversation.inbound import Platform
from bot.mentoring.newpairs import NewPair, Person, Problem, roles_of
from bot.organisation.identities import id_given
from storage.mentoring import PairRole

MAX_ROWS = 100_000
DETAILS = ("email", "name", Platform.SLACK, Platform.TEAMS)
"""Each person's columns, after their role: `senior_email`, `senior_name`, ..."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Trouble:
    """One thing wrong with the file: where (its line, the column) and why."""

    line: int | None
    column: str
    why: str


class BadFile(Exception):
    """Every problem in the file, one line each, as `FILE:LINE: column: why`."""

    def __init__(self, source: str, troubles: Sequence[Trouble]) -> None:
        self.source = source
        self.troubles = list(troubles)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(
            f"{self.source}:"
            + (f"{t.line}:" if t.line else "")
            + (f" {t.column}:" if t.column else "")
            + f" {t.why}"
            for t in self.troubles
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Rows:
    """The pairs a file names, each with the line it starts on."""

    pairs: list[NewPair]
    lines: list[int]

    def troubles(self, problems: Iterator[Problem]) -> list[Trouble]:
        """newpairs' problems, placed at their rows' lines."""
        return [Trouble(line=self.lines[p.index], column=p.field, why=p.message) for p in problems]


def columns(kind: str) -> tuple[list[str], list[str]]:
    """The columns a programme of this kind must have, and those it may have."""
    first, second = roles_of(kind)
    required = [f"{first}_email", f"{second}_email"]
    optional = [f"{role}_{detail}" for role in (first, second) for detail in DETAILS[1:]]
    return required, optional


def read(data: bytes, kind: str, source: str) -> Rows:
    """The pairs `data` names, or BadFile naming every problem the file alone shows (the
    database's own checks, someone already paired, come after: newpairs.check)."""
    text = _decoded(data, source)
    required, optional = columns(kind)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    troubles = _header_troubles(header, required, optional)
    if troubles:
        raise BadFile(source, troubles)
    first, second = roles_of(kind)
    pairs: list[NewPair] = []
    lines: list[int] = []
    start = reader.line_num + 1
    for row in reader:
        if len(pairs) == MAX_ROWS:
            why = f"more than {MAX_ROWS:,} rows; split the file"
            raise BadFile(source, [Trouble(line=start, column="", why=why)])
        if not any(cell.strip() for cell in row):
            start = reader.line_num + 1
            continue  # a blank line, as spreadsheets leave at the end
        if len(row) != len(header):
            why = f"this row has {len(row)} values and the header {len(header)}"
            troubles.append(Trouble(line=start, column="", why=why))
        else:
            cells = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
            pairs.append(NewPair(people=(_person(first, cells), _person(second, cells))))
            lines.append(start)
        start = reader.line_num + 1
    if troubles:
        raise BadFile(source, troubles)
    if not pairs:
        raise BadFile(source, [Trouble(line=None, column="", why="there are no pairs in it")])
    return Rows(pairs=pairs, lines=lines)


def _decoded(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as wrong:
        line = data[: wrong.start].count(b"\n") + 1
        why = "this is not UTF-8 text; save the file as “CSV UTF-8” and try again"
        raise BadFile(source, [Trouble(line=line, column="", why=why)]) from None


def _header_troubles(header: list[str], required: list[str], optional: list[str]) -> list[Trouble]:
    if not header:
        why = f"the first line must name the columns, like {','.join(required)}"
        return [Trouble(line=1, column="", why=why)]
    troubles = [
        Trouble(line=1, column=name, why="this column is missing")
        for name in required
        if name not in header
    ]
    known = set(required) | set(optional)
    troubles += [
        Trouble(
            line=1,
            column=name or "(blank)",
            why=f"unknown column; the columns are {', '.join([*required, *optional])}",
        )
        for name in header
        if name not in known
    ]
    troubles += [
        Trouble(line=1, column=name, why="this column appears twice")
        for n, name in enumerate(header)
        if name in header[:n]
    ]
    return troubles


def _person(role: PairRole, cells: dict[str, str]) -> Person:
    ids: dict[str, str] = {
        platform: id_given(platform, cells[f"{role}_{platform}"])
        for platform in (Platform.SLACK, Platform.TEAMS)
        if cells.get(f"{role}_{platform}")
    }
    return Person(
        role=role,
        email=cells[f"{role}_email"].lower(),
        name=cells.get(f"{role}_name", ""),
        ids=ids,
    )
