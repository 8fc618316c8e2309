"""The house rules, checked as part of the tests so that the README's test command keeps them too: the import
contracts of pyproject.toml (lint-imports: the layers of docs/architecture.md) and the linter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_the_layers_hold() -> None:
    done = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_code_is_lint_clean() -> None:
    done = subprocess.run([str(BIN / "ruff"), "check", "boxoffice", "tests", "benchmarks"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:]
