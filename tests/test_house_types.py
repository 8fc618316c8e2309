"""The type checker over the terminal's rules (domain), use cases (services) and sync protocol (wire), with the
settings of pyproject.toml [tool.mypy]: the results the command line prints are typed, so a misspelt key, a value
that may be missing or a wrong argument fails here rather than at the counter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_the_types_check() -> None:
    done = subprocess.run([str(BIN / "mypy"), "--no-incremental", "--cache-dir", "/dev/null"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout
    for package in ("boxoffice.services", "boxoffice.domain", "boxoffice.wire"):  # the packages it was run on
        assert package in (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("[tool.mypy]")[1]
