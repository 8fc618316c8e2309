"""Customer data and how long it is kept: which journal fields are personal, how an entry is erased, when an
event becomes purgeable. Pure: the store and the services feed it rows and times.

Why the journal needs care: each entry's hash covers its payload text (domain/chain.py), and the payload of a sale
or an exchange holds the order's customer name, e-mail, phone and notes. A purge therefore rewrites the payload
with those fields set to null and leaves the entry's stored ``hash`` (the commitment to the original text) where
it was, so the next entry still links to it. The ``privacy.purge`` entry that does this records, for each entry it
erased, the hash the entry has *as erased* (:func:`erased_hash`); `audit verify` accepts an entry whose text no
longer matches its own hash only when a later purge entry, itself chained, vouches for exactly that text.

Entries written from this release on also carry a random ``privacy_salt`` (:func:`salted`), erased with the
personal fields. Without it, the kept hash of an erased entry would let someone who holds the database confirm a
guessed name or phone number (everything else the hash covers is still there to recompute); with the salt gone,
128 unknown bits stand in the way. Entries written before this release have no salt: their kept hash still
commits to the original name, so a guess can be confirmed (never read back) against them. docs/security.md says so.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from boxoffice.i18n import _

PURGE_KIND = "privacy.purge"
SALT_KEY = "privacy_salt"
# Keys whose values are a customer's (or a real-name ticket holder's) personal data wherever they appear in a
# payload. A new personal field in a journal payload must be named here, or a purge leaves it behind.
PERSONAL_KEYS = frozenset({"customer_name", "email", "phone", "phone_digits", "notes",
                           "holder_name", "id_hash", "id_last4", "customer_keys"})
# Inside a real-name entry's ``holders`` list (services/holders.py) the holder's name is plain ``name``, a key too
# common elsewhere to erase everywhere; and ``binding``, the signature over the holder's name, would let a guessed
# name be confirmed. Both are erased there, and only there.
HOLDERS_KEY = "holders"
HOLDER_KEYS = frozenset({"name", "binding"})
DEFAULT_KEEP_DAYS = 30


def carries_personal(payload: Any) -> bool:
    """Whether any personal key in ``payload`` (at any depth) holds a value.

    Walked with a stack of its own, not by recursion: a stored payload nested hundreds deep (any terminal can push
    one) must not stop a purge with RecursionError."""
    # A sale's payload is walked on every sale: the personal keys of a dict are found by a set intersection and a
    # dict or list holding only plain values (the types of its values collected in C) is not walked value by value.
    stack = [payload]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if not PERSONAL_KEYS.isdisjoint(node):
                for k in PERSONAL_KEYS.intersection(node):
                    v = node[k]
                    if v is not None and v != "":
                        return True
            if set(map(type, node.values())) <= _PLAIN:
                continue
            for k, v in node.items():
                if isinstance(v, (dict, list)):
                    if k == HOLDERS_KEY and isinstance(v, list) and any(_holder_named(h) for h in v):
                        return True
                    stack.append(v)
        elif isinstance(node, list) and not set(map(type, node)) <= _PLAIN:
            for v in node:  # a loop, not extend() over a generator: cheaper for the few items a sale has
                if isinstance(v, (dict, list)):
                    stack.append(v)
    return False


_PLAIN = frozenset((str, int, float, bool, type(None)))  # values that hold no dict or list


def _holder_named(holder: Any) -> bool:
    return isinstance(holder, dict) and any(holder.get(k) not in (None, "") for k in HOLDER_KEYS)


def salted(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with a fresh random salt when it carries personal data (see the module's docstring)."""
    if SALT_KEY in payload or not carries_personal(payload):
        return payload
    return {**payload, SALT_KEY: secrets.token_hex(16)}


# How :func:`erase` treats a container: walked as any (``_WALK``), a ``holders`` list whose objects are holders
# (``_HOLDERS``), or one holder (``_HOLDER``: its name and binding go, its salt stays as it always has).
_WALK, _HOLDERS, _HOLDER = 0, 1, 2


