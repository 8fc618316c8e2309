"""The house rules, checked as part of the tests so that the README's test command keeps them too: the import
contracts of pyproject.toml (lint-imports: the layers of docs/architecture.md) and the linter."""

from __future__ import annotations

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
