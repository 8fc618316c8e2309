"""Security and money settings come from the catalogue's policy, never from a local config file, and every config
value is checked with a one-line error naming the key (exit 2, bad_config)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from boxoffice.config import load
from boxoffice.errors import BoxOfficeError
from boxoffice.services.catalog import import_catalog
from boxoffice.services.context import Ctx
from boxoffice.services.demo_catalog import demo_catalog
from boxoffice.services.opening import open_terminal

pytest_plugins = ["sync_support"]


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "local.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_local_file_cannot_lift_the_lockout(cli: Any, terminal: Ctx, tmp_path: Path) -> None:
    lenient = _file(tmp_path, "lock_after_failures = 100\nlock_minutes = 1\nrequire_shift = false\n")
    for _ in range(4):
        assert cli("--config", lenient, "login", "sam", db=terminal, pin="0000").exit_code == 5
    fifth = cli("--config", lenient, "login", "sam", db=terminal, pin="0000")
    assert fifth.exit_code == 5 and "locked for 5 min" in fifth.stderr  # the default five, not the file's
    assert "warning:" in fifth.stderr and "lock_after_failures, lock_minutes, require_shift: ignored" in fifth.stderr
    shown = cli("--config", lenient, "config", "show", "--json").json()["settings"]
    assert (shown["lock_after_failures"]["value"], shown["lock_after_failures"]["source"]) == (5, "default")


@pytest.mark.parametrize("text, key", [('lock_minutes = "abc"\n', "lock_minutes"),
                                       ("session_hours = -1\n", "session_hours"),
                                       ('refund_supervisor_above = "lots"\n', "refund_supervisor_above"),
                                       ('printer = "carrier-pigeon://loft"\n', "printer"),
                                       ('timezone = "Mars/Olympus"\n', "timezone"),
                                       ('ticket_stock = "napkin"\n', "ticket_stock"),
                                       ('central_url = "ftp://x"\n', "central_url"),
                                       ("[alerts]\nrefused_scans = true\n", "alerts")])
def test_every_bad_value_is_refused_in_one_line_naming_the_key(cli: Any, terminal: Ctx, tmp_path: Path,
                                                                 text: str, key: str) -> None:
    bad = _file(tmp_path, text)
    out = cli("--config", bad, "login", "sam", db=terminal, pin="1111")
    assert out.exit_code == 2, out.output
    assert key in out.stderr and "Traceback" not in out.output
    assert len(out.stderr.strip().splitlines()) == 1
    with pytest.raises(BoxOfficeError) as refused:
        load(str(bad))
    assert refused.value.code == "bad_config"


def test_a_bad_printer_from_the_environment_is_refused(cli: Any, terminal: Ctx) -> None:
    out = cli("event", "list", db=terminal, env={"BOXOFFICE_PRINTER": "nonsense"})
    assert out.exit_code == 2 and "BOXOFFICE_PRINTER" in out.stderr


def test_the_catalogue_policy_is_in_force_on_opening(terminal: Ctx, tmp_path: Path) -> None:
    import_catalog(terminal, demo_catalog(terminal.now().date()) | {"policy": {
        "lock_after_failures": 3, "refund_supervisor_above": "50.00", "require_shift": True}})
    cfg = load(str(_file(tmp_path, "lock_after_failures = 50\n")), str(terminal.config.db_path))
    assert cfg.ignored == ["lock_after_failures"] and cfg.lock_after_failures == 5
    ctx = open_terminal(cfg, terminal.clock)
    try:
        assert (ctx.config.lock_after_failures, ctx.config.refund_supervisor_above, ctx.config.require_shift) == \
            (3, "50.00", True)
        assert ctx.config.sources["lock_after_failures"] == "catalogue policy"
    finally:
        ctx.close()
    import_catalog(terminal, demo_catalog(terminal.now().date()))  # a catalogue without a policy: the defaults
    again = open_terminal(load(db=str(terminal.config.db_path)), terminal.clock)
    assert (again.config.lock_after_failures, again.config.require_shift) == (5, False)
    again.close()


def test_the_central_services_policy_reaches_the_terminal_at_sync(central: Any, terminals: Any, cli: Any,
                                                                  login: Any, tmp_path: Path,
                                                                  demo_events: tuple[str, str]) -> None:
    from sync_helpers import sync

    (ctx,) = terminals(1)
    central.publish(demo_catalog(ctx.now().date()) | {"policy": {"require_shift": True,
                                                                 "exchange_between_events": "free"}}, tmp_path)
    sync(ctx)
    login(ctx, "sam")
    refused = cli("sell", demo_events[0], "-s", "standing", "-t", "adult=1", "--card", "4242", db=ctx)
    assert refused.exit_code == 4 and "shift" in refused.stderr
    reopened = open_terminal(load(db=str(ctx.config.db_path)), ctx.clock)
    try:
        assert reopened.config.exchange_between_events == "free"
        assert reopened.config.sources["exchange_between_events"] == "catalogue policy"
    finally:
        reopened.close()