class Unerasable(ValueError):
    """A stored payload nested too deep for the JSON reader or writer: it cannot be erased, only skipped."""


def erase(payload: Any) -> Any:
    """``payload`` with every personal value and the salt set to null; keys, money, ids and times kept.

    Deterministic, so the terminal and the central service erase one entry to the same text. Copied with a stack
    of its own, not by recursion, so any depth a stored payload has is erased rather than stopping the purge."""
    work: list[tuple[Any, Any, int]] = []
    root = _shell(payload, _WALK, work)
    while work:
        src, dst, mode = work.pop()
        if isinstance(src, dict):
            for k, v in src.items():
                if mode == _HOLDER:
                    dst[k] = None if k in HOLDER_KEYS or k in PERSONAL_KEYS else _shell(v, _WALK, work)
                elif k in PERSONAL_KEYS or k == SALT_KEY:
                    dst[k] = None
                else:
                    dst[k] = _shell(v, _HOLDERS if k == HOLDERS_KEY and isinstance(v, list) else _WALK, work)
        else:
            for v in src:
                dst.append(_shell(v, _HOLDER if mode == _HOLDERS and isinstance(v, dict) else _WALK, work))
    return root


def _shell(value: Any, mode: int, work: list[tuple[Any, Any, int]]) -> Any:
    """A plain value as it is; an empty container of the same kind for a dict or list, queued to be filled."""
    if isinstance(value, dict):
        out: Any = {}
    elif isinstance(value, list):
        out = []
    else:
        return value
    work.append((value, out, mode))
    return out


def erased_text(payload_text: str, *, strict: bool = False) -> str | None:
    """The canonical text of an entry's payload once erased, or None when erasing changes nothing.

    A payload nested past what the JSON reader or writer takes (RecursionError) gives None too, or, with
    ``strict``, :class:`Unerasable`: the central purge counts such entries and goes on with the rest, so one bad
    entry pushed by any terminal cannot stop the purge of every event it names."""
    from boxoffice.domain.chain import canonical

    try:
        payload = json.loads(payload_text)
        if not carries_personal(payload) and not (isinstance(payload, dict) and payload.get(SALT_KEY)):
            return None
        text = canonical(erase(payload))
    except RecursionError:
        if strict:
            raise Unerasable(_("a payload nested too deep to read or write")) from None
        return None
    except ValueError:
        return None
    return None if text == payload_text else text


def erased_hash(entry: Mapping[str, Any], payload_text: str) -> str:
    """The hash ``entry`` would have with ``payload_text``: what a purge entry records for each entry it erases."""
    from boxoffice.domain.chain import entry_hash

    return entry_hash(entry["prev_hash"], id=entry["id"], seq=entry["seq"], terminal_id=entry["terminal_id"],
                      kind=entry["kind"], operator_id=entry["operator_id"], at=entry["at"], payload=payload_text)


def vouched(entries: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Entry id -> the hash it has as erased, from every ``privacy.purge`` entry among ``entries``."""
    out: dict[str, str] = {}
    for e in entries:
        if e["kind"] != PURGE_KIND:
            continue
        try:
            erased = json.loads(e["payload"]).get("erased") or []
            out.update({str(x["id"]): str(x["erased_hash"]) for x in erased})
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):  # one too deep to read: no vouch
            continue
    return out


def digest(text: str) -> str:
    """SHA-256 of a text, hex: what a purge records of a payload it replaced."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def purgeable_from(starts_at: datetime, keep_days: int) -> datetime:
    """When an event's customer data may be purged: ``keep_days`` after it started (an event a day long or less;
    a festival's last day is its own event)."""
    return starts_at + timedelta(days=keep_days)


def check_keep_days(value: Any) -> int:
    """``keep_days`` as a whole number of days, 1 to 3650; ValueError otherwise."""
    if type(value) is not int or not 1 <= value <= 3650:
        raise ValueError(
            _("keep_days must be a whole number of days from 1 to 3650, not {value!r}").format(value=value))
    return value
