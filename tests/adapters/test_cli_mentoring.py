"""`peerbot mentoring import` and `peerbot mentoring report`, from a real process and
database file: a good file adds its pairs with one summary line (and a progress bar on a
terminal); a bad one names every bad row by line and column and writes nothing; the report
gives counts, and a CSV of them."""

from __future__ import annotations

import csv
import os
import pty
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.adapters.test_cli import PEERBOT, ROOT, peerbot
from tests.adapters.test_cli import env as env  # the fixture

EXAMPLE = ROOT / "examples" / "org.yml"
DOMAIN = "riverside.example.nhs.uk"
HEADER = "senior_email,frontline_email,senior_name,frontline_name,senior_slack,frontline_slack\n"


@pytest.fixture
def ready(env: dict[str, str]) -> dict[str, str]:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    assert peerbot("org", "apply", str(EXAMPLE), env=env).returncode == 0
    return env


def pairs_in(env: dict[str, str]) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///")) as conn:
        query = "SELECT email, role, slack FROM mentoring_member ORDER BY id"
        return list(conn.execute(query).fetchall())


def rows(n: int, start: int = 0) -> str:
    return "".join(
        f"senior{i}@{DOMAIN},frontline{i}@{DOMAIN},Senior {i},Frontline {i},US{i:06d},UF{i:06d}\n"
        for i in range(start, start + n)
    )


def imported(env: dict[str, str], path: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return peerbot(
        "mentoring", "import", str(path), "--programme", "reverse-mentoring", *more, env=env
    )


def test_a_good_file_adds_every_pair_with_one_summary_line(
    ready: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text(HEADER + rows(3))
    dry = imported(ready, path, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"  senior0@{DOMAIN} (senior) and frontline0@{DOMAIN} (frontline)" in dry.stdout
    assert dry.stdout.splitlines()[-1] == (
        "Would add 3 pairs to Reverse Mentoring for Inclusion. Nothing was written (--dry-run)."
    )
    assert pairs_in(ready) == []
    done = imported(ready, path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Added 3 pairs to Reverse Mentoring for Inclusion.\n"
    assert pairs_in(ready)[:2] == [
        (f"senior0@{DOMAIN}", "senior", "US000000"),
        (f"frontline0@{DOMAIN}", "frontline", "UF000000"),
    ]


def test_every_bad_row_is_named_by_line_and_column_and_nothing_is_written(
    ready: dict[str, str], tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text(HEADER + rows(1))
    assert imported(ready, first).returncode == 0
    path = tmp_path / "pairs.csv"
    path.write_text(
        HEADER
        + rows(1, start=5)  # line 2: fine
        + f"not-an-email,frontline6@{DOMAIN},,,,\n"  # line 3
        + f"same@{DOMAIN},Same@{DOMAIN},,,,\n"  # line 4
        + f"senior0@{DOMAIN},frontline7@{DOMAIN},,,,\n"  # line 5: already paired
        + f"senior5@{DOMAIN},frontline8@{DOMAIN},,,,\n"  # line 6: earlier in this file
        + f"senior9@{DOMAIN},frontline9@gmail.com,,,,\n"  # line 7: not a staff address
        + f"senior10@{DOMAIN},frontline10@{DOMAIN},,,US000005,\n"  # line 8: someone's id
        + f"senior11@{DOMAIN}\n"  # line 9
    )
    done = imported(ready, path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "peerbot: the file has problems, nothing was written:",
        f"{path}:9: this row has 1 values and the header 6",
    ]
    path.write_text(path.read_text().replace(f"senior11@{DOMAIN}\n", ""))
    done = imported(ready, path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[1:] == [
        f"{path}:3: senior_email: not-an-email is not an email address",
        f"{path}:4: frontline_email: the same person is on both sides",
        f"{path}:5: senior_email: senior0@{DOMAIN} is already in a pair in this programme",
        f"{path}:6: senior_email: senior5@{DOMAIN} is already in a pair in this programme "
        "(earlier in this file)",
        f"{path}:7: frontline_email: unknown email: nobody here has an address at gmail.com "
        f"(staff addresses end @{DOMAIN})",
        f"{path}:8: senior_slack: slack id US000005 already belongs to senior5@{DOMAIN}",
    ]
    assert len(pairs_in(ready)) == 2  # the first file's pair only


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            b"mentor_email,mentee_email\n",
            [
                "1: senior_email: this column is missing",
                "1: frontline_email: this column is missing",
                "1: mentor_email: unknown column; the columns are senior_email, frontline_email,",
                "1: mentee_email: unknown column; the columns are senior_email, frontline_email,",
            ],
        ),
        (
            HEADER.encode() + f"s@{DOMAIN},f\xe9@{DOMAIN},,,,\n".encode("latin-1"),
            ["2: this is not UTF-8 text; save the file as “CSV UTF-8” and try again"],
        ),
        (b"", ["1: the first line must name the columns, like senior_email,frontline_email"]),
    ],
)
def test_a_file_of_the_wrong_shape_or_encoding_says_where(
    ready: dict[str, str], tmp_path: Path, content: bytes, said: list[str]
) -> None:
    path = tmp_path / "pairs.csv"
    path.write_bytes(content)
    done = imported(ready, path)
    assert done.returncode == 2
    for line, expected in zip(done.stderr.splitlines()[1:], said, strict=True):
        assert line.startswith(f"{path}:{expected}"), done.stderr
    assert pairs_in(ready) == []


def test_more_than_a_hundred_thousand_rows_is_refused_at_the_first_too_many(
    ready: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "pairs.csv"
    with path.open("w") as out:
        out.write("senior_email,frontline_email\n")
        out.writelines(f"s{n}@{DOMAIN},f{n}@{DOMAIN}\n" for n in range(100_001))
    done = imported(ready, path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[1] == f"{path}:100002: more than 100,000 rows; split the file"
    assert pairs_in(ready) == []


def test_a_large_file_on_a_terminal_shows_a_progress_bar(
    ready: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text(HEADER + rows(1200))
    terminal, screen = pty.openpty()
    try:
        done = subprocess.run(
            [str(PEERBOT), "mentoring", "import", str(path), "--programme", "reverse-mentoring"],
            env=ready,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=screen,
            text=True,
            timeout=120,
        )
        os.close(screen)
        shown = b""
        while chunk := _read(terminal):
            shown += chunk
    finally:
        os.close(terminal)
    assert done.returncode == 0
    assert done.stdout == "Added 1200 pairs to Reverse Mentoring for Inclusion.\n"
    assert b"Adding pairs" in shown


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the other end is closed: all of it has been read
        return b""


def test_the_report_gives_counts_and_a_csv(ready: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text(HEADER + rows(2))
    assert imported(ready, path).returncode == 0
    out = tmp_path / "health.csv"
    done = peerbot("mentoring", "report", "reverse-mentoring", "--csv", str(out), env=ready)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Reverse Mentoring for Inclusion: programme health"
    assert "  pairs active                         2" in lines
    assert lines[-1] == f"Written to {out}."
    table = list(csv.reader(out.read_text().splitlines()))
    assert table[0] == ["round", "state", "measure", "count"]
    assert ["all", "", "pairs active", "2"] in table
    assert ["all", "", "pairs not met two rounds running", "0"] in table

    missing = peerbot("mentoring", "report", "reverse-mentorin", env=ready)
    assert missing.returncode == 2
    assert "there is no programme 'reverse-mentorin'; the programmes are:" in missing.stderr
