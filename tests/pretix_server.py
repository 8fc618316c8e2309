"""The session fixture ``pretix_server``: a real pretix on loopback for the bridge tests, never a mock.

With BOXOFFICE_PRETIX_URL and BOXOFFICE_PRETIX_TOKEN_FILE set, the tests use that running pretix (organizer
"venue", or BOXOFFICE_PRETIX_ORGANIZER). Otherwise the session starts its own:

- pretix's Python is BOXOFFICE_PRETIX_PYTHON, else ``<checkout>/.pretix-venv/bin/python``; that virtual environment
  is made with pip (pretix==PRETIX_VERSION, about 45 s) when it is missing, under a file lock so that two sessions
  do not build it at once;
- a temporary data directory, a pretix.cfg (SQLite, debug off) and a settings module that puts SQLite in IMMEDIATE
  transaction mode with a 30 s busy timeout: pretix's own writes (order creation, check-ins) then wait for each
  other instead of failing with "database is locked" when the bridge and a test write at the same moment;
- the database: ``migrate`` takes over a minute, so the migrated database (with organizer "venue" and the template
  events of tests/pretix_kit.py, made with a few ORM calls) is kept in a cache keyed by pretix's version and copied
  for each later session, which adds a team with every permission and an API token of its own;
- ``runserver`` on a free loopback port, polled until the API answers, stopped when the session ends.

A pretix that cannot be had (no Python, pip failing, a server that does not answer) skips the tests that need it
with the reason, or fails them under BOXOFFICE_CI=1 / BOXOFFICE_REQUIRE_PRETIX=1: on CI every bridge test must run.
The environment is read at import, before tests/conftest.py's isolation removes BOXOFFICE_* variables.

A pretix of one's own given by BOXOFFICE_PRETIX_URL needs the template events once, made with its Python and
configuration:

    .venv/bin/python -c 'import sys; sys.path[:0] = ["tests"]; import pretix_server as p; print(p.SETUP_ORGANIZER)' \
        > /tmp/setup_org.py
    PRETIX_CONFIG_FILE=<its pretix.cfg> DJANGO_SETTINGS_MODULE=<its settings> <its python> /tmp/setup_org.py venue
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    import httpx

PRETIX_VERSION = "2026.8.0"
ORGANIZER = "venue"
CHECKOUT = Path(__file__).resolve().parents[1]
DEFAULT_VENV = CHECKOUT / ".pretix-venv"

ENV_URL = os.environ.get("BOXOFFICE_PRETIX_URL", "").rstrip("/")
ENV_TOKEN_FILE = os.environ.get("BOXOFFICE_PRETIX_TOKEN_FILE", "")
ENV_ORGANIZER = os.environ.get("BOXOFFICE_PRETIX_ORGANIZER", "") or ORGANIZER
ENV_PYTHON = os.environ.get("BOXOFFICE_PRETIX_PYTHON", "")
REQUIRED = os.environ.get("BOXOFFICE_CI") == "1" or os.environ.get("BOXOFFICE_REQUIRE_PRETIX") == "1"

START_TIMEOUT = 120.0  # runserver answers in about 5 s; a slow CI machine gets far more
SETTINGS_MODULE = "boxoffice_pretix_settings"
SETTINGS = """\
from pretix.settings import *  # noqa: F403
DATABASES['default']['OPTIONS'] = dict(DATABASES['default'].get('OPTIONS') or {},  # noqa: F405
                                       transaction_mode='IMMEDIATE', timeout=30)
EMAIL_BACKEND = 'django.core.mail.backends.locmem.EmailBackend'
"""
# Run with pretix's Python inside a pretix's configuration: organizer, a team that may do anything, and the two
# template events tests/pretix_kit.py clones (pretix's REST API can neither enable a payment method, which an event
# needs before it may go live, nor choose the ticket secret generator; a clone copies both). With "token" as second
# argument it prints a new API token of that team.
SETUP_ORGANIZER = """\
import sys
import django
django.setup()
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Event, Organizer, Team
with scopes_disabled():
    org, _ = Organizer.objects.get_or_create(slug=sys.argv[1], defaults={"name": "Venue"})
    for slug, generator in (("boxoffice-template", "random"), ("boxoffice-template-sig1", "pretix_sig1")):
        event, _ = Event.objects.get_or_create(organizer=org, slug=slug, defaults={
            "name": "boxoffice tests template", "currency": "EUR", "date_from": now(), "is_public": False})
        event.settings.payment_manual__enabled = True
        event.settings.ticket_secret_generator = generator
    if sys.argv[2:] == ["token"]:
        team, _ = Team.objects.get_or_create(organizer=org, name="boxoffice tests")
        team.all_events = team.all_event_permissions = team.all_organizer_permissions = True
        team.save()
        print(team.tokens.create(name="boxoffice tests").token)
