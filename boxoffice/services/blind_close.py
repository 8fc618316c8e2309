"""The blind close: the drawer is counted, and the count fixed, before anyone sees what it should hold.

A seller who sees the expected cash first can "count" to it; a seller who counts first cannot. So closing is three
steps, the same on the screen and the command line:

1. :func:`count_drawer` keeps the count (a total, or pieces by denomination) on the open shift and journals it
   (``shift.count``). It answers with what was counted and nothing else. A count once kept is not changed: a
   mistake is explained in the variance note.
2. :func:`reveal` shows the expected cash and the variance, only once a count is kept. Until then the owner's own
   X report shows counts, not money (:func:`blinded`): the cash sales, or the totals and the card sales that give
   them, would reveal what the drawer should hold just as well.
3. :func:`approval` decides, inside ``shifts.close_shift``, whether the close may go ahead: no variance, or a
   variance with a note and the approval of a supervisor other than the shift's owner (the logged-in operator
   if they may approve and the shift is not theirs, else a supervisor named with their PIN).
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

from boxoffice.domain import denominations as denoms
from boxoffice.domain.card_numbers import refuse_card_number
from boxoffice.domain.money import format_money
from boxoffice.domain.permissions import allowed
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.services.drawer import _target, cash_summary, kept_pieces
from boxoffice.store import shifts as store
from boxoffice.store.db import write

MAX_NOTE = 300
KEPT = N_("the count is kept: close again with them")


class DrawerCount(TypedDict):
    """A drawer's count as kept: never the expected cash (that is :func:`reveal`'s, after the count)."""

    shift: str
    operator: str
    currency: str
    counted: int
    counted_at: str
    pieces: list[dict[str, Any]]


class Revealed(TypedDict):
    """What the drawer should hold against what was counted; ``needs_approval`` when they differ."""

    shift: str
    currency: str
    counted: int
    expected: int
    variance: int
    needs_approval: bool


def blind_for(viewer: dict[str, Any], shift: dict[str, Any]) -> bool:
    """Whether ``viewer``'s report on ``shift`` hides the money: their own open shift, its drawer not counted yet.
    Someone else's report takes the ``report`` permission (a supervisor), and a counted drawer has nothing left to
    hide; the owner's role does not matter, since nobody signs off their own drawer."""
    return viewer["id"] == shift["operator_id"] and shift["closed_at"] is None and kept_count(shift) is None


def blinded(z: dict[str, Any]) -> dict[str, Any]:
    """An X report with every sales amount left out (None) and ``blind`` set: counts, the float and the cash the
    operator put in or took out stay, the money taken and what the drawer should hold go."""
    tenders = [t | {"sales_amount": None, "refund_amount": None, "net": None} for t in z["tenders"]]
    types = [t | {k: None for k in t if k.endswith("_amount") or k == "refund_fees"} for t in z["types"]]
    cash = z["cash"] | {"sales": None, "refunds": None, "expected": None}
    return z | {"tenders": tenders, "types": types, "cash": cash, "blind": True,
                "totals": {k: None for k in z["totals"]}}


def kept_count(shift: dict[str, Any]) -> DrawerCount | None:
    """The count kept on a shift, or None if the drawer is not counted yet."""
    if shift.get("drawer_count") is None:
        return None
    return {"shift": shift["id"], "operator": shift["operator_id"], "currency": shift["currency"],
            "counted": int(shift["drawer_count"]), "counted_at": shift["drawer_counted_at"],
            "pieces": kept_pieces(shift)}


def _total(shift: dict[str, Any], counted: int | None, pieces: dict[int, int] | None) -> tuple[int, dict[int, int]]:
    cur = shift["currency"]
    checked = denoms.check_counts(pieces, cur) if pieces is not None else {}
    if pieces is not None:
        by_pieces = denoms.total(checked)
        if counted is not None and counted != by_pieces:
            raise BoxOfficeError("bad_input", _("the pieces come to {pieces}, not {counted}: give one or the "
                                                "other").format(pieces=format_money(by_pieces, cur),
                                                                counted=format_money(counted, cur)))
        return by_pieces, checked
    if counted is None:
        raise BoxOfficeError("bad_input", _("count the drawer: a total (--counted) or pieces (--count 20x3)"))
    if counted < 0:
        raise BoxOfficeError("bad_input", _("the counted cash cannot be negative"))
    return counted, {}


