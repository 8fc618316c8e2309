"""BOXOFFICE_CI=1 (set by .ci/run) turns every skip and non-strict xfail into a failure that says why.

Each case runs a real pytest on a small test file with the hook of tests/ci_strict.py, once as a developer runs it
(the skip stays a skip) and once as CI runs it (the skip fails, its reason in the report).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

CASES = '''
import pytest


def test_runs() -> None:
    assert True


def test_skips() -> None:
    pytest.skip("no font with Cyrillic installed")


@pytest.mark.skipif(True, reason="needs fontconfig")
def test_skipif() -> None:
    pass


@pytest.fixture
def server():
    pytest.skip("PostgreSQL is not reachable")


def test_fixture_skips(server) -> None:
    pass


@pytest.mark.xfail(reason="known wrong total")
def test_lenient_xfail() -> None:
    assert 1 == 2


@pytest.mark.xfail(reason="passes by luck")
def test_lenient_xpass() -> None:
    assert True


@pytest.mark.xfail(strict=True, reason="documented bug")
def test_strict_xfail() -> None:
    assert 1 == 2
'''

MODULE_SKIP = '''
import pytest

pytest.importorskip("a_module_nobody_has")


def test_never_collected() -> None:
    pass
'''


def _pytest(tmp_path: Path, source: str, ci: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_cases.py").write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env["PYTHONPATH"] = str(TESTS)
    if ci:
        env["BOXOFFICE_CI"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "ci_strict", "-p", "no:cacheprovider", "-rA", "-q",
         "test_cases.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )


def _outcomes(out: str) -> dict[str, str]:
    """test name -> PASSED/FAILED/SKIPPED/XFAIL/XPASS/ERROR from pytest's -rA short summary."""
    found = {}
    for line in out.splitlines():
        word, _, rest = line.partition(" ")
        if word in {"PASSED", "FAILED", "SKIPPED", "XFAIL", "XPASS", "ERROR"}:
            name = rest.split(" - ")[0].split("::")[-1].strip()
            if word == "SKIPPED":  # "SKIPPED [1] test_cases.py:9: reason"
                name = rest.split(":")[-1].strip()
            found[name] = word
    return found


def test_a_developer_sees_skips_as_skips(tmp_path: Path) -> None:
    run = _pytest(tmp_path, CASES, ci=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 3 skipped, 2 xfailed, 1 xpassed" in run.stdout
    run = _pytest(tmp_path, MODULE_SKIP, ci=False)
    assert run.returncode == 5, run.stdout + run.stderr  # pytest's "no tests ran": not a failure
    assert "1 skipped" in run.stdout


def test_ci_fails_every_skip_with_its_reason(tmp_path: Path) -> None:
    run = _pytest(tmp_path, CASES, ci=True)
    assert run.returncode == 1, run.stdout + run.stderr
    outcomes = _outcomes(run.stdout)
    assert outcomes["test_runs"] == "PASSED"
    for name in ("test_skips", "test_lenient_xfail", "test_lenient_xpass"):
        assert outcomes[name] == "FAILED", run.stdout
    for name in ("test_skipif", "test_fixture_skips"):  # skipped before the test ran: its setup fails
        assert outcomes[name] == "ERROR", run.stdout
    # A strict xfail that fails as documented is what it says; only lenient ones hide a change.
    assert outcomes["test_strict_xfail"] == "XFAIL", run.stdout
    assert "skipped" not in run.stdout.splitlines()[-1]
    for reason in ("no font with Cyrillic installed", "needs fontconfig", "PostgreSQL is not reachable",
                   "known wrong total", "passes by luck"):
        assert reason in run.stdout, reason


def test_ci_fails_a_module_skipped_at_import(tmp_path: Path) -> None:
    run = _pytest(tmp_path, MODULE_SKIP, ci=True)
    assert run.returncode != 0, run.stdout + run.stderr
    assert "ERROR test_cases.py" in run.stdout
    assert "test_cases.py was skipped whole: could not import 'a_module_nobody_has'" in run.stdout
