"""Under CI nothing may be quietly left out: with BOXOFFICE_CI=1 a skipped test, a module skipped at collection and
a non-strict xfail each become a failure that carries the skip's reason.

A skip says "this machine lacks something" (a font, a script, a server); on a developer's laptop that is news, on
CI it means the build no longer checks what it claims to. tests/conftest.py takes these hooks; .ci/run sets
BOXOFFICE_CI=1. Read once at import, before any test's own environment isolation removes BOXOFFICE_* variables.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

CI_ENV = "BOXOFFICE_CI"
STRICT = os.environ.get(CI_ENV) == "1"


def _reason(longrepr: Any) -> str:
    """The text a skip was given: pytest keeps it as (file, line, 'Skipped: reason') for skips."""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _non_strict_xfail(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("xfail")
    if marker is None:  # pytest.xfail() called inside the test: nothing made it strict
        return True
    return not marker.kwargs.get("strict", item.config.getini("xfail_strict"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Generator[None, Any, None]:
    """A skip or a non-strict xfail, in setup, call or teardown, is reported as a failure with its reason."""
    outcome = yield
    if not STRICT:
        return
    report = outcome.get_result()
    if hasattr(report, "wasxfail") and _non_strict_xfail(item):
        why = report.wasxfail or "no reason given"
        del report.wasxfail
        report.outcome = "failed"
        report.longrepr = (f"{CI_ENV}=1: a non-strict xfail is not allowed on CI ({why}); fix the test or mark it "
                           "xfail(strict=True)")
    elif report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"{CI_ENV}=1: every test must run on CI, but this one skipped: {_reason(report.longrepr)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    """A whole module skipped at import (pytest.importorskip, skip(allow_module_level=True)) fails instead."""
    outcome = yield
    if not STRICT:
        return
    report = outcome.get_result()
    if report.skipped:
        report.outcome = "failed"
        report.longrepr = (f"{CI_ENV}=1: every test must run on CI, but {collector.nodeid} was skipped whole: "
                           f"{_reason(report.longrepr)}")
