"""Backups: an online copy while sales go on, verified (integrity and the journal's chain), the last N kept.

A restore refuses any copy that does not verify (services/backup_check.py: its integrity and chain, and its tables
against its journal), so a damaged or edited backup can never replace a working database. A copy older than the
terminal, or one whose history the live database left, is compared with how far the terminal got before anything
is overwritten (the live database, else the marks file beside it, and the central service): what would be lost for
good is refused unless the loss is accepted, and the terminal then recovers the rest from the central service
(services/recovery_state.py, services/sync/recovery.py; the decision itself: services/restore_decision.py).

A restore never trusts the copy as it is: it is copied beside the live database and brought to this release's schema
there first, and the live database is kept beside itself (``<db>.before-restore-<time>``) before it is overwritten.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, NotRequired, cast

from boxoffice.config import Config
from boxoffice.domain.clock import Clock, system_clock
from boxoffice.domain.recovery import describe
from boxoffice.errors import BoxOfficeError
from boxoffice.filemodes import private_dir
from boxoffice.i18n import _
from boxoffice.services.backup_check import CopyReport, verified, verify_copy
from boxoffice.services.context import Ctx
from boxoffice.services.restore_decision import CentralFactory, decide, live_state
from boxoffice.store import backup as store
from boxoffice.store import marks as marks_store
from boxoffice.store import terminal as terminal_store
from boxoffice.store.db import write

PREFIX = "boxoffice-backup-"


class BackupResult(CopyReport):
    """A backup taken (:func:`backup`, :func:`periodic`): the copy kept and the older ones removed."""

    removed: list[str]


class RestoreCheck(CopyReport):
    """What a restore would do (:func:`check_restore`): the copy, and whether it is behind the terminal."""

    older: bool


class Restored(RestoreCheck):
    """A restore done (:func:`restore`, :func:`restore_new`): the copy's last entry, what was made since it, what
    may be lost, the recovery state the terminal is left in, and the incident an accepted loss opened. A restore
    from an older copy also says where the numbers go on (``restore_seq``, ``next_order_seq``, ``marks_seq``);
    ``key_missing`` names a signing key that was not beside the restored database."""

    backup_seq: int
    since_backup: dict[str, int] | None
    lost: dict[str, int] | None
    offline: bool
    state: str | None
    message: str | None
    incident: str | None
    restore_seq: NotRequired[int]
    next_order_seq: NotRequired[int]
    marks_seq: NotRequired[int]
    since_text: NotRequired[str]
    key_missing: NotRequired[str]
    kept_live: NotRequired[str]
    head_unknown: NotRequired[bool]


def _file_part(name: str) -> str:
    """A terminal's name as part of a file name and of the pattern that finds its copies: letters (any script),
    digits, ``_`` and ``-`` kept, anything else (spaces, ``/``, ``#``, ``*``, control characters) made ``_``."""
    return re.sub(r"[^\w-]", "_", name)


def backup(ctx: Ctx, to: Path, keep: int = 10) -> BackupResult:
    """Copy the live database into ``to`` (a folder), verify the copy, and delete all but the newest ``keep``."""
    if keep < 1:
        raise BoxOfficeError("bad_input", _("--keep must be 1 or more"))
    try:
        private_dir(to)
    except OSError as exc:  # a file in the way, a disk not mounted: say so, not a traceback
        raise BoxOfficeError("bad_input", _("cannot keep backups in {folder}: {problem}").format(
            folder=to, problem=exc.strerror or exc)) from None
    stamp = ctx.now().strftime("%Y%m%dT%H%M%S%fZ")
    mine = f"{PREFIX}{_file_part(ctx.terminal['name'])}-"
    target = to / f"{mine}{stamp}.db"
    partial = target.with_suffix(".partial")
    try:
        store.online_copy(ctx.conn, partial)
    except OSError as exc:  # the second disk full, unplugged or read-only mid-copy: nothing half-written is kept
        partial.unlink(missing_ok=True)
        raise BoxOfficeError("database_error", _("the backup to {folder} failed ({problem}); nothing was "
                                                 "kept").format(folder=to, problem=exc)) from None
    report = verify_copy(partial)
    if not report["ok"]:
        partial.unlink(missing_ok=True)
        if report["schema_extras"]:
            raise BoxOfficeError("database_error", _("the database holds {what}, which boxoffice never makes: no "
                                                     "backup was kept (run `boxoffice audit verify`, and ask for "
                                                     "help)").format(what=", ".join(report["schema_extras"][:5])))
        raise BoxOfficeError("database_error", _("the backup did not verify ({integrity}; {breaks} chain "
                                                 "break(s)); nothing was kept").format(
            integrity=report["integrity"], breaks=len(report["chain_breaks"])))
    partial.rename(target)
    report["file"] = str(target)
    report["removed"] = [str(p) for p in _prune(ctx, to, mine, target, keep)]
    return cast(BackupResult, report)


def _prune(ctx: Ctx, to: Path, mine: str, made: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` of this terminal's copies in ``to`` (``made``, the copy just made, always
    stays); return those deleted.

    Only this terminal's copies: several terminals may back up to one shared disk, and keeping our last N must never
    delete another terminal's. A file name says only the terminal's name, which two terminals may share ("Counter 1"
    and "Counter.1" are both Counter_1), so a copy is ours only if the terminal it holds is this one; anything that
    cannot be read (a folder named like a copy, a file without read permission) is left alone. Newest is by what a
    copy holds (its journal's last entry), the time in its name only breaking ties: after a clock that ran fast was
    put right, the stale copies carry later times in their names than the recent ones. A copy that cannot be
    deleted (a read-only disk, a file locked by another system) is left, and the backup still counts as made."""
    ours: list[tuple[int, str, Path]] = []
    for p in to.glob(f"{glob.escape(mine)}{'[0-9]' * 8}T{'[0-9]' * 12}Z.db"):
        if p == made or store.terminal_id(p) != ctx.terminal["id"]:
            continue
        seq = store.last_seq(p)
        if seq is not None:
            ours.append((seq, p.name, p))
    ours.sort()
    removed = []
    for _seq, _name, p in ours[:max(0, len(ours) - (keep - 1))]:
        try:
            p.unlink()
        except OSError:
            continue
        removed.append(p)
    return removed


def periodic(ctx: Ctx, to: Path, every_minutes: float, keep: int = 10) -> BackupResult | None:
    """A backup when the last one this process took is ``every_minutes`` old or more (or there is none yet), for a
    long-running process such as `boxoffice sync --watch` keeping copies on a second disk; None when not due."""
    if every_minutes <= 0:
        raise BoxOfficeError("bad_input", _("--backup-every is a number of minutes above 0"))
    now = ctx.now()
    last = ctx.cache.get("last_backup_at")
    if last is not None and now - last < timedelta(minutes=every_minutes):
        return None
    ctx.cache["last_backup_at"] = now  # a failed attempt waits its turn too, rather than retrying every round
    return backup(ctx, to, keep)


def _finish(ctx: Ctx, source: Path, report: dict[str, Any], copy: dict[str, Any], decision: dict[str, Any],
            accept_loss: bool, operator_id: str | None) -> dict[str, Any]:
    """After the copy is in place: the restore entry (and the recovery it starts), the incident of an accepted
    loss, and what to tell the person."""
    from boxoffice.services.recovery_state import begin

    report.update({"older": decision["older"], "backup_seq": copy["seq"], "since_backup": decision["since_backup"],
                   "lost": decision["lost"], "offline": decision["offline"], "state": None, "message": None,
                   "incident": None})
    if not decision["older"]:
        kept = decision["kept"] if accept_loss else None  # the live database's history parted from the copy's
        payload: dict[str, Any] = {"file": str(source), "entries": report["entries"], "backup_seq": copy["seq"]}
        with write(ctx.conn):
            if kept:
                from boxoffice.store.recovery import keep_sold

                keep_sold(ctx.conn, kept["places"])  # whoever holds one of their tickets keeps the place
                payload.update(accept_loss=True, parted_after=decision["parted_after"],
                               lost={"kinds": kept["kinds"], "places": kept["places"]})
            ctx.journal("restore", payload, operator_id=operator_id)
        if kept:
            from boxoffice.services.incidents import record

            report["incident"] = record(
                ctx, f"restored {source.name} accepting loss", "major",
                f"restored with --accept-loss a backup whose history parts from the live database's after entry "
                f"{decision['parted_after']} (the live database went on from an older state, such as a copy put "
                f"back by hand): {describe(kept['kinds'])} made on the live database after that is not in the "
                f"backup and is lost; the database as it was is kept beside it (before-restore)",
                operator_id=operator_id)["id"]
            report["message"] = _("restored accepting the loss: what the live database did after its history parted "
                                  "from this backup's is gone; the database as it was is kept beside it")
        return report
    since = decision["since_backup"] or {}
    row = begin(ctx, source="restore", backup_seq=copy["seq"], known=decision["known"], accept_loss=accept_loss,
                missing=since or None, detail={"file": str(source), "entries": report["entries"]},
                operator_id=operator_id, kept=decision["kept"] if accept_loss else None,
                recoverable=decision["enrolled"])
    report.update({"state": row["state"], "message": row["message"], "restore_seq": row["restore_seq"],
                   "next_order_seq": row["next_order_seq"], "marks_seq": row["marks_seq"]})
    report["since_text"] = (_("{what} since this backup").format(what=describe(since)) if since else
                            _("{count} journal entries since this backup").format(
                                count=row["marks_seq"] - copy["seq"]))
    if unknown := bool(decision.get("head_unknown")):
        report["head_unknown"] = True
        report["since_text"] = _("what was done after this backup is not known here")
    if accept_loss and (decision["lost"] or decision["offline"] or unknown):
        from boxoffice.services.incidents import record

        what = describe(decision["lost"] or {}) if decision["lost"] else "anything"
        text = (f"restored a backup (its last entry {copy['seq']}) with --accept-loss where there was no database, "
                f"no marks file and the backup is not enrolled with a central service: nothing could say how far the "
                f"terminal got; what it did after the backup is not here, and order numbers go on from "
                f"{row['next_order_seq']}. If it enrolled with a central service since, enroll it again and run "
                f"`boxoffice sync recover` to bring back what that holds"
                if unknown and not decision["enrolled"] else
                f"restored from an older backup (its last entry {copy['seq']}, the terminal had reached "
                f"{row['marks_seq']}) with --accept-loss: {what} made since "
                + ("may not have reached the central service (it could not be asked)" if decision["offline"]
                   else "never reached the central service and is lost")
                + "; run `boxoffice sync recover` when online to bring back what it holds")
        report["incident"] = record(ctx, f"restored {source.name} accepting loss", "major", text,
                                    operator_id=operator_id)["id"]
    if decision["enrolled"] and not copy["token"] and row["state"] is not None:  # the copy predates enrollment
        report["message"] = _("this backup was made before the terminal enrolled with the central service: an admin "
                              "enrolls it again (`boxoffice sync enroll URL CODE`), then runs `boxoffice sync "
                              "recover` before selling")
    elif accept_loss and unknown and row["state"] is None:
        report["message"] = _("restored accepting the loss: nothing here says how far this terminal got after this "
                              "backup, so order numbers jump ahead of any it may have used; if it had enrolled with a "
                              "central service since, an admin enrolls it again and runs `boxoffice sync recover`")
    elif accept_loss and row["state"] is None:
        report["message"] = _("restored accepting the loss: what was done since this backup is gone; order and "
                              "journal numbers go on after it")
    elif accept_loss:
        report["message"] = _("restored accepting the loss: the central service's places are held at zero here "
                              "until `boxoffice sync recover` brings back what it holds")
    return report


def _assess(ctx: Ctx, source: Path, accept_loss: bool,
            central: CentralFactory | None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    report, copy = verified(ctx.config, source, ctx.terminal["id"])
    marks = marks_store.read(marks_store.path_for(ctx.config.db_path))
    live = live_state(ctx.conn, source, copy)
    decision = decide(copy, live, marks, central, accept_loss, str(ctx.config.central_url or "") or None)
    decision["live_head"] = (live["seq"], live["hash"] or "", live["next_order_seq"])
    return report, copy, decision


def check_restore(ctx: Ctx, source: Path, *, accept_loss: bool = False,
                  central: CentralFactory | None = None) -> RestoreCheck:
    """Everything a restore would refuse, refused before anyone is asked to confirm: an admin, a copy that
    verifies, this terminal's own database, and entries that would be lost for good. Writes nothing. Returns the
    copy's verification report with ``older`` (the copy is behind the terminal)."""
    ctx.require("operators")
    report, _copy, decision = _assess(ctx, source, accept_loss, central)
    return cast(RestoreCheck, {**report, "older": decision["older"]})


def restore(ctx: Ctx, source: Path, *, accept_loss: bool = False,
            central: CentralFactory | None = None) -> Restored:
    """Replace this terminal's database with a verified backup; needs an admin.

    A backup older than the terminal (services/recovery_state.py, services/sync/recovery.py): what it lacks is
    counted from the live database before it is overwritten; entries that never reached the central service (or
    all of them, when it cannot be asked) would be lost, and are refused unless ``accept_loss``. Otherwise the
    terminal then waits for `boxoffice sync recover` before selling; with ``accept_loss`` it works on, with the
    central service's places held at zero, and an incident records what may be lost.
    """
    op = ctx.require("operators")
    report, copy, decision = _assess(ctx, source, accept_loss, central)
    prepared = _prepared(source, ctx.config.db_path)
    try:
        out = _finish_in_copy(ctx.config, prepared, ctx.clock, source, report, copy, decision, accept_loss, op)
        # Alone on the live database from the check that it is as assessed to the overwrite: a sale committed in
        # between by another process (a counter left open) would be in neither the kept copy nor the restored one.
        with _alone(ctx):
            kept = _keep_live(ctx, decision["live_head"])
            store.restore_into(prepared, ctx.conn)
    finally:
        _remove(prepared)
    _mark_in_place(ctx.config.db_path, out)
    ctx.terminal = terminal_store.get(ctx.conn) or ctx.terminal
    out["kept_live"] = str(kept)
    return cast(Restored, out)


@contextlib.contextmanager
def _alone(ctx: Ctx) -> Iterator[None]:
    try:
        with store.alone(ctx.conn):
            yield
    except store.BusyElsewhere:
        raise BoxOfficeError("conflict", _("another boxoffice program has this terminal's database open (a counter "
                                           "screen, `sync --watch`, a command still running): close it, then run "
                                           "the restore again; nothing was restored")) from None


def _finish_in_copy(config: Config, prepared: Path, clock: Clock, source: Path, report: dict[str, Any],
                    copy: dict[str, Any], decision: dict[str, Any], accept_loss: bool, who: dict[str, Any], *,
                    log_in: bool = False) -> dict[str, Any]:
    """:func:`_finish` written into the prepared copy before it is put in place: the restore entry, the order
    numbers raised past every one the terminal gave out, the central service's places held and the row that stops
    selling until `sync recover` go live with the copy, in the same step. Put in place first and finished after,
    a sale in between (another window's counter) or a process killed in between left a copy that sold freely, under
    order codes and journal numbers the terminal had given out already. ``log_in``: the admin who restored it is
    logged in there too (a replacement machine, where the copy's own login does not hold)."""
    from boxoffice.store.db import connect

    conn = connect(prepared)
    conn.after_commit = None  # type: ignore[attr-defined]  # its marks are written once it is in place
    try:
        term = terminal_store.get(conn)
        assert term is not None  # verify_copy saw its journal; describe its terminal
        done = Ctx(config=config, conn=conn, terminal=term, clock=clock)
        out = _finish(done, source, report, copy, decision, accept_loss, who["id"])
        if log_in:
            from boxoffice.services.operators import start_session

            with write(conn):
                start_session(done, who)
        out["marks_head"] = marks_store.head(conn)
    finally:
        conn.close()  # the last connection: its write-ahead log is folded into the file, which is all there is
    return out


def _mark_in_place(db_path: Path, out: dict[str, Any]) -> None:
    """Move the marks file beside the database on to the restored copy's last entry and order number, once the
    copy is in place (never back): the next restore or copy put back is measured against it."""
    head = out.pop("marks_head", None)
    if head is not None:
        with contextlib.suppress(OSError):  # as after any commit: a marks file that cannot be written fails nothing
            marks_store.advance(marks_store.path_for(db_path), head)


def _remove(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm", ".marks"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _prepared(source: Path, db_path: Path) -> Path:
    """The backup as it will be put in place: copied beside the live database (0600, a hidden name) and brought to
    this release's schema there, so a migration that fails on an old copy leaves the live database as it was.
    The caller removes it (or renames it into place)."""
    prepared = db_path.with_name(f".{db_path.name}.restoring-{secrets.token_hex(4)}")
    try:
        store.prepare_copy(source, prepared)
    except BaseException:
        _remove(prepared)
        raise
    return prepared


def _keep_live(ctx: Ctx, seen: tuple[int, str, int]) -> Path:
    """Keep the live database as it is now beside it (``<db>.before-restore-<time>``, 0600) before a restore
    overwrites it, so nothing it held is gone for good whatever the restore decided; and make sure it is still what
    the restore was checked against (``seen``: its last entry, hash and next order number). A sale made meanwhile
    by another process (the check may wait seconds on the central service) stops the restore: nothing changed."""
    db = ctx.config.db_path
    kept = db.with_name(f"{db.name}.before-restore-{ctx.now():%Y%m%dT%H%M%S%fZ}")
    try:
        store.online_copy(ctx.conn, kept)
    except OSError as exc:
        kept.unlink(missing_ok=True)
        raise BoxOfficeError("database_error", _("could not keep a copy of the live database before restoring "
                                                 "({problem}): nothing was restored").format(problem=exc)) from None
    now = store.describe(kept)
    if (now["seq"], now["hash"] or "", now["next_order_seq"]) != seen:
        kept.unlink(missing_ok=True)
        raise BoxOfficeError("conflict", _("this terminal's database changed while the restore was being checked "
                                           "(a sale or a scan in another window?): nothing was restored; run the "
                                           "restore again"))
    return kept


def check_target(db_path: Path) -> None:
    """Refuse to put a backup at ``db_path`` when something other than a file is there (a folder typed for the
    database inside it): where there is no readable database, a restore moves what is in the way aside, and a whole
    folder (the database, its key and marks inside) must not go with it. Nothing is moved."""
    if not db_path.exists() or db_path.is_file():
        return
    said = (_("--db {path} is a folder, not a terminal's database file: give the database file itself (such as "
              "{example}); nothing was restored or moved") if db_path.is_dir() else
            _("--db {path} is not a regular file, so it cannot be a terminal's database: give the database file "
              "itself; nothing was restored or moved"))
    raise BoxOfficeError("bad_input", said.format(path=db_path, example=db_path / "terminal.db"))


_Assessed = tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]


def _assess_new(config: Config, source: Path, admin: str, pin: str, accept_loss: bool,
                central: CentralFactory | None) -> _Assessed:
    from boxoffice.domain.pins import check_pin

    check_target(config.db_path)
    report, copy = verified(config, source, None)
    who = store.operator_in(source, admin)
    if who is None or who["disabled"] or who["role"] != "admin" or not check_pin(pin, who["pin_hash"]):
        raise BoxOfficeError("permission_denied", _("{name!r} is not an admin of {file} with that PIN: not "
                                                    "restored").format(name=admin, file=source.name))
    marks = marks_store.read(marks_store.path_for(config.db_path))
    if marks is not None and marks.terminal_id != copy["terminal_id"]:
        raise BoxOfficeError("conflict", _("{file} belongs to another terminal ({terminal}): restore this backup "
                                           "where it belongs").format(file=marks_store.path_for(config.db_path),
                                                                      terminal=marks.terminal_id))
    decision = decide(copy, None, marks, central, accept_loss, str(config.central_url or "") or None)
    return report, copy, decision, who


def check_restore_new(config: Config, source: Path, admin: str, pin: str, *, accept_loss: bool = False,
                      central: CentralFactory | None = None) -> RestoreCheck:
    """:func:`check_restore` for a machine with no readable database: the admin's PIN against the backup, the copy,
    and what would be lost. Writes nothing."""
    report, _copy, decision, _who = _assess_new(config, source, admin, pin, accept_loss, central)
    return cast(RestoreCheck, {**report, "older": decision["older"]})


def restore_new(config: Config, source: Path, admin: str, pin: str, *, accept_loss: bool = False,
                central: CentralFactory | None = None, clock: Clock = system_clock) -> Restored:
    """Put a backup in place where there is no readable live database (a replacement machine, a ruined disk).

    The admin's PIN is checked against the backup's operators (there is nobody logged in here). How far the
    terminal got comes from the marks file beside the database if it survived, and from the central service.
    An unreadable file in the way is moved aside (``.unreadable-<time>``), never deleted; a folder there is
    refused (:func:`check_target`), not moved.
    """
    report, copy, decision, who = _assess_new(config, source, admin, pin, accept_loss, central)
    target = config.db_path
    stamp = clock().strftime("%Y%m%dT%H%M%SZ")
    private_dir(target.parent)
    prepared = _prepared(source, target)
    try:
        # The copy's own login was sealed on the old machine and does not hold here: the admin who restored it,
        # whose PIN was just checked, is the one logged in.
        out = _finish_in_copy(config, prepared, clock, source, report, copy, decision, accept_loss, who,
                              log_in=True)
        for suffix in ("", "-wal", "-shm"):
            old = Path(f"{target}{suffix}")
            if old.exists():
                old.rename(Path(f"{target}.unreadable-{stamp}{suffix}"))
        os.replace(prepared, target)
    finally:
        _remove(prepared)  # nothing left once it is in place
    _mark_in_place(target, out)
    if not config.key_path.exists():
        out["key_missing"] = str(config.key_path)
    return cast(Restored, out)
