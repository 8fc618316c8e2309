"""Whether a backup is behind the terminal, and what restoring it would lose for good: compared with how far the
terminal got (its live database, else the marks file beside it, and the central service). Nothing is written here;
services/backup.py restores on what this decides.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boxoffice.domain.recovery import describe, places_left_sold
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.store import backup as backup_store
from boxoffice.store import recovery as recovery_store
from boxoffice.store.marks import Marks

# Order numbers skipped after a restore accepting that nothing can say how far the terminal got: the codes the lost
# sales gave out are not handed out again (31**4 numbers a terminal tag: a jump like this costs about 1% of them).
UNKNOWN_ORDERS = 10_000

# A restore's and a recovery's own entries: they record what was put back, not work of the terminal, so a restore
# that leaves them behind loses nothing anyone did (the restore writes its own entry again).
BOOKKEEPING = ("restore", "recover")


# (url, token[, ca_bundle=PEM file]) -> a client with .journal(after, limit); .close()
CentralFactory = Callable[..., Any]


def live_state(conn: sqlite3.Connection, source: Path, copy: dict[str, Any]) -> dict[str, Any]:
    """How far the live database got, read before anything is overwritten: its last entry and order number, what it
    made that the copy ``source`` (``copy``: store.backup.describe) lacks, by kind and which of that the central
    service never acknowledged, the numbers of those entries but the restores' and recoveries' own (``made``), the
    enrollment it syncs with, and whether it waits for `sync recover` (``recovering``: `sync` refuses until then).
    ``parted``: when the two histories part before the end of the shorter one (:func:`parted`), every live entry
    after that point; what it made is counted from there too, not from the copy's last entry."""
    from boxoffice.store import sync_state

    head = recovery_store.head(conn) or {"seq": 0, "hash": ""}
    split = parted(conn, source, (head["seq"], head["hash"]), (copy["seq"], copy["hash"] or ""))
    after = split[0]["seq"] - 1 if split else copy["seq"]
    sync = sync_state.get(conn)
    return {"seq": head["seq"], "hash": head["hash"], "next_order_seq": recovery_store.next_order_seq(conn),
            "kinds": recovery_store.kinds_after(conn, after), "unpushed": recovery_store.unpushed_after(conn, after),
            "made": recovery_store.seqs_after(conn, after, BOOKKEEPING),
            "recovering": recovery_store.state(conn) is not None,
            "sync": {"central_url": sync["central_url"], "token": sync["token"], "ca_bundle": sync["ca_bundle"]}
            if sync else None, "parted": split}


def parted(conn: sqlite3.Connection, source: Path, live: tuple[int, str],
           backup: tuple[int, str]) -> list[dict[str, Any]] | None:
    """The live database's entries from the point where its history parts from the copy's (``source``), or None
    when one history is the start of the other. ``live`` and ``backup``: each one's last entry (seq, hash).

    The live database may have been replaced by hand with an older file (a folder snapshot put back) and used on,
    while a backup taken before that went further. Compared by entry numbers alone, the copy then looks like the
    same terminal further on (or, once the live journal is the longer, like an older state of it whose lost entries
    start after its last one), and what the live database did after the two parted would be lost uncounted. Each
    entry's hash covers the one before it, so the journals hold the same entries up to that point and differ from
    there on: it is found by halving the live journal, reading one entry of the copy each time (only reading it)."""
    (seq, hash_), (copy_seq, copy_hash) = live, backup
    if seq == 0:
        return None
    if seq <= copy_seq:
        if backup_store.entry_hash(source, seq) == hash_:
            return None
    else:
        here = recovery_store.entry_at(conn, copy_seq)
        if here is not None and here["hash"] == copy_hash:
            return None
    seqs = sorted(recovery_store.ids_between(conn, 1, min(seq, copy_seq)))
    lo, hi = 0, len(seqs)  # seqs[:lo] are in the copy's history, seqs[hi:] are not
    while lo < hi:
        mid = (lo + hi) // 2
        here = recovery_store.entry_at(conn, seqs[mid])
        if here is not None and backup_store.entry_hash(source, seqs[mid]) == here["hash"]:
            lo = mid + 1
        else:
            hi = mid
    return recovery_store.entries_from(conn, seqs[lo]) if lo < len(seqs) else None


