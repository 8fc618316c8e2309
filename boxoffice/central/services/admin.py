"""The central box office's own use cases, run on the central database directly by `boxoffice central ...`.

Each function opens its own connection and closes it, like a request: nothing here is kept between calls. Those
that write where terminals write too (web imports, grants, recalls, caps) run through ``run``: retried whole when
PostgreSQL rolls them back as a deadlock or serialization failure, and a database failure is a ``database_error``
with one line, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from boxoffice.central.services import catalog, feed, free_text, signing, terminals, tokens, weborders
from boxoffice.central.store import catalogs as catalog_rows
from boxoffice.central.store import conflicts, meta, sales, schema
from boxoffice.central.store import terminals as terminal_rows
from boxoffice.central.store.db import CentralDB, connect, database_errors, first_line, retrying
from boxoffice.central.store.held import HELD
from boxoffice.domain.clock import iso, system_clock
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.wire.schemas import read_json_file

Clock = Callable[[], datetime]
MAX_ORDERS_BYTES = 500_000_000
T = TypeVar("T")
# The Python steps of central migrations (central/store/schema.py): 6 signs the feed changes stored unsigned.
MIGRATION_STEPS = {6: signing.sign_feed_backlog}


def open_db(url: str) -> CentralDB:
    """Open an initialised central database (refusing one that is not)."""
    db = connect(url)
    try:
        schema.check(db)
    except BaseException:
        db.close()
        raise
    return db


def run(url: str, work: Callable[[CentralDB], T]) -> T:
    """``work`` on an initialised central database, retried whole on a deadlock (central/db.py ``retrying``); any
    other database failure becomes ``database_error``."""
    try:
        return retrying(url, work, opener=open_db)
    except database_errors() as exc:
        raise BoxOfficeError("database_error", _("the central database failed: {error}: {detail}").format(
            error=type(exc).__name__, detail=first_line(exc)[:200])) from None


def init(url: str, clock: Clock = system_clock) -> dict[str, Any]:
    """Create the schema (or bring it up to this release's), the signing key, and an admin token shown this once.
    Safe to run again."""
    now = iso(clock())
    with connect(url) as db:
        moved = schema.migrate(db, now, steps=MIGRATION_STEPS)
        fresh = bool(moved["created"])
        with db.transaction():
            key, created = signing.ensure_key(db, now)
            if created:
                feed.append(db, [signing.key_change(key)], now)
            token = None
            if fresh or terminal_rows.live_admin_tokens(db) == 0:
                token = tokens.new_token(tokens.ADMIN_PREFIX)
                terminal_rows.add_admin_token(db, tokens.digest(token), now, tokens.shown_prefix(token), "init")
        return {"database": db.where, "created": fresh, "key_id": key["key_id"], "admin_token": token,
                "schema_version": moved["to"], "migrations": moved["migrations"]}


def migrate(url: str, clock: Clock = system_clock) -> dict[str, Any]:
    """Bring an existing central database's schema up to this release's, keeping every row (central/schema.py).
    Run once after installing a new release, before starting its services; safe to repeat."""
    with connect(url) as db:
        if schema.version(db) == 0:
            raise BoxOfficeError("not_initialised", _("{where} is not a central database: run `boxoffice central "
                                                      "init --db ...` to make one").format(where=db.where))
        moved = schema.migrate(db, iso(clock()), steps=MIGRATION_STEPS)
        return {"database": db.where, "from": moved["from"], "schema_version": moved["to"],
                "migrations": moved["migrations"]}


def upgrade_for_serving(url: str, clock: Clock = system_clock) -> dict[str, Any]:
    """Make a database ready for `central serve`: migrate it when an older release left it behind, so an upgrade
    is installing the release and starting the service. Returns ``from`` and ``to`` (equal when nothing ran).

    Refused, with what to do, when it is not a central database, when a newer release wrote it, or when the
    service's database role may not change the schema (a role granted rows only): then the schema's owner runs
    `boxoffice central migrate` once."""
    with connect(url) as db:
        found = schema.version(db)
        if found == 0:
            raise BoxOfficeError("not_initialised", _("{where} is not a central database: run `boxoffice central "
                                                      "init --db ...` first").format(where=db.where))
        if found >= schema.LATEST:
            schema.check(db)  # the newer release's database is refused here
            return {"database": db.where, "from": found, "to": found}
        try:
            moved = schema.migrate(db, iso(clock()), steps=MIGRATION_STEPS)
        except database_errors() as exc:
            if getattr(exc, "sqlstate", None) != schema.INSUFFICIENT_PRIVILEGE:
                raise
            raise BoxOfficeError("database_older", _("{where} has central schema {found}; this release needs "
                                                     "{latest} and this database user may not change the schema: "
                                                     "run `boxoffice central migrate --db ...` once as the schema's "
                                                     "owner, then start the service again").format(
                                                         where=db.where, found=found, latest=schema.LATEST)) from None
        return {"database": db.where, "from": moved["from"], "to": moved["to"]}


def new_admin_token(url: str, clock: Clock = system_clock, name: str | None = None) -> str:
    """Another admin token (for the HTTP admin endpoints), shown once (`central admin-token new`: admin_tokens.py)."""
    token = tokens.new_token(tokens.ADMIN_PREFIX)
    with open_db(url) as db:
        terminal_rows.add_admin_token(db, tokens.digest(token), iso(clock()), tokens.shown_prefix(token), name)
    return token


def publish_catalog(url: str, path: str | Path, clock: Clock = system_clock) -> dict[str, Any]:
    from boxoffice.domain.catalog import MAX_CATALOG_BYTES

    doc = read_json_file(path, MAX_CATALOG_BYTES, N_("catalogue"))
    now = iso(clock())
    return run(url, lambda db: catalog.publish(db, doc, now))


def import_orders(url: str, path: str | Path, clock: Clock = system_clock) -> dict[str, Any]:
    """Import a web orders file; run side by side with itself and with terminals' top-ups, each order gets in once
    (by its ref) and a collision with another writer is tried again, not shown."""
    doc = read_json_file(path, MAX_ORDERS_BYTES, N_("web orders document"))
    now = iso(clock())
    return run(url, lambda db: weborders.import_orders(db, doc, now))


def enroll_code(url: str, name: str, hours: float = terminals.CODE_HOURS, clock: Clock = system_clock,
                roles: str = terminals.DEFAULT_ROLES, readmit: bool = False) -> dict[str, Any]:
    """A one-time code enrolling the terminal named ``name`` for ``roles`` (comma-separated: sell, pickup, door);
    with ``readmit``, one that may also bring back that terminal after a revocation."""
    name = name.strip()
    if not name or len(name) > 80:
        raise BoxOfficeError("bad_input", _("a terminal name is 1 to 80 characters"))
    free_text.refuse_in_text(name, N_("terminal name"))
    if not 0 < hours <= 24 * 30:
        raise BoxOfficeError("bad_input", _("a code lasts between a moment and 30 days (--hours)"))
    roles = terminals.parse_roles(roles)
    now = clock()
    expires = iso(now + timedelta(hours=hours))
    with open_db(url) as db:
        code = terminals.create_code(db, name, iso(now), expires, roles, readmit)
    return {"code": code, "name": name, "expires_at": expires, "roles": roles.split(","), "readmit": readmit}


def list_terminals(url: str) -> list[dict[str, Any]]:
    with open_db(url) as db:
        return terminals.listing(db)


def revoke_terminal(url: str, which: str, clock: Clock = system_clock) -> dict[str, Any]:
    with open_db(url) as db:
        term = terminals.find(db, which)
        if term is None:
            raise BoxOfficeError("not_found", _("no terminal {which!r}: `boxoffice central terminals` lists "
                                                "them").format(which=which))
        done = terminals.revoke(db, term, iso(clock()))
    return {"terminal_id": term["id"], "name": term["name"], "revoked": done,
            "already_revoked": not done, "tickets_stay_valid": True}


def revoke_ticket(url: str, ticket_id: str, reason: str, clock: Clock = system_clock) -> dict[str, Any]:
    """Put one ticket on every terminal's revocation list (a ticket of a revoked terminal, a stolen ticket...)."""
    from boxoffice.domain.ids import is_uuid

    if not is_uuid(ticket_id):
        raise BoxOfficeError("bad_input", _("a ticket id is a UUID (as `boxoffice order show` lists), not "
                                            "{ticket_id!r}").format(ticket_id=ticket_id))
    reason = reason.strip() or "revoked by the box office"
    if len(reason) > 200 or any(ord(c) < 32 for c in reason):
        raise BoxOfficeError("bad_input", _("a reason is up to 200 printable characters"))
    free_text.refuse_in_text(reason, N_("revocation reason"))
    now = iso(clock())
    with open_db(url) as db, db.transaction():
        known = sales.ticket_known(db, ticket_id)
        new = sales.revoke_by_hand(db, ticket_id, now, reason)
        if new:
            feed.append(db, [feed.Change("revocation", {"ticket_id": ticket_id, "at": now, "reason": reason,
                                                        "terminal_id": None})], now)
    return {"ticket_id": ticket_id, "revoked": bool(new), "known_ticket": known}


def list_conflicts(url: str, limit: int = 1000) -> list[dict[str, Any]]:
    """The newest conflicts, each with the two terminals' names and the order's code beside their ids; and every
    held refund not released yet, however many newer flags the limit leaves out (a stolen terminal can push a
    thousand of those to hide one)."""
    with open_db(url) as db:
        rows = conflicts.newest_named(db, limit)
        shown = {r["id"] for r in rows}
        return rows + [r for r in conflicts.held_named(db) if r["id"] not in shown]


def unreleased_held(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The held refunds among :func:`list_conflicts`' rows that the admin has not released yet."""
    return [r for r in rows if r["kind"] == HELD and not r["released_at"]]


def venue_timezone(url: str) -> str:
    """The venue's time zone, from the newest published catalogue (UTC before one is published): every time the
    central commands show people is in it."""
    import json

    with open_db(url) as db:
        doc = catalog_rows.newest_document(db)
    venue = json.loads(doc).get("venue", {}) if doc else {}
    return str(venue.get("timezone") or "UTC")


def status(url: str) -> dict[str, Any]:
    """Counts for a quick look: terminals, entries, orders, changes, conflicts."""
    with open_db(url) as db:
        count = meta.row_counts(db)
        return {"database": db.where, **count, "feed_head": feed.head(db)}

