"""Creating the central schema, and refusing a database this release does not understand."""

from __future__ import annotations

import re

from boxoffice.central.db import CentralDB
from boxoffice.errors import BoxOfficeError

SCHEMA_VERSION = "1"
COUNTERS = ("feed", "web_order")


def _statements() -> list[str]:
    from importlib import resources

    text = resources.files("boxoffice.central").joinpath("schema.sql").read_text(encoding="utf-8")
    lines = [re.sub(r"--.*$", "", ln) for ln in text.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def create(db: CentralDB, now: str) -> bool:
    """Create every table (idempotent). Returns True when the database was new."""
    with db.transaction():
        for statement in _statements():
            db.execute(statement)
        fresh = db.one("SELECT value FROM meta WHERE key = 'schema_version'") is None
        db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING",
                   (SCHEMA_VERSION,))
        db.execute("INSERT INTO meta (key, value) VALUES ('created_at', ?) ON CONFLICT (key) DO NOTHING", (now,))
        for name in COUNTERS:
            db.execute("INSERT INTO counters (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING", (name,))
    return fresh


def check(db: CentralDB) -> None:
    """Refuse to serve a database that was never initialised, or that a newer release wrote."""
    try:
        row = db.one("SELECT value FROM meta WHERE key = 'schema_version'")
    except Exception:  # noqa: BLE001 - no meta table: any driver's "no such table"
        row = None
    if row is None:
        raise BoxOfficeError("not_initialised", f"{db.where} is not a central database: run "
                                                "`boxoffice central init --db ...` first")
    if row["value"] != SCHEMA_VERSION:
        raise BoxOfficeError("database_newer", f"{db.where} has central schema {row['value']}; this release "
                                               f"knows {SCHEMA_VERSION}: upgrade boxoffice")
