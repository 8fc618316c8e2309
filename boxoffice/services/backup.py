"""Backups: an online copy while sales go on, verified (integrity and the journal's chain), the last N kept.

A restore refuses any copy that does not verify, so a damaged backup can never replace a working database.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from boxoffice.domain.chain import find_breaks
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.store import backup as store
from boxoffice.store.db import write

PREFIX = "boxoffice-backup-"


def verify_copy(path: Path) -> dict[str, Any]:
    """Check a backup file: SQLite's integrity check and an unbroken journal chain."""
    if not path.is_file():
        raise BoxOfficeError("not_found", f"backup {path} does not exist")
    result, journal = store.integrity(path)
    breaks = find_breaks(journal) if result == "ok" else []
    return {"file": str(path), "integrity": result, "entries": len(journal), "chain_breaks": breaks,
            "ok": result == "ok" and not breaks and bool(journal)}


def backup(ctx: Ctx, to: Path, keep: int = 10) -> dict[str, Any]:
    """Copy the live database into ``to`` (a folder), verify the copy, and delete all but the newest ``keep``."""
    if keep < 1:
        raise BoxOfficeError("bad_input", "--keep must be 1 or more")
    try:
        to.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, a disk not mounted: say so, not a traceback
        raise BoxOfficeError("bad_input", f"cannot keep backups in {to}: {exc.strerror or exc}") from None
    stamp = ctx.now().strftime("%Y%m%dT%H%M%S%fZ")
    mine = f"{PREFIX}{ctx.terminal['name'].replace(' ', '_').replace('/', '_')}-"
    target = to / f"{mine}{stamp}.db"
    partial = target.with_suffix(".partial")
    try:
        store.online_copy(ctx.conn, partial)
    except OSError as exc:  # the second disk full, unplugged or read-only mid-copy: nothing half-written is kept
        partial.unlink(missing_ok=True)
        raise BoxOfficeError("database_error", f"the backup to {to} failed ({exc}); nothing was kept") from None
    report = verify_copy(partial)
    if not report["ok"]:
        partial.unlink(missing_ok=True)
        raise BoxOfficeError("database_error", f"the backup did not verify ({report['integrity']}; "
                                               f"{len(report['chain_breaks'])} chain break(s)); nothing was kept")
    partial.rename(target)
    report["file"] = str(target)
    # Only this terminal's copies: several terminals may back up to one shared disk, and keeping our last N must
    # never delete another terminal's.
    copies = sorted(to.glob(f"{mine}{'[0-9]' * 8}T{'[0-9]' * 12}Z.db"), key=lambda p: p.name)
    removed = [str(p) for p in copies[:-keep]]
    for p in copies[:-keep]:
        p.unlink()
    report["removed"] = removed
    return report


def periodic(ctx: Ctx, to: Path, every_minutes: float, keep: int = 10) -> dict[str, Any] | None:
    """A backup when the last one this process took is ``every_minutes`` old or more (or there is none yet), for a
    long-running process such as `boxoffice sync --watch` keeping copies on a second disk; None when not due."""
    if every_minutes <= 0:
        raise BoxOfficeError("bad_input", "--backup-every is a number of minutes above 0")
    now = ctx.now()
    last = ctx.cache.get("last_backup_at")
    if last is not None and now - last < timedelta(minutes=every_minutes):
        return None
    ctx.cache["last_backup_at"] = now  # a failed attempt waits its turn too, rather than retrying every round
    return backup(ctx, to, keep)


def check_restore(ctx: Ctx, source: Path) -> dict[str, Any]:
    """Everything a restore would refuse, refused before anyone is asked to confirm: an admin, a copy that
    verifies, this terminal's own database. Returns the copy's verification report."""
    ctx.require("operators")
    report = verify_copy(source)
    if not report["ok"]:
        raise BoxOfficeError("database_error", f"{source} did not verify ({report['integrity']}; "
                                               f"{len(report['chain_breaks'])} chain break(s)): not restored")
    owner = store.terminal_id(source)
    if owner != ctx.terminal["id"]:
        raise BoxOfficeError("conflict", f"{source} is another terminal's database ({owner}); restoring it here would "
                                         "give this machine that terminal's identity: not restored")
    return report


def restore(ctx: Ctx, source: Path) -> dict[str, Any]:
    """Replace this terminal's database with a verified backup; needs an admin."""
    report = check_restore(ctx, source)
    op = ctx.operator
    store.restore_into(source, ctx.conn)
    with write(ctx.conn):
        ctx.journal("restore", {"file": str(source), "entries": report["entries"]},
                    operator_id=op["id"] if op else None)
    return report
