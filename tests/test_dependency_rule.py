"""The dependency rule, checked on the real import graph by import-linter's contracts."""

from __future__ import annotations

import os
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
