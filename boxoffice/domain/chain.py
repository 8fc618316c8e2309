"""The journal's hash chain: each entry's hash covers its own fields and the previous entry's hash.

Editing, deleting, inserting or reordering any entry behind the tool's back breaks the chain from that point on,
which ``boxoffice audit verify`` reports. Pure: the store feeds it rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from boxoffice.i18n import _

GENESIS = "0" * 64


# The encoders json.dumps would make on every call with these options, made once: the same text (json.dumps is
# exactly ``JSONEncoder(**options).encode(obj)``), without building an encoder per journal entry.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _orjson() -> Any:
    """The orjson module, or None where it is not installed: it writes what the json encoders above write for the
    values :func:`_exact` lets through, several times faster (every journal entry on a terminal, every pushed
    entry on the central service). Imported on first use: a command that hashes nothing never loads it; looked
    for once (an import statement run twice an entry costs more than the lookup it repeats)."""
    global _ORJSON
    if _ORJSON is False:
        try:
            import orjson
        except ImportError:
            _ORJSON = None
        else:
            _ORJSON = orjson
    return _ORJSON


_ORJSON: Any = False  # not looked for yet


_FLAT = frozenset((str, int, bool, type(None)))


def _exact(value: dict | list) -> bool:
    """True when ``value`` holds, at any depth, only dicts, lists, strings, integers, booleans and nulls of exactly
    those types: what orjson writes as the json encoders do. A float (orjson writes 1e16 where json writes 1e+16,
    and null for NaN), a tuple or a subclass is not; a key that is not a string, an integer past 64 bits or a lone
    surrogate orjson refuses itself (TypeError)."""
    for v in (value.values() if type(value) is dict else value):
        t = type(v)
        if t in _FLAT:
            continue
        if (t is not dict and t is not list) or not _exact(v):
            return False
    return True


def canonical(payload: Any) -> str:
    """The one JSON text of a payload that everyone hashes: sorted keys, no spaces, UTF-8 kept. Written by orjson
    where that is the same text (tests/test_journal_chain.py compares every code point and any nested payload),
    else by the json encoder."""
    orjson = _orjson()
    if orjson is not None and type(payload) in (dict, list) and _exact(payload):
        try:
            return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:
            pass
    return _CANONICAL.encode(payload)


def entry_hash(prev_hash: str, *, id: str, seq: int, terminal_id: str, kind: str, operator_id: str | None,
               at: str, payload: str) -> str:
    """SHA-256 over the previous hash and the entry's fields (payload as its stored canonical text), the list of
    fields written by orjson where that is the same bytes (strings, an integer, null), else by the json encoder."""
    fields = [prev_hash, id, seq, terminal_id, kind, operator_id, at, payload]
    orjson = _orjson()
    if (orjson is not None and type(seq) is int and (operator_id is None or type(operator_id) is str)
            and all(type(f) is str for f in (prev_hash, id, terminal_id, kind, at, payload))):
        try:
            return hashlib.sha256(orjson.dumps(fields)).hexdigest()
        except TypeError:  # a lone surrogate or an integer past 64 bits: the encoder below writes it (or refuses)
            pass
    return hashlib.sha256(_COMPACT.encode(fields).encode("utf-8")).hexdigest()


RESTORE_KIND = "restore"


def declared_gap(entry: Mapping[str, Any]) -> tuple[int, int] | None:
    """(after, upto): the entries a ``restore`` entry says may be missing just before it, else None.

    A terminal put back from an older copy of its database writes a ``restore`` entry numbered after every entry it
    is known to have made, chained to the last of them (whose hash it knew from its marks), and declares the entries
    the copy lacks: ``{"gap": {"after": B, "upto": M}}``. Until `boxoffice sync recover` brings them back from the
    central service (or for good, when they never reached it), they are a declared gap, not a deletion.
    """
    if entry["kind"] != RESTORE_KIND:
        return None
    try:
        gap = json.loads(entry["payload"]).get("gap")
        after, upto = gap["after"], gap["upto"]
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if type(after) is not int or type(upto) is not int or not 0 <= after <= upto or upto != entry["seq"] - 1:
        return None
    return after, upto


def walk(entries: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Walk entries in sequence order: (every place the chain does not hold, with what is wrong there; every
    declared gap, with the entries still missing in it).

    An entry whose text a privacy purge erased no longer matches its own hash; it holds when a ``privacy.purge``
    entry of the same journal (itself chained) records the hash it has as erased (domain/privacy.py)."""
    from boxoffice.domain.privacy import vouched

    entries = list(entries)
    erased = vouched(entries)
    problems: list[dict[str, Any]] = []
    gaps: list[dict[str, Any]] = []
    prev = GENESIS
    expected_seq = 1
    for e in entries:
        gap = declared_gap(e) if e["seq"] > expected_seq else None
        if gap is not None and gap[0] <= expected_seq - 1:
            gaps.append({"seq": e["seq"], "id": e["id"], "after": expected_seq - 1, "upto": gap[1],
                         "missing": gap[1] - expected_seq + 1})
        else:
            if e["seq"] != expected_seq:
                what = _("missing entries before it (deleted)") if e["seq"] > expected_seq else _("out of order")
                problems.append({"seq": e["seq"], "id": e["id"],
                                 "problem": _("sequence jumps from {seq}: {what}").format(seq=expected_seq - 1,
                                                                                          what=what)})
            if e["prev_hash"] != prev:
                problems.append({"seq": e["seq"], "id": e["id"],
                                 "problem": _("does not follow the entry before it (inserted, deleted or "
                                              "reordered)")})
        recomputed = entry_hash(e["prev_hash"], id=e["id"], seq=e["seq"], terminal_id=e["terminal_id"], kind=e["kind"],
                                operator_id=e["operator_id"], at=e["at"], payload=e["payload"])
        if recomputed != e["hash"] and erased.get(e["id"]) != recomputed:
            problems.append({"seq": e["seq"], "id": e["id"], "problem": _("contents changed after it was written")})
        prev = e["hash"]
        expected_seq = e["seq"] + 1
    return problems, gaps


def find_breaks(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Walk entries in sequence order and list every place the chain does not hold, with what is wrong there.

    A gap a ``restore`` entry declares (``declared_gap``) is not a break: ``walk`` reports it apart."""
    return walk(entries)[0]
