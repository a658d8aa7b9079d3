"""README.md: it promises only what exists, and sends a newcomer nowhere outside the clone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from adapters.cli import app
from tests.bot.organisation.test_directory_features import unsealed

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
LINK = re.compile(r"\]\(([^)\s]+)\)")
COMMAND_ROW = re.compile(r"^\| `peerbot ([a-z][a-z ]*?)(?: [A-Z\[-].*)?`", re.MULTILINE)
SLASH = re.compile(r"`(/[a-z]+)`")
PATH = re.compile(r"`((?:\.\./)*[\w.-]+(?:/[\w.-]+)+/?)`")
"""A path written in code style, like `bench/RESULTS.md` or `bot/speakup/`."""


def test_every_link_opens_something_in_the_clone_or_on_the_web() -> None:
    """A link to a design file beside the repository worked only on its authors' machine."""
    for target in LINK.findall(README):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT), f"{target} leaves the repository"
        assert path.exists(), f"{target} is not in the repository"


def test_every_path_it_names_is_in_the_clone() -> None:
    """Named rather than linked, a file outside the clone is just as far out of reach."""
    named = PATH.findall(README)
    assert "bench/RESULTS.md" in named
    for path in named:
        where = (ROOT / path).resolve()
        assert where.is_relative_to(ROOT), f"{path} is outside the repository"
        assert where.exists(), f"{path} is not in the repository"


def test_every_command_in_the_command_line_table_exists() -> None:
    rows = COMMAND_ROW.findall(README)
    assert len(rows) >= 10, "the command-line table was not found"
    group = typer.main.get_command(app)
    for row in rows:
        command: Any = group
        for word in row.split():
            assert hasattr(command, "commands"), f"peerbot {row}: {word} takes no command"
            assert word in command.commands, f"peerbot {row}: no command {word!r}"
            command = command.commands[word]


def test_every_slash_command_it_names_is_answered() -> None:
    router = unsealed()
    named = set(SLASH.findall(README)) - {"/slack", "/healthz", "/readyz", "/metrics", "/speakup"}
    assert named >= {"/events", "/mentoring", "/support"}
    for command in named - {"/peerbot"}:
        assert router.answers(command), f"the README offers {command}, which nobody answers"
    assert router.answers("speakup")
