"""The dependency rule, checked on the real import graph by import-linter's contracts."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_core_and_storage_import_no_platform_sdk_aiohttp_or_adapters() -> None:
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0
    finally:
        os.chdir(here)


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
