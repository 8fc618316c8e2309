"""A fixed clock (BOXOFFICE_NOW) is for rehearsals and tests: a real terminal refuses it, a demo terminal keeps it.

On a real terminal a clock set from the environment would lift a lockout an hour early and move a refund into a
cheaper tier; the refusal names the variable and what to do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from boxoffice.config import load
from boxoffice.domain.clock import FixedClock
from boxoffice.errors import BoxOfficeError
from boxoffice.services.opening import is_demo, open_terminal
from boxoffice.services.operators import add_operator
from boxoffice.services.terminal import init_terminal

LATER = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


def _real_terminal(tmp_path: Path) -> Path:
    """A terminal made as `boxoffice init` makes one (no demo mark), with one admin whose PIN is 1234."""
    db = tmp_path / "real" / "terminal.db"
    db.parent.mkdir()
    ctx = init_terminal(load(db=str(db)), "Counter 9")
    add_operator(ctx, "ada", "admin", "1234")
    ctx.close()
    return db


def test_a_real_terminal_refuses_a_clock_from_the_environment(cli: Any, tmp_path: Path) -> None:
    db = _real_terminal(tmp_path)
    for _ in range(5):  # ada locks herself out
        assert cli("login", "ada", db=db, pin="0000", now=None).exit_code == 5
    assert cli("login", "ada", db=db, pin="1234", now=None).exit_code == 5  # locked on the real clock
    moved = cli("login", "ada", db=db, pin="1234", now="2099-01-01T00:00:00Z")  # the lock "over" by the clock
    assert moved.exit_code == 2, moved.output
    assert "BOXOFFICE_NOW" in moved.stderr and "demo" in moved.stderr
    assert len(moved.stderr.strip().splitlines()) == 1
    assert cli("event", "list", db=db, now=None).exit_code == 0  # unset, the terminal works on


def test_init_with_a_fixed_clock_is_refused_and_makes_nothing(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "new" / "terminal.db"
    made = cli("init", "--name", "Counter 3", db=db)
    assert made.exit_code == 2 and "BOXOFFICE_NOW" in made.stderr
    assert not db.with_suffix(".key").exists()


def test_the_demo_keeps_its_fixed_clock(cli: Any, tmp_path: Path) -> None:
    first = cli("demo", "--dir", str(tmp_path / "demo"), "--json")
    assert first.exit_code == 0, first.output
    again = cli("event", "list", "--json", db=first.json()["db"])
    assert again.exit_code == 0, again.output


def test_the_service_opens_a_real_terminal_on_a_fixed_clock_never(tmp_path: Path) -> None:
    db = _real_terminal(tmp_path)
    with pytest.raises(BoxOfficeError) as refused:
        open_terminal(load(db=str(db)), FixedClock(LATER))
    assert refused.value.code == "bad_config"
    ctx = open_terminal(load(db=str(db)))
    assert not is_demo(ctx)
    ctx.close()


def test_a_demo_mark_written_in_afterwards_does_not_count(tmp_path: Path) -> None:
    db = _real_terminal(tmp_path)
    ctx = open_terminal(load(db=str(db)))
    payload = ctx.conn.execute("SELECT payload FROM journal WHERE seq = 1").fetchone()[0]
    ctx.conn.execute("UPDATE journal SET payload = ? WHERE seq = 1", (payload[:-1] + ',"demo":true}',))
    ctx.conn.commit()
    ctx.close()
    with pytest.raises(BoxOfficeError) as refused:
        open_terminal(load(db=str(db)), FixedClock(LATER))
    assert refused.value.code == "bad_config"


def test_test_terminals_are_demo_terminals(terminal: Any) -> None:
    assert is_demo(terminal)