"""

# `pretix runserver`, ending itself when the test session's process is gone (a session killed without its
# teardown must not leave a server behind on the port).
RUNSERVER = """\
import os, sys, threading, time
def watch(parent):
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)
threading.Thread(target=watch, args=(int(sys.argv[1]),), daemon=True).start()
from django.core.management import execute_from_command_line
execute_from_command_line(["pretix", "runserver", sys.argv[2], "--noreload"])
"""


class PretixUnavailable(Exception):
    """Why no pretix could be had: the reason a test is skipped (or failed on CI) with."""


@dataclass(frozen=True)
class PretixServer:
    """A pretix the tests may use: its base URL, organizer and an API token with every permission."""

    url: str
    organizer: str
    token: str
    token_file: Path

    def api(self, path: str = "") -> str:
        """The full URL of an API path: relative to the organizer's root (``events/gala/orders/``), or to the
        server's root when it starts with a slash (``/api/v1/organizers/``)."""
        if path.startswith("/"):
            return f"{self.url}{path}"
        return f"{self.url}/api/v1/organizers/{self.organizer}/{path}"

    def client(self, timeout: float = 60.0) -> httpx.Client:
        """An httpx client with the token set and the organizer's API root as base URL (close it, or use ``with``)."""
        import httpx

        return httpx.Client(base_url=self.api(), headers={"Authorization": f"Token {self.token}"}, timeout=timeout)


