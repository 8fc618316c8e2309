"""Signed checkpoints of the journal: what makes a rewritten history visible although the chain has no secret.

The hash chain alone shows an edit only to someone who recomputes nothing: whoever edits a past entry and recomputes
every hash after it leaves a chain that holds. So, every ``EVERY`` entries, at shift close and at each sync, the
terminal signs the chain's head (sequence number and hash) with its own Ed25519 key. A checkpoint is then a promise,
made before the edit, of what entry ``seq`` hashed to. Checking each checkpoint against the chain as it is now shows
a rewrite unless the one who made it also holds the terminal's key file; and the central service keeps the last
checkpoint it was sent, which no one at the terminal can take back.

Pure: callers sign and verify (they hold the keys), this says what is signed and what a checkpoint proves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from boxoffice.i18n import _

EVERY = 100  # entries between two checkpoints made while selling (shift close and sync make one as well)
DOMAIN = b"boxoffice journal checkpoint v1\n"


def message(terminal_id: str, seq: int, hash: str) -> bytes:
    """The bytes a checkpoint's signature covers: a fixed label (so no other signed thing can pass for a
    checkpoint), the terminal, the entry's number and its hash."""
    return DOMAIN + f"{terminal_id}\n{int(seq)}\n{hash}".encode("ascii")


def due(seq: int | None) -> bool:
    """Whether the entry just written is one that a checkpoint follows while selling."""
    return seq is not None and seq % EVERY == 0


def check(checkpoints: Iterable[Mapping[str, Any]], hashes: Mapping[int, str],
          signed: Callable[[Mapping[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every checkpoint the chain as it is now does not honour, as {seq, id, kind, problem}.

    ``hashes`` is seq -> hash of the journal now; ``signed`` says whether a checkpoint's signature is the
    terminal's. A forged checkpoint (bad signature) proves nothing and is reported as such; a genuine one whose
    entry is gone or hashes otherwise means the journal was rewritten after it was signed.
    """
    out: list[dict[str, Any]] = []
    for cp in checkpoints:
        seq = cp["seq"]
        if not signed(cp):
            out.append({"seq": seq, "id": None, "kind": "forged checkpoint",
                        "problem": _("the checkpoint at seq {seq} is not signed by this terminal's key").format(
                            seq=seq)})
        elif seq not in hashes:
            out.append({"seq": seq, "id": None, "kind": "rewritten",
                        "problem": _("the journal was rewritten after checkpoint at seq {seq}: entry {seq} is "
                                     "gone").format(seq=seq)})
        elif hashes[seq] != cp["hash"]:
            out.append({"seq": seq, "id": None, "kind": "rewritten",
                        "problem": _("the journal was rewritten after checkpoint at seq {seq}: entry {seq} no "
                                     "longer has the hash the terminal signed").format(seq=seq)})
    return out


def descends(rows: list[Mapping[str, Any]], held: Mapping[str, Any], head: Mapping[str, Any],
             gap: Callable[[Mapping[str, Any]], bool]) -> str | None:
    """Why a chain's entries ``rows`` (seq order, from ``held['seq']`` to ``head['seq']``) do not lead from the
    checkpoint ``held`` to the checkpoint ``head``, or None when they do.

    Each entry must link to the one before it, except an entry that ``gap`` says declares the missing ones before
    it (a terminal put back from an older copy). The central service runs this on its copy of a terminal's journal.
    """
    if head["seq"] < held["seq"]:
        return f"its journal now ends at entry {head['seq']}, before the checkpoint at seq {held['seq']}"
    if not rows or rows[0]["seq"] != held["seq"] or rows[0]["hash"] != held["hash"]:
        return f"entry {held['seq']} no longer has the hash of the checkpoint at seq {held['seq']}"
    for before, after in zip(rows, rows[1:], strict=False):
        if after["prev_hash"] != before["hash"] and not (after["seq"] > before["seq"] + 1 and gap(after)):
            return f"entry {after['seq']} does not follow entry {before['seq']}"
    if rows[-1]["seq"] != head["seq"] or rows[-1]["hash"] != head["hash"]:
        return f"its entry {head['seq']} is not the one it pushed before"
    return None
