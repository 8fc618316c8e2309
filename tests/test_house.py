"""The house rules, checked as part of the tests so that the README's test command keeps them too: the import
contracts of pyproject.toml (lint-imports: the layers of docs/architecture.md) and the linter."""

from __future__ import annotations

import ast
import re
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


SQL_CALLS = {"all", "one", "scalar", "execute", "executemany", "executescript"}
SQL_START = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP)\s")  # SQL is in capitals here


def sql_in(path: Path) -> list[str]:
    """Where a module runs a statement itself (``db.all(...)`` and its kin) or holds one (a string or f-string that
    starts with an SQL keyword), as ``file:line`` lines."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_CALLS):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.func.attr}(...)")
        elif isinstance(node, ast.JoinedStr | ast.Constant):
            head = node.values[0] if isinstance(node, ast.JoinedStr) and node.values else node
            text = head.value if isinstance(head, ast.Constant) else None
            if isinstance(text, str) and SQL_START.match(text):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text.strip()[:40]!r}")
    return found


def test_central_sql_is_in_its_store_only() -> None:
    """The central service's statements live in central/store/: its use cases and HTTP app ask the store."""
    modules = sorted((ROOT / "boxoffice" / "central" / "services").rglob("*.py"))
    modules += sorted((ROOT / "boxoffice" / "central" / "api").rglob("*.py"))
    assert modules
    found = [line for path in modules for line in sql_in(path)]
    assert not found, "\n".join(found)


def test_the_sql_check_sees_a_query() -> None:
    """The check above finds what it looks for: the central store's own modules are full of it."""
    found = sql_in(ROOT / "boxoffice" / "central" / "store" / "reports.py")
    assert any(line.endswith(".all(...)") for line in found)
    assert any("'SELECT " in line for line in found)
