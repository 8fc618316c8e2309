"""Schema migrations (sqlite-utils' Migrations): a database from any earlier release moves forward in place.

Migration names are append-only. A database that has applied a migration this release does not know was written by
a newer release: it is refused before anything touches it.
"""

from __future__ import annotations

import re
import sqlite3

from boxoffice.errors import BoxOfficeError

MIGRATION_SET = "boxoffice"
TABLE = "_sqlite_migrations"


def _sql(name: str) -> str:
    from importlib import resources

    return resources.files("boxoffice.store").joinpath(name).read_text(encoding="utf-8")


def _m001_initial(db) -> None:  # noqa: ANN001 - a sqlite_utils.Database
    for statement in _split(_sql("schema_v1.sql")):
        db.execute(statement)



def _m002_order_search(db) -> None:  # noqa: ANN001
    """Full-text search over orders for the pickup desk (names, e-mail), and the phone's last digits."""
    db.execute("ALTER TABLE orders ADD COLUMN phone_digits TEXT")
    db.execute("CREATE INDEX orders_phone ON orders(phone_digits)")
    db.execute("CREATE INDEX orders_email ON orders(email COLLATE NOCASE)")


def _script(name: str):  # noqa: ANN202
    """A migration that runs one .sql file of this package, statement by statement."""

    def run(db) -> None:  # noqa: ANN001
        for statement in _split(_sql(name)):
            db.execute(statement)

    run.__name__ = name
    return run


def _m025_pinyin_search(db) -> None:  # noqa: ANN001
    """The pickup index written again from the orders, now with pinyin forms of Chinese names."""
    from boxoffice.store.pickup import reindex_all

    for statement in _split(_sql("schema_0025_pinyin_search.sql")):
        db.execute(statement)
    reindex_all(db.conn)


MIGRATIONS = [
    ("0001_initial", _m001_initial),
    ("0002_order_search", _m002_order_search),
    ("0003_pickup_door", _script("schema_0003_pickup_door.sql")),
    ("0004_refunds_shifts", _script("schema_0004_refunds_shifts.sql")),
    ("0005_sync", _script("schema_0005_sync.sql")),
    ("0006_night", _script("schema_0006_night.sql")),
    ("0007_allocations", _script("schema_0007_allocations.sql")),
    ("0008_allocation_stops", _script("schema_0008_allocation_stops.sql")),
    ("0009_recovery", _script("schema_0009_recovery.sql")),
    ("0010_operator_security", _script("schema_0010_operator_security.sql")),
    ("0011_policy", _script("schema_0011_policy.sql")),
    ("0012_checkpoints", _script("schema_0012_checkpoints.sql")),
    ("0013_central_pin", _script("schema_0013_central_pin.sql")),
    ("0014_key_revocations", _script("schema_0014_key_revocations.sql")),
    ("0015_venue_secret", _script("schema_0015_venue_secret.sql")),
    ("0016_real_name", _script("schema_0016_real_name.sql")),
    ("0017_complaints", _script("schema_0017_complaints.sql")),
    ("0018_privacy", _script("schema_0018_privacy.sql")),
    ("0019_customer_limits", _script("schema_0019_customer_limits.sql")),
    ("0020_demand_fee", _script("schema_0020_demand_fee.sql")),
    ("0021_central_purges", _script("schema_0021_central_purges.sql")),
    ("0022_seat_holds", _script("schema_0022_seat_holds.sql")),
    ("0024_blind_close", _script("schema_0024_blind_close.sql")),
    ("0025_pinyin_search", _m025_pinyin_search),
    ("0026_operator_language", _script("schema_0026_operator_language.sql")),
    ("0027_pretix", _script("schema_0027_pretix.sql")),
    ("0028_shop_ref", _script("schema_0028_shop_ref.sql")),
]
KNOWN = [name for name, _ in MIGRATIONS]


def _split(script: str) -> list[str]:
    """Split a schema script into statements (it has no '--' or ';' inside strings, and no triggers)."""
    lines = [re.sub(r"--.*$", "", ln) for ln in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def applied(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations this database has applied, in order."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (TABLE,)).fetchone()
    if not exists:
        return []
    return [r[0] for r in conn.execute(f"SELECT name FROM {TABLE} WHERE migration_set=? ORDER BY id", (MIGRATION_SET,))]


def ensure_current(conn: sqlite3.Connection, upto: str | None = None) -> list[str]:
    """Refuse a newer database, apply pending migrations (up to and including ``upto``); return what ran."""
    done = applied(conn)
    unknown = [n for n in done if n not in KNOWN]
    if unknown:
        raise BoxOfficeError(
            "database_newer",
            f"this database was written by a newer boxoffice (it has migration {unknown[-1]}): "
            "upgrade boxoffice; the database was not changed",
        )
    wanted = KNOWN if upto is None else KNOWN[: KNOWN.index(upto) + 1]
    if all(n in done for n in wanted):
        return []
    import sqlite_utils

    migrations = sqlite_utils.Migrations(MIGRATION_SET)
    for name, fn in MIGRATIONS:
        migrations(name=name)(fn)
    db = sqlite_utils.Database(conn)
    ran: list[str] = []
    conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then find nothing pending
    try:
        pending = [m.name for m in migrations.pending(db)]
        stop = None
        if upto is not None and KNOWN.index(upto) + 1 < len(KNOWN):
            stop = KNOWN[KNOWN.index(upto) + 1]
        migrations.apply(db, stop_before=stop)
        ran = [n for n in pending if n in wanted]
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return ran
