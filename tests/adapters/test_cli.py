"""The `peerbot` command as a newcomer runs it: a real process, a real database file."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.conversation.sealing import generate_key, sealer

ROOT = Path(__file__).resolve().parents[2]
PEERBOT = Path(sys.executable).parent / "peerbot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: a fresh SQLite file and a free port, no platform credentials."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
    keep.pop("PEERBOT_ORG_FILE", None)
    return keep | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'peerbot.db'}",
        "PORT": str(free_port()),
        "PEERBOT_HOST": "127.0.0.1",
    }


def peerbot(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PEERBOT), *args],
        input=stdin,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_scripted_console_session_lists_every_feature(env: dict[str, str]) -> None:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    done = peerbot("run", env=env, stdin="help\nsupport\nquit\n")
    assert done.returncode == 0, done.stderr
    for feature in ("Speak up", "Staff networks", "Mentoring", "Support"):
        assert feature in done.stdout
    assert "Samaritans" in done.stdout
    assert "you> support" in done.stdout


def serving(env: dict[str, str]) -> subprocess.Popen[str]:
    """`peerbot run` with the console open on a pipe, once its server answers /healthz."""
    process = subprocess.Popen(
        [str(PEERBOT), "run"],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{env['PORT']}/healthz"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                assert response.status == 200
                assert b'"ok"' in response.read()
                return process
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError("the server never answered /healthz") from None
            time.sleep(0.2)


def test_the_server_answers_health_checks_while_the_console_is_open(env: dict[str, str]) -> None:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    process = serving(env)
    try:
        out, err = process.communicate("quit\n", timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Bye" in out or "bye" in out


@pytest.mark.parametrize("ending", ["quit", "SIGINT", "SIGTERM", "end of input"])
def test_a_normal_exit_is_quiet_and_orderly(env: dict[str, str], ending: str) -> None:
    """Typing quit, Ctrl-C, a service manager's SIGTERM and Ctrl-D all stop peerbot the
    same way: the outbox drained, the database closed, exit status 0, and nothing
    alarming on stderr."""
    assert peerbot("db", "upgrade", env=env).returncode == 0
    for _ in range(3):
        process = serving(env)
        try:
            assert process.stdin is not None
            process.stdin.write("help\n")
            process.stdin.flush()
            time.sleep(0.5)
            if ending == "quit":
                process.stdin.write("quit\n")
                process.stdin.flush()
            elif ending != "end of input":
                process.send_signal(getattr(signal, ending))
            out, err = process.communicate(timeout=30)  # closes standard input
        finally:
            process.kill()
        assert process.returncode == 0, err
        assert "Bye" in out
        assert not [line for line in err.splitlines() if "ERROR" in line or "Traceback" in line]
        assert "stopped" not in err


def test_an_unmigrated_database_is_refused_with_the_fix(env: dict[str, str]) -> None:
    done = peerbot("run", env=env, stdin="quit\n")
    assert done.returncode == 1
    assert "peerbot db upgrade" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_database_stops_start_up_with_one_line(env: dict[str, str]) -> None:
    env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{free_port()}/peerbot"
    env["PEERBOT_SEALING_KEY"] = generate_key()
    for args in (("run",), ("db", "upgrade")):
        done = peerbot(*args, env=env, stdin="quit\n")
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("peerbot: cannot reach the database at postgresql")


def test_bad_settings_are_named_before_anything_starts(env: dict[str, str]) -> None:
    env["DATABASE_URL"] = "mysql://db/peerbot"
    env["SLACK_BOT_TOKEN"] = "xoxb-only-half"
    done = peerbot("run", env=env)
    assert done.returncode == 2
    assert "DATABASE_URL: use sqlite:///" in done.stderr
    assert "Traceback" not in done.stderr


def test_serving_on_postgresql_needs_the_key_every_replica_shares(env: dict[str, str]) -> None:
    """Named before anything starts: without it each replica would sign the web form's
    pages with a secret of its own and refuse the pages the others gave out."""
    env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{free_port()}/peerbot"
    env.pop("PEERBOT_SEALING_KEY", None)
    done = peerbot("run", env=env)
    assert done.returncode == 2
    assert "PEERBOT_SEALING_KEY is missing: on PostgreSQL every replica" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_malformed_org_file_is_refused_with_its_line(env: dict[str, str], tmp_path: Path) -> None:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    bad = tmp_path / "org.yml"
    bad.write_text("organisation:\n  name: Trust\n  time_zone: Mars/Olympus\n")
    done = peerbot("org", "apply", str(bad), env=env)
    assert done.returncode == 2
    assert f"{bad}:3:" in done.stderr
    assert "nothing was changed" in done.stderr


def test_org_apply_is_idempotent(env: dict[str, str]) -> None:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    first = peerbot("org", "apply", "examples/org.yml", env=env)
    second = peerbot("org", "apply", "examples/org.yml", env=env)
    assert first.returncode == second.returncode == 0, first.stderr
    assert "No changes" not in first.stdout
    assert "No changes" in second.stdout


def test_a_busy_port_is_reported_plainly(env: dict[str, str]) -> None:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env["PORT"] = str(taken.getsockname()[1])
        done = peerbot("run", env=env, stdin="quit\n")
    assert done.returncode == 1
    assert "set PORT to a free port" in done.stderr


def test_keys_generate_prints_a_usable_key(env: dict[str, str]) -> None:
    done = peerbot("keys", "generate", env=env)
    assert done.returncode == 0
    key = done.stdout.strip()
    assert sealer(key).decrypt(sealer(key).encrypt(b"x")) == b"x"
    assert "PEERBOT_SEALING_KEY" in done.stderr


def test_speakup_report_and_purge_from_the_command_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    out = tmp_path / "q3.csv"
    done = peerbot(
        "speakup",
        "report",
        "--quarter",
        "2026Q3",
        "--csv",
        str(out),
        "--suppress-below",
        "5",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Speak-up figures for 2026Q3" in done.stdout and "Cases raised" in done.stdout
    assert out.read_text().splitlines()[1] == "2026Q3,Cases raised,0"
    bad = peerbot("speakup", "report", "--quarter", "2026Q9", env=env)
    assert bad.returncode == 2 and "use the form 2026Q3" in bad.stderr
    purged = peerbot("speakup", "purge", env=env)
    assert purged.returncode == 0 and "0 closed cases purged." in purged.stdout


def test_chat_offers_the_web_form_at_its_public_address(env: dict[str, str]) -> None:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    public = {**env, "PEERBOT_PUBLIC_URL": "https://peerbot.example.nhs.uk"}
    done = peerbot("run", env=public, stdin="speakup\nquit\n")
    assert done.returncode == 0, done.stderr
    assert "The speak-up web form is at https://peerbot.example.nhs.uk/speakup" in done.stdout
    offered = " ".join(done.stdout.split("you> speakup", 1)[1].split())  # lines are wrapped
    assert "The web form at https://peerbot.example.nhs.uk/speakup avoids even that." in offered


def test_outbox_lists_failed_messages_without_their_words_and_retries_them(
    env: dict[str, str],
) -> None:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    database = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
    with sqlite3.connect(database) as conn:
        for n, status in enumerate(("failed", "sent", "failed", "failed"), start=1):
            conn.execute(
                "INSERT INTO outbox (id, dedupe_key, platform, address, reply, due_at, status,"
                " attempts, retries, in_doubt, last_error, created_at) VALUES"
                " (?, ?, 'slack', ?, ?, '2026-11-02 09:00:00', ?, 8, 0, 0, 'invalid_blocks',"
                " '2026-11-02 09:00:00')",
                (n, f"k{n}", '{"channel_id": "U0SECRET"}', '{"summary": "private words"}', status),
            )

    listed = peerbot("outbox", "failed", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = [line.split() for line in listed.stdout.splitlines()]
    assert [line[:6] for line in lines if line[0].isdigit()] == [
        ["1", "slack", "2026-11-02", "09:00", "8", "invalid_blocks"],
        ["3", "slack", "2026-11-02", "09:00", "8", "invalid_blocks"],
        ["4", "slack", "2026-11-02", "09:00", "8", "invalid_blocks"],
    ]
    assert "U0SECRET" not in listed.stdout and "private words" not in listed.stdout

    one = peerbot("outbox", "retry", "3", env=env)
    assert one.returncode == 0 and "1 failed message queued again." in one.stdout
    rest = peerbot("outbox", "retry", "--all", env=env)
    assert rest.returncode == 0 and "2 failed messages queued again." in rest.stdout
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT id, status, attempts FROM outbox ORDER BY id").fetchall()
    assert rows == [(1, "pending", 0), (2, "sent", 8), (3, "pending", 0), (4, "pending", 0)]
    assert "No failed messages." in peerbot("outbox", "failed", env=env).stdout

    vague = peerbot("outbox", "retry", env=env)
    assert vague.returncode == 2 and "by id, or give --all" in vague.stderr