def _since(kinds: dict[str, dict[str, int]], key: str) -> dict[str, int]:
    return {k: v[key] for k, v in kinds.items() if v[key]}


def _central_head(copy: dict[str, Any], live_sync: dict[str, Any] | None, central: CentralFactory | None,
                  url: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """(the terminal's head on the central service, None) or (None, why it could not be asked). ``url``: the
    config's central_url; one that is not the URL enrolled with is not asked (the token goes only where the terminal
    enrolled: services/sync/enrollment.py)."""
    from boxoffice.services.recovery_state import central_head

    creds = live_sync or ({"central_url": copy["central_url"], "token": copy["token"],
                           "ca_bundle": copy.get("ca_bundle")} if copy["token"] else None)
    if creds is None:
        return None, "not_enrolled"
    if url and url.strip().rstrip("/") != creds["central_url"]:
        return None, _("central_url is set to {url} but this terminal enrolled with {enrolled}: nothing is sent "
                       "there (an admin enrolls again if the service moved)").format(
            url=url[:120], enrolled=creds["central_url"])
    if central is None:
        return None, _("no client")
    try:
        bundle = creds.get("ca_bundle")
        client = central(creds["central_url"], creds["token"], **({"ca_bundle": bundle} if bundle else {}))
    except BoxOfficeError as exc:
        return None, exc.message
    try:
        return central_head(client), None
    except BoxOfficeError as exc:
        if exc.code in ("central_unreachable", "not_enrolled", "central_refused", "central_rate_limited",
                        "central_too_large", "certificate_error"):
            return None, exc.message
        raise
    finally:
        close = getattr(client, "close", None)
        if close is not None:
            close()


def _lost(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What entries about to be lost held: counted by kind, their ids, and the places their sales left sold."""
    import json

    entries = [e for e in entries if e["kind"] != "restore"]
    if not entries:
        return None
    kinds: dict[str, int] = {}
    for e in entries:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    payloads = []
    for e in entries:
        try:
            payloads.append((e["kind"], json.loads(e["payload"])))
        except ValueError:
            continue
    return {"kinds": kinds, "ids": [e["id"] for e in entries], "places": places_left_sold(payloads)}


def decide(copy: dict[str, Any], live: dict[str, Any] | None, marks: Marks | None,
            central: CentralFactory | None, accept_loss: bool, url: str | None = None) -> dict[str, Any]:
    """Compare the copy with how far the terminal got (the live database, else its marks file, and the central
    service): whether the copy is older, what it lacks, what would be lost for good; refuse unless it is safe or
    the loss is accepted. Nothing is written.

    Lost for good: entries of the live database the central service never received (after its head), or every
    entry since the copy when there is no central service. When the central service cannot be asked, the entries
    it never acknowledged may be lost. Their places stay sold here (``kept``), so nobody holding one of their
    tickets finds someone else on the place.

    The decision's ``enrolled`` says whether the terminal can recover from a central service once the copy is in
    place: enrolled if the live database or the copy is (a copy made before the terminal enrolled has no enrollment
    of its own, and the live database's still holds)."""
    tid, b = copy["terminal_id"], copy["seq"]
    known = Marks(tid, b, copy["hash"] or "", copy["next_order_seq"])
    if live is not None:
        known = Marks(tid, live["seq"], live["hash"], live["next_order_seq"]).later(known)
    if marks is not None:
        known = known.later(marks)
    decision: dict[str, Any] = {"older": known.seq > b or known.next_order_seq > copy["next_order_seq"],
                                "known": known, "since_backup": None, "lost": None, "kept": None,
                                "offline": False, "central_head": None,
                                "enrolled": (live is not None and live["sync"] is not None) or bool(copy["token"])}
    if live is not None:
        decision["since_backup"] = _since(live["kinds"], "entries")
    if not decision["older"] and live is not None:
        return _parted(decision, live.get("parted"), accept_loss)
    head, why = _central_head(copy, live["sync"] if live else None, central, url)
    decision["central_head"] = head
    if head is not None:
        if head["seq"] > known.seq:  # central knows of entries neither the live database nor the marks show
            known = Marks(tid, head["seq"], head["hash"], known.next_order_seq)
        if head["order_seq"] is not None:
            known = Marks(tid, known.seq, known.hash, max(known.next_order_seq, head["order_seq"] + 1))
        decision["known"] = known
        decision["older"] = known.seq > b or known.next_order_seq > copy["next_order_seq"]
    elif live is None and marks is None:  # enrolled or not, nothing else can say how far the terminal got
        return _head_unknown(decision, copy, why, accept_loss)
    if not decision["older"]:
        return decision
    unpushed = live["unpushed"] if live is not None else []
    if why == "not_enrolled":
        lost = _lost(unpushed)
        made = _made_after(b, known.seq, live) if lost is None else 0
        if lost is None and not made:
            return decision  # only restores' own entries since the copy (the same backup again): nothing is lost
        decision["lost"] = lost["kinds"] if lost else {"entries": made}
        decision["kept"] = lost
        if not accept_loss:
            raise BoxOfficeError("unpushed_entries", _(
                "this backup is older than the terminal, and what was done since ({what}) is nowhere else (this "
                "terminal is not enrolled with a central service): restoring it would lose that for good; keep the "
                "live database, or restore with --accept-loss").format(what=describe(decision["lost"])),
                lost=decision["lost"])
        return decision
    if head is None:
        decision["offline"] = True
        if not accept_loss:
            raise BoxOfficeError("central_unreachable", _(
                "this backup is older than the terminal and the central service cannot be asked what it holds "
                "({why}): try again online, or restore with --accept-loss (an incident records what may be "
                "lost)").format(why=why))
        lost = _lost(unpushed)
        decision["lost"] = lost["kinds"] if lost else ({"entries": known.seq - b} if live is None else None)
        decision["kept"] = lost
        return decision
    # Every entry made since the backup that the central service never acknowledged is lost with the restore, its
    # number above the central head or not: one at or below it was made on a copy put back by hand (the central
    # service holds another entry under that number, and `sync` stops with journal_diverged; `sync recover` keeps
    # it, renumbered), or it reached the service and its answer did not come back (the next `sync` says so).
    lost = _lost(unpushed)
    gone = _made_after(max(head["seq"], b), known.seq, live) if lost is None and head["seq"] < known.seq else 0
    if gone:
        lost = {"kinds": {"entries": gone}, "ids": [], "places": {}}
    if lost is not None:
        decision["lost"], decision["kept"] = lost["kinds"], lost
        if not accept_loss:
            if live is not None and live["recovering"]:
                # `sync` refuses while the terminal waits for recovery; `sync recover` ends with the push.
                message = _("this backup is older than the terminal, and {what} made since never reached the "
                            "central service: restoring it would lose them for good; run `boxoffice sync recover` "
                            "first (this terminal waits for it, and `boxoffice sync` refuses until then), or restore "
                            "with --accept-loss")
            elif _diverged(unpushed, head):
                # Numbered where the central service holds other entries: `sync` would stop with
                # journal_diverged, and only `sync recover` sends them (renumbered), so that is what to run.
                message = _("this backup is older than the terminal, and {what} made since never reached the "
                            "central service: restoring it would lose them for good; run `boxoffice sync recover` "
                            "first (this terminal's journal has left the central service's), or restore with "
                            "--accept-loss")
            else:
                message = _("this backup is older than the terminal, and {what} made since never reached the "
                            "central service: restoring it would lose them for good; run `boxoffice sync` first, "
                            "or restore with --accept-loss")
            raise BoxOfficeError("unpushed_entries", message.format(what=describe(lost["kinds"])),
                                 lost=lost["kinds"])
    return decision


def _made_after(start: int, upto: int, live: dict[str, Any] | None) -> int:
    """How many entries the terminal made after entry ``start``, up to ``upto`` (how far it is known to have got):
    those of the live database after ``start`` but the restores' and recoveries' own (an earlier restore of another
    backup, which loses nothing anyone did), and every one past the live database's last entry, known only from the
    marks file (their kinds are not here, so each counts). Entries numbered in a gap a restore declared are not
    here, so this restore does not lose them."""
    if live is None:
        return upto - start
    return sum(1 for seq in live["made"] if seq > start) + max(0, upto - max(live["seq"], start))


def _parted(decision: dict[str, Any], entries: list[dict[str, Any]] | None, accept_loss: bool) -> dict[str, Any]:
    """A copy not behind the terminal whose history the live database left (:func:`parted`): the live entries
    after the point where they part are lost with the restore, whether or not the central service has them (the
    restore starts no recovery that would bring them back). Refused, as for an older copy, unless the loss is
    accepted; their places then stay sold here (``kept``)."""
    lost = _lost(entries or [])
    if lost is None:  # the same history, or one that differs only by restore entries
        return decision
    after = entries[0]["seq"] - 1 if entries else 0
    decision.update(lost=lost["kinds"], kept=lost, parted_after=after)
    if not accept_loss:
        raise BoxOfficeError("unpushed_entries", _(
            "this backup and this database have different histories (they part after journal entry {seq}): "
            "restoring it would lose {what} this database made since, which the backup does not hold; keep the live "
            "database, or restore with --accept-loss").format(
            seq=after, what=describe(lost["kinds"])), lost=lost["kinds"])
    return decision


def _diverged(unpushed: list[dict[str, Any]], head: dict[str, Any]) -> bool:
    """Whether entries never acknowledged sit where the central service holds other ones: some are numbered at or
    below its head, and this journal's entry at the head is not the one it holds (the chain's hash differs) or is
    missing. The same hash means the same history up to there: those pushes arrived and only their answers were
    lost, which a plain `sync` settles."""
    if not any(e["seq"] <= head["seq"] and e["kind"] != "restore" for e in unpushed):
        return False
    at_head = next((e for e in unpushed if e["seq"] == head["seq"]), None)
    return at_head is None or at_head["hash"] != head["hash"]


def _head_unknown(decision: dict[str, Any], copy: dict[str, Any], why: str | None,
                  accept_loss: bool) -> dict[str, Any]:
    """No live database, no marks file, and the central service cannot be asked (a replacement machine on a night
    the network is down), or the copy is not enrolled with one (made before the terminal enrolled, or a terminal that
    works alone): nothing says whether the copy is behind the terminal, so it is taken to be. Refused unless the loss
    is accepted; then its order numbers jump ahead of any the lost sales may have used, and an enrolled terminal
    holds the central service's places at zero until `boxoffice sync recover` (one not enrolled owns its places and
    has nothing to recover from: services/recovery_state.begin)."""
    alone = why == "not_enrolled"
    if not accept_loss and alone:
        raise BoxOfficeError("unpushed_entries", _(
            "this backup is not enrolled with a central service, and there is no database or marks file here: "
            "nothing can say how far this terminal got after it, and restoring it as it is could give order codes "
            "out twice; restore with --accept-loss so order numbers jump ahead of any the terminal may have used (if "
            "it enrolled with a central service since, an admin then enrolls it again and runs `boxoffice sync "
            "recover` to bring back what that holds)"))
    if not accept_loss:
        raise BoxOfficeError("central_unreachable", _(
            "nothing here says how far this terminal got (no database, no marks file) and the central service "
            "cannot be asked ({why}): the backup may be older, and restoring it now could give order codes and "
            "places out twice; try again online, or restore with --accept-loss (the central service's places are "
            "then held at zero here until `boxoffice sync recover`)").format(why=why))
    decision.update(older=True, offline=not alone, head_unknown=True, known=Marks(
        copy["terminal_id"], copy["seq"], copy["hash"] or "", copy["next_order_seq"] + UNKNOWN_ORDERS))
    return decision
