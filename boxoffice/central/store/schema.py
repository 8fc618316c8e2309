"""The central schema: numbered migrations run by `boxoffice central init` / `migrate`, and refusing a database this
release does not understand.

Why migrations and not ``CREATE ... IF NOT EXISTS`` on first use: on PostgreSQL even a DDL statement that finds its
table there takes locks that a concurrent request's writes then wait on, so schema work on a request path turned
concurrent top-ups and web imports into deadlocks. The schema is now made and moved forward only here, once, by an
admin command; requests and admin commands only check the version (``check``).

Each migration is a file of portable SQL (the same text on PostgreSQL and SQLite), run in order in one transaction
that also records the new version in ``meta('schema_version')``; on PostgreSQL the transaction first takes an
advisory lock, so two `central init` runs at once wait for each other instead of both upgrading. Version 1 is the
first release's schema.sql; version 2 the allocation tables that release created on first use (``IF NOT EXISTS``,
as a database of that release may hold them already or not); later versions change what exists and keep its rows.
A migration is never edited once released: a change is a new numbered file added to ``MIGRATIONS``. A migration
that must rewrite rows in a way portable SQL cannot (JSON text) names a Python step in ``STEPS``, run right after
its file in the same transaction.

Some migrations need a step the store layer cannot take (version 6 signs the stored feed changes with the central
key, which needs cryptography the store layer does not hold). Such a step is passed in by the caller (``steps``,
from central/services/admin.py) and runs in the same transaction, after the SQL and the counters; a run without it
is refused when there is something for the step to do, so no database reaches that version half-migrated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from boxoffice.central.store import feed, feed_backlog
from boxoffice.central.store.db import CentralDB
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, "schema.sql"),
    (2, "allocations.sql"),
    (3, "schema_0003_roles_caps.sql"),
    (4, "schema_0004_checkpoints.sql"),
    (5, "schema_0005_enrollment.sql"),
    (6, "schema_0006_signed_feed.sql"),
    (7, "schema_0007_customer_data.sql"),
    (8, "schema_0008_venue_secret.sql"),
    (9, "schema_0009_real_name.sql"),
    (10, "schema_0010_complaints.sql"),
    (11, "schema_0011_privacy.sql"),
    (12, "schema_0012_customer_limits.sql"),
    (13, "schema_0013_pretix.sql"),
    (14, "schema_0014_pretix_sales.sql"),
    (15, "schema_0015_pretix_checkins.sql"),
    (16, "schema_0016_held_refunds.sql"),
    (17, "schema_0017_journal_quota.sql"),
    (18, "schema_0018_tickets_place.sql"),
    (19, "schema_0019_withdrawn_checkins.sql"),
)
STEPS: dict[int, Callable[[CentralDB], object]] = {7: feed.split_stored}
Step = Callable[[CentralDB, str], object]
# Migrations with a Python step from the caller, and the question whether it has anything to do (without its code).
NEEDS_STEP: dict[int, Callable[[CentralDB], bool]] = {
    6: lambda db: feed_backlog.count_of_kinds(db, ("catalog", "key", "terminal_revoked", "revocation")) > 0,
}
LATEST = MIGRATIONS[-1][0]
SCHEMA_VERSION = str(LATEST)
COUNTERS = ("feed", "web_order", "allocation")
LOCK_KEY = 7_201_512_003  # pg_advisory_xact_lock key of schema work (any constant of this project's own)
INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE when a role may not change the schema


def statements(name: str) -> list[str]:
    """The statements of one packaged SQL file, comments removed."""
    from importlib import resources

    text = resources.files("boxoffice.central.store").joinpath(name).read_text(encoding="utf-8")
    lines = [re.sub(r"--.*$", "", ln) for ln in text.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def version(db: CentralDB) -> int:
    """The schema version a database is at: 0 when it has no central schema at all."""
    if db.postgres:
        present = db.scalar("SELECT to_regclass('meta') IS NOT NULL AS present")
    else:
        present = db.scalar("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    if not present:
        return 0
    row = db.one("SELECT value FROM meta WHERE key = 'schema_version'")
    if row is None:
        return 0
    try:
        return int(row["value"])
    except ValueError:
        raise BoxOfficeError("database_error", _("{where} has an unreadable central schema version {value!r}").format(
            where=db.where, value=row["value"][:20])) from None


def migrate(db: CentralDB, now: str, upto: int = LATEST,
            steps: Mapping[int, Step] | None = None) -> dict[str, object]:
    """Bring the schema to version ``upto`` (tests stop early to make an older release's database).

    Returns the version found, the version now and the migrations run; ``created`` is True when there was no
    central schema before. Safe to repeat and to run from two machines at once.
    """
    with db.transaction():
        if db.postgres:
            db.execute("SELECT pg_advisory_xact_lock(?)", (LOCK_KEY,))
        found = version(db)
        if found > LATEST:
            raise BoxOfficeError("database_newer", _("{where} has central schema {found}; this release knows {latest}: "
                                                     "upgrade boxoffice").format(where=db.where, found=found,
                                                                                 latest=LATEST))
        ran = []
        for number, name in MIGRATIONS:
            if found < number <= upto:
                for statement in statements(name):
                    db.execute(statement)
                if number in STEPS:
                    STEPS[number](db)
                ran.append(number)
        now_at = max(found, min(upto, LATEST))
        if ran:
            db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE"
                       " SET value = excluded.value", (str(now_at),))
            db.execute("INSERT INTO meta (key, value) VALUES ('created_at', ?) ON CONFLICT (key) DO NOTHING",
                       (now,))
            counters = COUNTERS if now_at >= 2 else COUNTERS[:2]
            for name in counters:
                db.execute("INSERT INTO counters (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING", (name,))
        for number in ran:
            step = (steps or {}).get(number)
            if step is not None:
                step(db, now)
            elif number in NEEDS_STEP and NEEDS_STEP[number](db):
                raise BoxOfficeError("database_older", _("{where}: central schema {number} needs its own step; run "
                                                         "`boxoffice central migrate --db ...`").format(
                                                             where=db.where, number=number))
    return {"from": found, "to": now_at, "migrations": ran, "created": found == 0}


def create(db: CentralDB, now: str) -> bool:
    """Create or upgrade every table to this release's schema. Returns True when the database was new."""
    return bool(migrate(db, now)["created"])


def check(db: CentralDB) -> None:
    """Refuse a database that was never initialised, that an older release made and was not migrated, or that a
    newer release wrote."""
    try:
        row = db.one("SELECT value FROM meta WHERE key = 'schema_version'")
    except Exception:  # noqa: BLE001 - no meta table: any driver's "no such table"
        row = None
    if row is None:
        raise BoxOfficeError("not_initialised", _("{where} is not a central database: run `boxoffice central "
                                                  "init --db ...` first").format(where=db.where))
    if row["value"] == SCHEMA_VERSION:
        return
    if row["value"].isdigit() and int(row["value"]) < LATEST:
        raise BoxOfficeError("database_older", _("{where} has central schema {found}; this release needs {latest}: run "
                                                 "`boxoffice central migrate --db ...` once, then start the services "
                                                 "again").format(where=db.where, found=row["value"], latest=LATEST))
    raise BoxOfficeError("database_newer", _("{where} has central schema {found}; this release knows {latest}: "
                                             "upgrade boxoffice").format(where=db.where, found=row["value"],
                                                                         latest=SCHEMA_VERSION))