def _unavailable(reason: str) -> NoReturn:
    if REQUIRED:
        pytest.fail(f"no pretix for the bridge tests: {reason} (BOXOFFICE_CI=1 or BOXOFFICE_REQUIRE_PRETIX=1 says "
                    "they must run)", pytrace=False)
    pytest.skip(f"no pretix for the bridge tests: {reason}")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock held on a file for the duration: one session at a time builds a venv or a database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(args: list[str], *, env: dict[str, str] | None = None, timeout: float, what: str) -> str:
    """Run a step of the set-up; its output (the tail) becomes the reason when it fails."""
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PretixUnavailable(f"{what} failed: {type(exc).__name__}: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip()[-2000:]
        raise PretixUnavailable(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def _installed_version(python: str) -> str | None:
    """pretix's version as that Python imports it, or None when it cannot import pretix."""
    try:
        done = subprocess.run([python, "-c", "import pretix; print(pretix.__version__)"], capture_output=True,
                              text=True, timeout=60, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def pretix_python() -> tuple[str, str]:
    """The Python that runs pretix and pretix's version; the checkout's .pretix-venv is made when missing."""
    if ENV_PYTHON:
        version = _installed_version(ENV_PYTHON)
        if version is None:
            raise PretixUnavailable(f"BOXOFFICE_PRETIX_PYTHON={ENV_PYTHON} cannot import pretix")
        return ENV_PYTHON, version
    python = str(DEFAULT_VENV / "bin" / "python")
    version = _installed_version(python)
    if version is not None:
        return python, version
    with _locked(CHECKOUT / ".pretix-venv.lock"):
        version = _installed_version(python)  # another session may have made it while this one waited
        if version is None:
            base = sys.executable  # a Python this project runs on is one pretix runs on (3.11+)
            if not Path(python).exists():
                _run([base, "-m", "venv", str(DEFAULT_VENV)], timeout=300, what=f"making {DEFAULT_VENV}")
            _run([python, "-m", "pip", "install", "-q", f"pretix=={PRETIX_VERSION}"], timeout=1200,
                 what=f"pip install pretix=={PRETIX_VERSION} into {DEFAULT_VENV}")
            version = _installed_version(python)
            if version is None:
                raise PretixUnavailable(f"pretix was installed into {DEFAULT_VENV} but does not import")
    return python, version


def _cache_dir(python: str) -> Path:
    """Where migrated databases are kept: in the checkout's .pretix-venv when that is pretix's Python (it goes
    when the venv goes), else a per-user folder under the system's temporary directory."""
    if Path(os.path.abspath(python)).is_relative_to(DEFAULT_VENV):  # not resolve(): bin/python is a symlink
        return DEFAULT_VENV / "boxoffice-cache"
    return Path(tempfile.gettempdir()) / f"boxoffice-pretix-cache-{os.getuid()}"


def _write_config(data: Path, url: str) -> dict[str, str]:
    """pretix.cfg and the settings module in ``data``; the environment that makes pretix use them."""
    (data / "data").mkdir(parents=True, exist_ok=True)
    (data / "pretix.cfg").write_text(
        f"[pretix]\ninstance_name=boxoffice tests\nurl={url}\ndatadir={data / 'data'}\ntrust_x_forwarded_for=off\n"
        f"[database]\nbackend=sqlite3\nname={data / 'data' / 'db.sqlite3'}\n"
        "[django]\ndebug=off\n"
    )
    (data / f"{SETTINGS_MODULE}.py").write_text(SETTINGS)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("BOXOFFICE_", "DJANGO_", "PRETIX_", "PYTHON"))}
    env.update(PRETIX_CONFIG_FILE=str(data / "pretix.cfg"), DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
               PYTHONPATH=str(data), PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def migrated_database(python: str, version: str) -> Path:
    """A migrated pretix database with the organizer and the template events, for this version of pretix and of
    this set-up: made once (``migrate``, about 80 s), then copied."""
    cache = _cache_dir(python)
    recipe = hashlib.sha256((SETTINGS + SETUP_ORGANIZER).encode()).hexdigest()[:10]  # a changed set-up: a new file
    target = cache / f"pretix-{version}-{ORGANIZER}-{recipe}.sqlite3"
    if target.exists():
        return target
    with _locked(cache / "migrate.lock"):
        if target.exists():
            return target
        with tempfile.TemporaryDirectory(prefix="pretix-migrate-") as tmp:
            env = _write_config(Path(tmp), "http://127.0.0.1")
            _run([python, "-m", "pretix", "migrate", "--noinput"], env=env, timeout=1200, what="pretix migrate")
            _run([python, "-c", SETUP_ORGANIZER, ORGANIZER], env=env, timeout=300,
                 what="making the organizer and the template events")
            partial = target.with_suffix(".partial")
            shutil.copyfile(Path(tmp) / "data" / "db.sqlite3", partial)
            os.replace(partial, target)  # whole or not at all: a crash mid-copy leaves no half database behind
    return target


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_token_file(path: Path, token: str) -> Path:
    """The token in a file only its owner may read, as the bridge's --token-file expects."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token + "\n")
    os.chmod(path, 0o600)
    return path


def _log_tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def wait_until_up(server: PretixServer, process: subprocess.Popen[bytes] | None, log: Path | None,
                  timeout: float = START_TIMEOUT) -> None:
    """Poll the organizer list with the token until it answers 200; a server that exits or stays silent is a
    failure that shows the end of its log."""
    import httpx

    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise PretixUnavailable(f"pretix runserver exited with {process.returncode}; the end of its log:\n"
                                    f"{_log_tail(log) if log else ''}")
        try:
            answer = httpx.get(server.api("/api/v1/organizers/"), timeout=10,
                               headers={"Authorization": f"Token {server.token}"})
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}: {answer.text[:200]}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.25)
    tail = f"; the end of its log:\n{_log_tail(log)}" if log else ""
    raise PretixUnavailable(f"pretix at {server.url} did not answer within {timeout:.0f} s ({last}){tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _spawn(python: str, env: dict[str, str], base: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([python, "-c", RUNSERVER, str(os.getpid()), f"127.0.0.1:{port}"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=base,
                                start_new_session=True)


@contextlib.contextmanager
def started_pretix(base: Path, attempts: int = 3) -> Iterator[PretixServer]:
    """A pretix of this session in ``base``: venv, cached database, token, runserver; stopped after. A port taken
    between choosing it and binding it is tried again with another."""
    python, version = pretix_python()
    database = migrated_database(python, version)
    log, token = base / "server.log", ""
    for attempt in range(1, attempts + 1):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = _write_config(base, url)
        if attempt == 1:
            shutil.copyfile(database, base / "data" / "db.sqlite3")
        process = _spawn(python, env, base, port, log)  # it loads while the token is made: two start-ups at once
        try:
            token = token or _run([python, "-c", SETUP_ORGANIZER, ORGANIZER, "token"], env=env, timeout=300,
                                  what="making the organizer's API token").strip().splitlines()[-1]
            server = PretixServer(url=url, organizer=ORGANIZER, token=token,
                                  token_file=write_token_file(base / "token", token))
            wait_until_up(server, process, log)
            break
        except PretixUnavailable:
            _stop(process)
            if attempt == attempts or "already in use" not in _log_tail(log):
                raise
    try:
        yield server
    finally:
        _stop(process)


def running_pretix(base: Path) -> PretixServer:
    """The pretix named by BOXOFFICE_PRETIX_URL / BOXOFFICE_PRETIX_TOKEN_FILE, checked to answer."""
    try:
        token = Path(ENV_TOKEN_FILE).read_text().strip()
    except OSError as exc:
        raise PretixUnavailable(f"BOXOFFICE_PRETIX_TOKEN_FILE={ENV_TOKEN_FILE} cannot be read: {exc}") from exc
    server = PretixServer(url=ENV_URL, organizer=ENV_ORGANIZER, token=token,
                          token_file=write_token_file(base / "token", token))
    wait_until_up(server, None, None, timeout=15)
    return server


@pytest.fixture(scope="session")
def pretix_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PretixServer]:
    """A real pretix on loopback for the whole session (see the module's docstring)."""
    base = tmp_path_factory.mktemp("pretix")
    with contextlib.ExitStack() as stack:
        reason = ""
        try:
            server = (running_pretix(base) if ENV_URL and ENV_TOKEN_FILE
                      else stack.enter_context(started_pretix(base)))
        except PretixUnavailable as exc:
            reason = str(exc)  # skipped or failed outside the handler: the report shows the reason, not a traceback
        if reason:
            _unavailable(reason)
        yield server
