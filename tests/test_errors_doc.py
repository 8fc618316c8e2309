"""docs/errors.md is the list of error codes and exit statuses scripts rely on: it must say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from boxoffice.errors import EXIT_STATUSES, INTERNAL_ERROR_STATUS

DOC = Path(__file__).resolve().parent.parent / "docs" / "errors.md"


def test_every_error_code_is_documented_with_its_exit_status() -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| (\d+) \|", DOC.read_text(encoding="utf-8"), re.M))
    assert {code: int(status) for code, status in rows.items()} == {c: s for c, (s, _) in EXIT_STATUSES.items()}


def test_every_exit_status_is_explained() -> None:
    statuses = {int(s) for s in re.findall(r"^\| (\d+) \|", DOC.read_text(encoding="utf-8"), re.M)}
    assert {s for s, _ in EXIT_STATUSES.values()} | {0, 1, INTERNAL_ERROR_STATUS, 130} <= statuses
