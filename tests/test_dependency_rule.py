"""The dependency rule, checked on the real import graph by import-linter's contracts."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_core_and_storage_import_no_platform_sdk_aiohttp_or_adapters() -> None:
    """In its own process: import-linter configures logging as it starts, which would
    switch off every logger already made in this one (and the later tests that read
    their logs)."""
    check = (
        "from importlinter.cli import lint_imports; raise SystemExit(lint_imports(no_cache=True))"
    )
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_feature_folder_is_held_to_the_feature_contracts() -> None:
    """A new feature folder that no contract names could import any other feature."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (independent,) = [c["modules"] for c in contracts if c["type"] == "independence"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    folders = {f"bot.{p.name}" for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists()}
    features = folders - {"bot.conversation", "bot.organisation"}
    assert set(independent) == features
    assert set(layers[1].split(" | ")) == features
    assert layers == ["bot.features", layers[1], "bot.organisation", "bot.conversation"]
