"""`make bench`: every benchmark in turn, their sections gathered into bench/RESULTS.md.

Run from the checkout: PYTHONPATH=. .venv/bin/python bench/run.py (what `make bench` does).
Each script in BENCHMARKS runs as `PYTHONPATH=. <this python> bench/<name>.py --postgres URL`,
URL from PEERBOT_BENCH_POSTGRES_URL (each script makes its own fresh database beside it and
drops it afterwards). A script prints its progress on stderr (shown as it comes) and one
Markdown section on stdout starting `## `; the file gets a header saying on what machine,
when and how the figures were taken, then every section. A script that exits non-zero, runs
past its time or prints no section is written down as FAILED with the end of its stderr, and
this run exits non-zero once all have run. A script not on this branch yet is skipped with a
line saying so.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "RESULTS.md"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BENCHMARKS = ("slack_ack", "fanout", "growth", "events_rush", "memory")
"""In the order they run; together within the 10 minutes `make bench` is allowed."""
TIME_LIMIT = 300.0
"""Seconds one script may take before it is stopped and written down as FAILED."""
LIBRARIES = ("slack-bolt", "botbuilder-core", "aiohttp", "SQLAlchemy", "sqlmodel", "asyncpg")
TAIL = 30


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    name: str
    seconds: float
    section: str
    """The Markdown the script printed, or what went wrong with it."""
    failed: bool = False
    skipped: bool = False


def run(name: str, postgres: str) -> Outcome:
    """One script, its stderr shown as it comes and its last lines kept for a failure."""
    script = BENCH / f"{name}.py"
    if not script.exists():
        print(f"== {name}: bench/{name}.py is not on this branch; skipped", file=sys.stderr)
        return Outcome(name=name, seconds=0.0, section="", skipped=True)
    print(f"== {name}", file=sys.stderr, flush=True)
    tail: deque[str] = deque(maxlen=TAIL)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    began = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(
            [sys.executable, str(script), "--postgres", postgres],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
        late = threading.Timer(TIME_LIMIT, process.kill)
        late.start()
        try:
            assert process.stderr is not None
            for line in process.stderr:
                sys.stderr.write(line)
                tail.append(line.rstrip("\n"))
            status = process.wait()
        finally:
            late.cancel()
        out.seek(0)
        printed = out.read()
    seconds = time.perf_counter() - began
    section = printed[printed.find("## ") :].strip() if "## " in printed else ""
    problem = (
        f"ran past {TIME_LIMIT:.0f} s and was stopped"
        if seconds >= TIME_LIMIT
        else f"exited with status {status}"
        if status
        else ""
        if section
        else "printed no Markdown section"
    )
    if not problem:
        return Outcome(name=name, seconds=seconds, section=section)
    said = "\n".join(tail)
    failure = (
        f"## FAILED: `bench/{name}.py`\n\nIt {problem} after {seconds:.0f} s. "
        f"The end of its stderr:\n\n```\n{said}\n```"
    )
    if section:  # what it measured all the same, below the failure
        failure += "\n\n" + section.replace("## ", "### ", 1)
    return Outcome(name=name, seconds=seconds, section=failure, failed=True)


def _command(*args: str) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "unknown"


def _cpu() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown"
    return next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), "")


def _memory() -> str:
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return "unknown"
    kib = next((int(line.split()[1]) for line in lines if line.startswith("MemTotal:")), 0)
    return f"{kib / 1024 / 1024:.1f} GiB"


def _postgres_version(url: str) -> str:
    """The server's own word, through the driver the benchmarks use."""
    import asyncio

    import asyncpg

    async def ask() -> str:
        connection = await asyncpg.connect(url)
        try:
            return str(await connection.fetchval("SHOW server_version"))
        finally:
            await connection.close()

    try:
        return asyncio.run(ask())
    except (OSError, asyncpg.PostgresError) as exc:
        return f"unreachable ({exc})"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def header(postgres: str, began: datetime) -> list[str]:
    libraries = ", ".join(f"{name} {_version(name)}" for name in LIBRARIES)
    return [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py); earlier hand-run figures, with the before and "
        "after of past changes, are in bench/HISTORY.md. Figures are medians; other work on "
        "the machine makes them vary from run to run.",
        "",
        f"- Machine: {_command('nproc')} cores (`nproc`), {platform.machine()} (`uname -m`), "
        f"{_cpu() or 'CPU model unknown'}, {_memory()} memory",
        f"- Python {platform.python_version()}, PostgreSQL {_postgres_version(postgres)} "
        f"on loopback, SQLite {sqlite3.sqlite_version}",
        f"- Libraries: {libraries}",
        f"- Date: {began:%Y-%m-%d %H:%M} UTC",
        "- Command: `make bench` (each script as `PYTHONPATH=. .venv/bin/python "
        "bench/<name>.py --postgres URL`, URL from `PEERBOT_BENCH_POSTGRES_URL`)",
    ]


def results(lines: list[str], outcomes: list[Outcome], seconds: float) -> str:
    table = ["| benchmark | wall time | outcome |", "|---|---|---|"]
    for o in outcomes:
        said = "skipped: not on this branch" if o.skipped else "FAILED" if o.failed else "ran"
        table.append(f"| `bench/{o.name}.py` | {o.seconds:.0f} s | {said} |")
    table.append(f"| the whole run | {seconds:.0f} s | |")
    sections = [o.section for o in outcomes if o.section]
    return "\n".join([*lines, "", *table, "", "\n\n".join(sections), ""])


def main() -> int:
    postgres = os.environ.get("PEERBOT_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    began = datetime.now(UTC)
    started = time.perf_counter()
    outcomes = [run(name, postgres) for name in BENCHMARKS]
    seconds = time.perf_counter() - started
    RESULTS.write_text(results(header(postgres, began), outcomes, seconds))
    failed = [o.name for o in outcomes if o.failed]
    print(
        f"== wrote {RESULTS.relative_to(ROOT)} in {seconds:.0f} s"
        + (f"; FAILED: {', '.join(failed)}" if failed else ""),
        file=sys.stderr,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
