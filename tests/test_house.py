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


def _typer_private_names() -> set[str]:
    """The private attributes and methods Typer's own classes have (including the click it carries)."""
    import typer

    names: set[str] = set()
    for source in Path(typer.__file__).parent.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        names |= set(re.findall(r"self\.(_[A-Za-z]\w*)", text))
        names |= set(re.findall(r"^\s+def (_[A-Za-z]\w*)", text, re.M))
    return names


def test_no_module_reads_typer_private_api() -> None:
    """Typer is used through its public names only (pyproject pins the releases, but a private attribute may change
    in any of them): no private typer module, no `type_descriptor`, no private attribute of Typer's objects, unless
    the project's own class defines an attribute of that name."""
    sources = {path: path.read_text(encoding="utf-8") for path in (ROOT / "boxoffice").rglob("*.py")}
    own: set[str] = set()
    for text in sources.values():
        own |= set(re.findall(r"self\.(_[A-Za-z]\w*)\s*[:=]", text))
        own |= set(re.findall(r"def (_[A-Za-z]\w*)", text))
    private = _typer_private_names() - own
    assert "_runtime_param" in private and "_help_option" in private  # the scan finds Typer's private names
    found = []
    for path, text in sources.items():
        for number, line in enumerate(text.splitlines(), 1):
            code = line.split("#", 1)[0]
            where = f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            if re.search(r"\btyper(\.\w+)*\._|\bfrom typer(\.\w+)* import .*\b_\w", code):
                found.append(where)
            if "type_descriptor" in code:
                found.append(where)
            attrs = re.findall(r"\.(_[A-Za-z]\w*)\b", code) + re.findall(r"""attr\(\s*\w+\s*,\s*["'](_\w+)""", code)
            if any(name in private for name in attrs):
                found.append(where)
    assert not found, "\n".join(found)
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
