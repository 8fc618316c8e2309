"""The type checker over the terminal's rules (domain), use cases (services) and sync protocol (wire), with the
settings of pyproject.toml [tool.mypy]: the results the command line prints are typed (TypedDict), so a misspelt
key, a value that may be missing or a wrong argument fails here rather than at the counter."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKED = {"boxoffice.services", "boxoffice.domain", "boxoffice.wire"}


def test_the_checked_packages_are_the_terminals_rules_use_cases_and_protocol() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert set(settings["packages"]) >= CHECKED
    assert settings["check_untyped_defs"] is True


def test_the_types_check() -> None:
    done = subprocess.run([str(BIN / "mypy"), "--no-incremental", "--cache-dir", "/dev/null"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout


def test_a_misspelt_key_of_a_service_result_is_caught(tmp_path: Path) -> None:
    """What the typed results are for: code reading a sale's result by a key it does not have fails the check."""
    use = tmp_path / "use_sale.py"
    use.write_text("from boxoffice.services.context import Ctx\n"
                   "from boxoffice.services.sales import SaleRequest, sell\n\n\n"
                   "def change_due(ctx: Ctx, req: SaleRequest) -> str:\n"
                   '    return sell(ctx, req)["change_txt"]\n', encoding="utf-8")
    done = subprocess.run([str(BIN / "mypy"), "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental",
                           "--cache-dir", "/dev/null", str(use)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1, done.stdout
    assert 'TypedDict "SaleResult" has no key "change_txt"' in done.stdout