def count_drawer(ctx: Ctx, counted: int | None = None, pieces: dict[int, int] | None = None,
                 operator_name: str | None = None) -> DrawerCount:
    """Keep the drawer's count on the open shift (the caller's, or with ``operator_name`` someone else's, which
    takes a supervisor). The answer holds no expected cash. A drawer counted already is refused."""
    op, shift = _target(ctx, operator_name)
    total, checked = _total(shift, counted, pieces)
    if shift.get("drawer_count") is not None:
        was = format_money(shift["drawer_count"], shift["currency"])
        raise BoxOfficeError("conflict", _("this drawer was counted already ({was}): close with that count, a "
                                           "mistake explained in the variance note").format(was=was))
    now = ctx.now_iso()
    with write(ctx.conn):
        text = json.dumps({str(v): n for v, n in sorted(checked.items())}) if checked else None
        if not store.record_count(ctx.conn, shift["id"], at=now, total=total, pieces=text):
            raise BoxOfficeError("conflict", _("that drawer was counted or its shift closed a moment ago"))
        ctx.journal("shift.count", {"shift": shift["id"], "operator": shift["operator_id"], "counted": total,
                                    "pieces": {str(v): n for v, n in checked.items()}, "at": now},
                    operator_id=op["id"])
    fresh = store.get(ctx.conn, shift["id"])
    assert fresh is not None
    kept = kept_count(fresh)
    assert kept is not None
    return kept


def counted_of(ctx: Ctx, operator_name: str | None = None) -> DrawerCount | None:
    """The count kept on the open shift (yours, or ``operator_name``'s), or None: for a screen that resumes."""
    _op, shift = _target(ctx, operator_name)
    return kept_count(shift)


def reveal(ctx: Ctx, operator_name: str | None = None) -> Revealed:
    """The expected cash and the variance: refused until the drawer is counted."""
    _op, shift = _target(ctx, operator_name)
    kept = kept_count(shift)
    if kept is None:
        raise BoxOfficeError("conflict", _("count the drawer first: what it should hold is shown after the count"))
    expected = cash_summary(ctx, shift)["expected"]
    return {"shift": shift["id"], "currency": shift["currency"], "counted": kept["counted"], "expected": expected,
            "variance": kept["counted"] - expected, "needs_approval": kept["counted"] != expected}


def clean_note(text: str | None) -> str | None:
    """A variance note: printable, up to MAX_NOTE characters, no card number; None when empty."""
    value = (text or "").strip()
    if not value:
        return None
    if len(value) > MAX_NOTE or any(ord(c) < 32 for c in value):
        raise BoxOfficeError("bad_input", _("a variance note is up to {max} printable characters").format(
            max=MAX_NOTE))
    refuse_card_number(value, "variance note")
    return value


def approval(ctx: Ctx, shift: dict[str, Any], variance: int, note: str | None,
             supervisor: tuple[str, str] | None) -> tuple[str | None, dict[str, Any] | None]:
    """(note, approver) for closing with ``variance``; refuses ``variance_unapproved`` without both.

    The approver holds ``variance`` and is not the shift's owner: nobody signs off their own drawer.
    """
    from boxoffice.services.operators import approve

    why = clean_note(note)
    if variance == 0:
        return why, None
    cur = shift["currency"]
    variance_text = format_money(variance, cur)
    me = ctx.operator
    if why is None:
        raise BoxOfficeError("variance_unapproved", _(
            "a variance of {variance} needs a note saying why (--note) and a supervisor's approval (--supervisor "
            "NAME); {kept}").format(variance=variance_text, kept=_(KEPT)))
    if me is not None and me["id"] != shift["operator_id"] and allowed(me["role"], "variance"):
        return why, me
    if supervisor is None:
        raise BoxOfficeError("variance_unapproved", _(
            "a variance of {variance} needs a supervisor's approval (--supervisor NAME, PIN asked); {kept}").format(
            variance=variance_text, kept=_(KEPT)))
    approver = approve(ctx, supervisor[0], supervisor[1], "variance")
    if approver["id"] == shift["operator_id"]:
        raise BoxOfficeError("permission_denied", _("{name} may not approve a variance in their own drawer: ask "
                                                    "another supervisor").format(name=approver["name"]),
                             needed=["supervisor", "admin"])
    return why, dict(approver)
