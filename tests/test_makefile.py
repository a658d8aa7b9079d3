"""`make run` as the README shows it: the console user is chosen on the command line."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def dry_run(*args: str) -> str:
    """What make would run, without running it. AS is dropped from the environment, as a
    toolchain may set it; only the command line's AS chooses the user."""
    env = {k: v for k, v in os.environ.items() if k not in {"AS", "MAKEFLAGS"}}
    done = subprocess.run(
        ["make", "-n", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def planned(*args: str) -> list[str]:
    """The peerbot commands make would run."""
    return [line.strip() for line in dry_run(*args).splitlines() if "/peerbot " in line]


def test_make_run_passes_the_console_user_given_as_AS() -> None:
    assert planned("run", "AS=guardian")[-1].endswith("/peerbot run --user guardian")
    assert planned("console", "AS=tom")[-1].endswith("/peerbot console --user tom")


def test_without_AS_the_console_user_is_whoever_is_logged_in() -> None:
    assert planned("run")[-1].endswith("/peerbot run")
    assert planned("console")[-1].endswith("/peerbot console")


def test_make_run_loads_the_demo_events_into_a_fresh_database_before_starting() -> None:
    for target in ("run", "console"):
        steps = planned(target)
        assert [s.split("/peerbot ")[1] for s in steps[:2]] == ["db upgrade", "demo load --fresh"]


def test_make_bench_runs_the_benchmarks_through_their_runner_and_make_test_does_not() -> None:
    assert "bench/run.py" in dry_run("bench")
    assert "bench/run.py" not in dry_run("test")
