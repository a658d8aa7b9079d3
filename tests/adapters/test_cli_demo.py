"""`peerbot demo load` as `make run` runs it: a real process, a real database file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.adapters.test_cli import ROOT, env, peerbot

__all__ = ["env"]  # the fixture: a fresh SQLite file, no platform credentials


def counted(env: dict[str, str], table: str) -> int:
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_demo_load_fills_a_fresh_database_once(env: dict[str, str]) -> None:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    first = peerbot("demo", "load", env=env)
    assert first.returncode == 0, first.stderr
    assert "Added 5 demo events" in first.stdout
    assert "Added 4 demo mentoring pairs" in first.stdout
    series, dates = counted(env, "event_series"), counted(env, "event_occurrence")
    assert series == 5 and dates > series
    again = peerbot("demo", "load", env=env)
    assert again.returncode == 0, again.stderr
    assert "already there" in again.stdout
    assert (counted(env, "event_series"), counted(env, "event_occurrence")) == (series, dates)


def test_after_the_demo_the_console_lists_upcoming_events(env: dict[str, str]) -> None:
    """What `make run` shows a newcomer: a living list, with a full event to wait for."""
    assert peerbot("db", "upgrade", env=env).returncode == 0
    assert peerbot("demo", "load", "--fresh", env=env).returncode == 0
    done = peerbot("console", env=env, stdin="events\nquit\n")
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("you> events", 1)[1]
    for title in ("LGBTQ+ lunchtime catch-up", "Menopause café", "Listening circle"):
        assert title in listed
    assert "Full — join the waitlist" in listed and "places left" in listed


def test_after_the_demo_the_coordinator_sees_a_living_programme(env: dict[str, str]) -> None:
    """What `make run AS=kwame` shows: the reverse-mentoring pairs part-way through a
    round, and a pair that has not met for two rounds."""
    assert peerbot("db", "upgrade", env=env).returncode == 0
    assert peerbot("demo", "load", "--fresh", env=env).returncode == 0
    done = peerbot("console", "--user", "kwame", env=env, stdin="mentoring\n1\nquit\n")
    assert done.returncode == 0, done.stderr
    shown = " ".join(done.stdout.split())
    assert "Reverse Mentoring for Inclusion: 4 pairs. Every 4 weeks at 10:00" in shown
    assert "Pairs that have not met for two rounds running: 1." in shown


def test_make_runs_fresh_load_only_fills_a_new_database(env: dict[str, str]) -> None:
    """`make run` loads the demo with --fresh: into a new example database once, and
    never again once it has events, even after they are gone from the demo's list."""
    assert peerbot("db", "upgrade", env=env).returncode == 0
    done = peerbot("demo", "load", "--fresh", env=env)
    assert done.returncode == 0, done.stderr
    assert counted(env, "event_series") == 5
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM event_series WHERE title LIKE 'Menopause%'")
    again = peerbot("demo", "load", "--fresh", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert counted(env, "event_series") == 4


def test_fresh_leaves_a_real_organisation_alone(env: dict[str, str], tmp_path: Path) -> None:
    own = tmp_path / "org.yml"
    own.write_text((ROOT / "examples" / "org.yml").read_text())
    env["PEERBOT_ORG_FILE"] = str(own)
    assert peerbot("db", "upgrade", env=env).returncode == 0
    done = peerbot("demo", "load", "--fresh", env=env)
    assert done.returncode == 0, done.stderr
    assert counted(env, "event_series") == 0
    asked = peerbot("demo", "load", env=env)  # asked for by name, it loads
    assert asked.returncode == 0, asked.stderr
    assert counted(env, "event_series") == 5


def test_fresh_knows_the_example_however_it_is_named(env: dict[str, str]) -> None:
    """PEERBOT_ORG_FILE pointing at the example itself is still the example."""
    env["PEERBOT_ORG_FILE"] = str(ROOT / "examples" / "org.yml")
    assert peerbot("db", "upgrade", env=env).returncode == 0
    done = peerbot("demo", "load", "--fresh", env=env)
    assert done.returncode == 0, done.stderr
    assert counted(env, "event_series") == 5
