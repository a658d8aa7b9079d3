"""`peerbot events export`: a date's attendance as CSV, from a real process and database file."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from tests.adapters.test_cli import env as env  # the fixture
from tests.adapters.test_cli import peerbot

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "org.yml"
SIGNUPS = [
    ("U0STAFF01", "going", 1, "sealed-token-not-for-export"),
    ("U07LEAD001", "going", 0, None),  # Kwame Mensah, named in the org file
    ("U0STAFF02", "waiting", None, None),
]


def an_event_with_signups(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO event_series (id, network, title, description, place, online_url,"
            " accessibility, first_start, minutes, time_zone, rule, capacity, waitlist,"
            " closes_before, reminders, created_by, created_at) VALUES (1, 'lgbtq', 'Lunch',"
            " '', 'Room 4', '', '', '2026-12-03 12:30:00', 60, 'Europe/London', '', 2, 1,"
            " NULL, '[]', 'slack:U07LEAD003', '2026-11-25 09:00:00')"
        )
        conn.execute(
            "INSERT INTO event_occurrence (id, series_id, slot, starts_at, ends_at, place,"
            " online_url, taken, sequence) VALUES (7, 1, '2026-12-03 12:30:00',"
            " '2026-12-03 12:30:00', '2026-12-03 13:30:00', '', '', 2, 0)"
        )
        for n, (user, status, attended, needs) in enumerate(SIGNUPS, start=1):
            conn.execute(
                "INSERT INTO event_signup (occurrence_id, platform, tenant, user_id, status,"
                " queued_at, changed_at, offers, access_needs, attended)"
                " VALUES (7, 'slack', 'T1', ?, ?, ?, ?, 0, ?, ?)",
                (user, status, f"2026-11-25 09:0{n}:00", "2026-11-25 09:00:00", needs, attended),
            )
    return 7


def test_events_export_writes_attendance_without_access_needs(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    assert peerbot("org", "apply", str(EXAMPLE), env=env).returncode == 0
    event = an_event_with_signups(Path(env["DATABASE_URL"].removeprefix("sqlite:///")))
    out = tmp_path / "attendance.csv"
    done = peerbot("events", "export", str(event), "--csv", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert "3 sign-ups written" in done.stdout
    written = out.read_text()
    assert list(csv.reader(written.splitlines())) == [
        ["platform", "user_id", "email", "status", "attended"],
        ["slack", "U0STAFF01", "", "going", "yes"],
        ["slack", "U07LEAD001", "kwame.mensah@riverside.example.nhs.uk", "going", "no"],
        ["slack", "U0STAFF02", "", "waiting", ""],
    ]
    assert "sealed-token" not in written

    missing = peerbot("events", "export", "999", "--csv", str(tmp_path / "x.csv"), env=env)
    assert missing.returncode == 2 and "no event date with id 999" in missing.stderr
    assert not (tmp_path / "x.csv").exists()
    helped = peerbot("events", "export", "--help", env=env)
    assert "occurrence id" in helped.stdout


def test_the_attendance_file_is_for_its_reader_alone_and_a_bad_path_is_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    """It names people: nobody else on the machine may read it. A folder that is not there
    gets a line saying so, not a traceback."""
    assert peerbot("db", "upgrade", env=env).returncode == 0
    assert peerbot("org", "apply", str(EXAMPLE), env=env).returncode == 0
    event = an_event_with_signups(Path(env["DATABASE_URL"].removeprefix("sqlite:///")))
    out = tmp_path / "attendance.csv"
    assert peerbot("events", "export", str(event), "--csv", str(out), env=env).returncode == 0
    assert out.stat().st_mode & 0o777 == 0o600
    nowhere = tmp_path / "no" / "such" / "folder.csv"
    done = peerbot("events", "export", str(event), "--csv", str(nowhere), env=env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"peerbot: cannot write {nowhere}: No such file or directory"
    ]
