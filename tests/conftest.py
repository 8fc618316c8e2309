"""Shared fixtures: real terminals on real SQLite files, a clock tests can set, and the CLI run in-process.

A standard test terminal has the demo catalogue (services.demo_catalog, dated from the test clock) and five
operators, with ada logged in:

    ada admin 123456 | sam seller 1111 | sue supervisor 222222 | pat pickup 3333 | dan door 4444

Building one costs a key pair and five scrypt hashes, so the first standard terminal of each test is a copy of one
built once per session; any further terminal in the same test (or one asked for with ``fresh=True``) is built from
scratch, so two terminals in one test never share an id, a tag or a signing key.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ci_strict import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401 - hooks: no skip on CI
from hypothesis import settings
from pretix_server import pretix_server  # noqa: F401 - the session's pretix for the bridge tests
from typer.testing import CliRunner, Result

from boxoffice.config import load
from boxoffice.domain.clock import iso
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.services.demo_catalog import demo_catalog
from boxoffice.services.opening import open_terminal

# No per-example deadline: on a shared, busy machine one example may stall for longer than any fixed deadline, and a
# property test is about what comes out, not how fast (speed is measured in benchmarks/).
settings.register_profile("boxoffice", deadline=None)
settings.load_profile("boxoffice")

# The test clock starts here: a Tuesday morning a week before the first demo event.
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

PINS = {"ada": "123456", "sam": "1111", "sue": "222222", "pat": "3333", "dan": "4444"}
ROLES = {"ada": "admin", "sam": "seller", "sue": "supervisor", "pat": "pickup", "dan": "door"}

DB_NAME = "terminal.db"


class ManualClock:
    """A clock that stands still until a test moves it. Call it for the time, as services do."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime | str) -> datetime:
        if isinstance(when, str):
            when = datetime.fromisoformat(when.replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        self.now = when
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move on by ``timedelta(**delta)``: ``clock.advance(minutes=5)``."""
        self.now = self.now + timedelta(**delta)
        return self.now

    def iso(self) -> str:
        return iso(self.now)


def demo_event_ids(start: datetime = T0) -> tuple[str, str]:
    """The two demo events' ids for a clock starting at ``start`` (one and two weeks ahead)."""
    first, second = start.date() + timedelta(days=7), start.date() + timedelta(days=14)
    return f"gala-{first:%m%d}", f"jazz-{second:%m%d}"


def _build(directory: Path, clock: ManualClock, *, name: str, operators: bool, catalog: bool,
           logged_in: str | None) -> Ctx:
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.terminal import init_terminal

    directory.mkdir(parents=True, exist_ok=True)
    ctx = init_terminal(load(db=str(directory / DB_NAME)), name, clock, demo=True)  # test terminals run on a set clock
    if operators:
        add_operator(ctx, "ada", "admin", PINS["ada"])
        login(ctx, "ada", PINS["ada"])
        for who in ("sam", "sue", "pat", "dan"):
            add_operator(ctx, who, ROLES[who], PINS[who])
        if catalog:
            import_catalog(ctx, demo_catalog(clock().date()))
        if logged_in != "ada":
            if logged_in is None:
                from boxoffice.services.operators import logout

                logout(ctx)
            else:
                login(ctx, logged_in, PINS[logged_in])
    return ctx


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No setting of the developer's own (BOXOFFICE_*, ~/.config/boxoffice) reaches a test."""
    import os

    for key in list(os.environ):
        if key.startswith("BOXOFFICE_"):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BOXOFFICE_RUNTIME_DIR", str(home / "run"))  # no warm process but a test's own
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    for key in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"):  # English unless a test asks for another language
        monkeypatch.delenv(key, raising=False)
    _forget_languages()


def _forget_languages() -> None:
    """A test that logged in an operator with their own language, or read a venue's, leaves no language behind."""
    from boxoffice import i18n

    i18n.for_scripts(False)
    i18n.set_operator_language(None)
    i18n.set_language(None)


@pytest.fixture
def clock() -> ManualClock:
    """The test clock, at T0 until the test moves it. Terminals made by ``make_terminal`` run on it."""
    return ManualClock(T0)


@pytest.fixture(scope="session")
def _template_terminal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import os

    directory = tmp_path_factory.mktemp("template-terminal")
    with pytest.MonkeyPatch.context() as mp:  # built before any test's own isolation applies
        for key in list(os.environ):
            if key.startswith("BOXOFFICE_"):
                mp.delenv(key)
        mp.setenv("XDG_CONFIG_HOME", str(directory.parent / "template-config"))
        mp.chdir(directory)
        ctx = _build(directory, ManualClock(T0), name="Counter 1", operators=True, catalog=True, logged_in="ada")
        ctx.close()  # the last connection closing folds the WAL back into the file, so the copy is whole
    return directory


@pytest.fixture
def make_terminal(tmp_path: Path, clock: ManualClock, _template_terminal: Path) -> Iterator[Callable[..., Ctx]]:
    """A factory of real terminals: ``make_terminal(directory=None, *, name=..., operators=True, catalog=True,
    logged_in="ada", fresh=False) -> Ctx``.

    With ``operators`` the five standard operators exist; with ``catalog`` (needs ``operators``) the demo catalogue
    is imported; ``logged_in`` names who is logged in at the end (None: nobody). The terminal's database is
    ``ctx.config.db_path`` and its clock is the ``clock`` fixture. Every context is closed after the test.
    """
    opened: list[Ctx] = []
    made = 0

    def make(directory: Path | str | None = None, *, name: str = "Counter 1", operators: bool = True,
             catalog: bool = True, logged_in: str | None = "ada", fresh: bool = False) -> Ctx:
        nonlocal made
        made += 1
        target = Path(directory) if directory is not None else tmp_path / f"terminal{made}"
        standard = (name, operators, catalog, logged_in) == ("Counter 1", True, True, "ada")
        if standard and not fresh and made == 1 and clock() == T0:
            target.mkdir(parents=True, exist_ok=True)
            for item in _template_terminal.iterdir():
                shutil.copy2(item, target / item.name)
            ctx = open_terminal(load(db=str(target / DB_NAME)), clock)
        else:
            ctx = _build(target, clock, name=name, operators=operators, catalog=catalog, logged_in=logged_in)
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        with contextlib.suppress(sqlite3.Error):
            ctx.close()


@pytest.fixture
def terminal(make_terminal: Callable[..., Ctx]) -> Ctx:
    """One standard terminal: demo catalogue, the five operators, ada (admin) logged in."""
    return make_terminal()


@pytest.fixture
def demo_events() -> tuple[str, str]:
    """The demo catalogue's event ids for the test clock's start: (Winter Gala, Late Night Jazz)."""
    return demo_event_ids(T0)


@pytest.fixture
def open_ctx(clock: ManualClock) -> Iterator[Callable[..., Ctx]]:
    """Open another context on an existing database (as the next CLI command would): ``open_ctx(db_or_ctx)``."""
    opened: list[Ctx] = []

    def open_(db: Path | str | Ctx) -> Ctx:
        path = db.config.db_path if isinstance(db, Ctx) else Path(db)
        ctx = open_terminal(load(db=str(path)), clock)
        opened.append(ctx)
        return ctx

    yield open_
    for ctx in opened:
        ctx.close()


@pytest.fixture
def login(clock: ManualClock) -> Callable[..., dict[str, Any]]:
    """``login(ctx_or_db, name, pin=None)``: log ``name`` in with their standard PIN; returns the operator."""
    from boxoffice.services.operators import login as do_login

    def login_(where: Ctx | Path | str, name: str, pin: str | None = None) -> dict[str, Any]:
        pin = pin if pin is not None else PINS[name]
        if isinstance(where, Ctx):
            return do_login(where, name, pin)
        ctx = open_terminal(load(db=str(where)), clock)
        try:
            return do_login(ctx, name, pin)
        finally:
            ctx.close()

    return login_


@pytest.fixture
def cli(clock: ManualClock) -> Callable[..., Result]:
    """Run ``boxoffice`` in-process: ``cli(*args, db=None, pin=None, now=..., env=None, input=None)``.

    ``db`` (a path or a Ctx) becomes ``--db PATH``; ``pin`` sets BOXOFFICE_PIN; ``now`` sets BOXOFFICE_NOW and
    defaults to the test clock's time (None: the real clock). ``result.stdout`` and ``result.stderr`` are apart;
    ``result.json()`` parses stdout.
    """
    runner = CliRunner()
    _unset = object()

    def run(*args: str, db: Path | str | Ctx | None = None, pin: str | None = None, now: Any = _unset,
            env: dict[str, str | None] | None = None, input: str | None = None) -> Result:
        argv = [str(a) for a in args]
        if db is not None:
            path = db.config.db_path if isinstance(db, Ctx) else Path(db)
            argv = ["--db", str(path), *argv]
        full_env: dict[str, str | None] = {"BOXOFFICE_PIN": pin, "BOXOFFICE_DEBUG": None}
        if now is _unset:
            full_env["BOXOFFICE_NOW"] = clock.iso()
        else:
            full_env["BOXOFFICE_NOW"] = None if now is None else (now if isinstance(now, str) else iso(now))
        full_env.update(env or {})
        from boxoffice.cli.main import app

        _forget_languages()  # each command finds its language as a new process would
        # A restore must be alone on the database (services/backup.py): the test's own connection, which no real
        # process would hold, lets go for it and is opened again after.
        alone = isinstance(db, Ctx) and "restore" in argv
        if alone:
            db.conn.close()
        try:
            result = runner.invoke(app, argv, env=full_env, input=input)
        finally:
            if alone:
                with contextlib.suppress(BoxOfficeError):  # a ruined database the restore did not put right
                    db.conn = open_terminal(db.config, clock).conn
        result.json = lambda: json.loads(result.stdout)  # type: ignore[attr-defined]
        return result

    return run


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[Any, str], Path]:
    """``write_json(doc, name="doc.json") -> Path``: a document written to a file in the test's directory."""

    def write(doc: Any, name: str = "doc.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path

    return write
