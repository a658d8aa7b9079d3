"""The `peerbot` command as a newcomer runs it: a real process, a real database file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.sealing import sealer

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
    for feature in ("Speak up", "Network events", "Mentoring", "Support"):
        assert feature in done.stdout
    assert "Samaritans" in done.stdout
    assert "you> support" in done.stdout


def test_the_server_answers_health_checks_while_the_console_is_open(env: dict[str, str]) -> None:
    assert peerbot("db", "upgrade", env=env).returncode == 0
    process = subprocess.Popen(
        [str(PEERBOT), "run"],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{env['PORT']}/healthz"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert response.status == 200
                    assert b'"ok"' in response.read()
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server never answered /healthz"
                time.sleep(0.2)
        out, err = process.communicate("quit\n", timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Bye" in out or "bye" in out


def test_an_unmigrated_database_is_refused_with_the_fix(env: dict[str, str]) -> None:
    done = peerbot("run", env=env, stdin="quit\n")
    assert done.returncode == 1
    assert "peerbot db upgrade" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_database_stops_start_up_with_one_line(env: dict[str, str]) -> None:
    env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{free_port()}/peerbot"
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
