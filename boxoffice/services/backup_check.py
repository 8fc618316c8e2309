"""Checking a backup before anyone trusts it: SQLite's integrity, the journal's chain, nothing put in by hand (a
trigger, a view), a schema this release knows, this terminal's own identity, and tables that match the journal.

The last is what `boxoffice audit verify` holds the records against (services/audit.py, audit_missing.py,
audit_reconcile.py): a copy whose chain is intact but whose tables were edited (a seller made admin, takings lowered)
would otherwise be put in place and fail the audit from then on. The copy is read as it will be once in place (at
this release's schema, in memory): nothing is written to the backup file, nor beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from boxoffice.config import Config
from boxoffice.domain.chain import find_breaks
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import backup as store


class CopyReport(TypedDict):
    """A backup file checked: SQLite's integrity check, the journal's length and any break in its chain."""

    file: str
    integrity: str
    entries: int
    chain_breaks: list[dict[str, Any]]
    schema_extras: list[str]
    ok: bool


def verify_copy(path: Path) -> dict[str, Any]:
    """Check a backup file: SQLite's integrity check, an unbroken journal chain, and no trigger or view (the
    migrations make none, so one was put there by hand, to run on every sale once the copy is in place)."""
    if not path.is_file():
        raise BoxOfficeError("not_found", _("backup {path} does not exist").format(path=path))
    result, journal = store.integrity(path)
    breaks = find_breaks(journal) if result == "ok" else []
    extras = store.schema_extras(path) if result == "ok" else []
    return {"file": str(path), "integrity": result, "entries": len(journal), "chain_breaks": breaks,
            "schema_extras": extras, "ok": result == "ok" and not breaks and bool(journal) and not extras}


def verified(config: Config, source: Path, terminal_id: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Everything a restore checks in the copy alone, refused in one line: the copy's verification report and what
    it holds (store.backup.describe). ``terminal_id``: the terminal it must be, None on a replacement machine."""
    report = verify_copy(source)
    if report["schema_extras"]:
        raise BoxOfficeError("database_error", _("{file} holds {what}, which boxoffice never makes (a copy changed "
                                                 "by hand?): not restored").format(
            file=source, what=", ".join(report["schema_extras"][:5])))
    if not report["ok"]:
        raise BoxOfficeError("database_error", _("{file} did not verify ({integrity}; {breaks} chain break(s)): "
                                                 "not restored").format(file=source, integrity=report["integrity"],
                                                                        breaks=len(report["chain_breaks"])))
    from boxoffice.store.migrations import KNOWN

    newer = [name for name in store.migrations_in(source) if name not in KNOWN]
    if newer:
        raise BoxOfficeError("database_newer", _("{file} was written by a newer boxoffice (it has migration "
                                                 "{name}): upgrade boxoffice first; not restored").format(
            file=source, name=newer[-1]))
    copy = store.describe(source)
    if terminal_id is not None and copy["terminal_id"] != terminal_id:
        raise BoxOfficeError("conflict", _("{file} is another terminal's database ({terminal}); restoring it here "
                                           "would give this machine that terminal's identity: not restored").format(
            file=source, terminal=copy["terminal_id"]))
    problems = records_problems(config, source)
    if problems:
        raise BoxOfficeError("database_error", _("{file} does not match its own journal ({count} problem(s), e.g. "
                                                 "{example}): it was changed after it was made; not restored "
                                                 "(--json lists every problem)").format(
            file=source, count=len(problems), example=problems[0]["problem"]), problems=problems)
    return report, copy


def records_problems(config: Config, source: Path) -> list[dict[str, Any]]:
    """The records of a copy that `boxoffice audit verify` would find at odds with its journal once the copy is in
    place (each as {seq, id, kind, problem}): money rows against their journal copies, money rows the journal
    wrote and that are gone, tickets, revocations, pickups and operators, ticket prices against the takings."""
    from boxoffice.services import audit, audit_missing, audit_reconcile
    from boxoffice.store import journal as journal_store
    from boxoffice.store import refunds as refund_store
    from boxoffice.store import terminal as terminal_store

    conn = store.prepared_in_memory(source)
    try:
        term = terminal_store.get(conn)
        if term is None:  # no terminal row: nothing to hold the records to, and describe() has said whose it is
            return []
        entries = list(journal_store.iter_entries(conn))
        # The fields audit verify compares between a money row and its journal copy: services/audit.py keeps them.
        money = refund_store.money_records(conn, audit._COMPARED)
        return (audit.reconcile(entries, money) + audit_missing.check(conn, entries)
                + audit_reconcile.check(conn, entries)
                + audit.priced_as_paid(Ctx(config=config, conn=conn, terminal=term)))
    finally:
        conn.close()
